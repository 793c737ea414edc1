// The lit states of a chart and the one-line state value: a value that does not fit the machine
// lights nothing instead of throwing.

import assert from 'node:assert/strict';
import { machineModel } from '../../../src/statechart/graph.ts';
import { findDrawableMachine } from '../../../src/statechart/registry.ts';
import { litStates, stateValueText } from '../../../src/web/model/lit-states.ts';

const probe = machineModel(findDrawableMachine('probe')!.machine);

describe('web/lit-states', () => {
  it('lights the leaves of a value and their ancestors', () => {
    assert.deepEqual(litStates(probe, { active: { status: 'failed', cycle: 'waiting' } }), [
      'probe.active',
      'probe.active.status',
      'probe.active.status.failed',
      'probe.active.cycle',
      'probe.active.cycle.waiting',
    ]);
  });

  it('lights nothing for a value of another machine, or no value', () => {
    assert.equal(litStates(probe, 'degraded'), undefined);
    assert.equal(litStates(probe, { active: 7 }), undefined);
    assert.equal(litStates(probe, undefined), undefined);
    assert.equal(litStates(probe, null), undefined);
  });

  it('writes a value as dotted paths to its leaves', () => {
    assert.equal(stateValueText('running'), 'running');
    assert.equal(stateValueText({ active: { status: 'running', cycle: 'waiting' } }), 'active.status.running, active.cycle.waiting');
    assert.equal(stateValueText({ running: 'attempting' }), 'running.attempting');
  });
});
