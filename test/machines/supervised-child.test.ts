// The supervised-child machine, the rules every child's state follows under its supervisor: each
// allowed move, the moves it refuses, and that the supervisor's own states are exactly the machine's.

import assert from 'node:assert/strict';
import type { ChildState } from '../../src/supervisor/child.ts';
import type { SupervisedChildEvent } from '../../src/machines/supervised-child.ts';
import { nextChildState, supervisedChildMachine } from '../../src/machines/supervised-child.ts';

const allowed: [ChildState, SupervisedChildEvent['type'], ChildState][] = [
  ['stopped', 'start', 'starting'],
  ['starting', 'started', 'running'],
  ['starting', 'start.failed', 'failed'],
  ['starting', 'stop', 'stopping'],
  ['running', 'crashed', 'failed'],
  ['running', 'ended', 'stopped'],
  ['running', 'stop', 'stopping'],
  ['running', 'killed', 'stopped'],
  ['failed', 'restart.scheduled', 'restarting'],
  ['stopped', 'restart.scheduled', 'restarting'],
  ['restarting', 'start', 'starting'],
  ['restarting', 'stop', 'stopped'],
  ['stopping', 'stopped', 'stopped'],
  ['stopping', 'killed', 'stopped'],
];

const refused: [ChildState, SupervisedChildEvent['type']][] = [
  ['stopped', 'started'],
  ['running', 'start'],
  ['running', 'restart.scheduled'],
  ['stopping', 'start'],
  ['failed', 'started'],
  ['restarting', 'crashed'],
];

describe('supervised-child machine', () => {
  it('has exactly the states a supervisor reports for its children', () => {
    const states = Object.keys(supervisedChildMachine.root.states).sort();
    assert.deepEqual(states, ['failed', 'restarting', 'running', 'starting', 'stopped', 'stopping']);
    assert.equal(supervisedChildMachine.root.initial?.target[0]?.key, 'stopped');
  });

  for (const [from, event, to] of allowed) {
    it(`${from} --${event}--> ${to}`, () => {
      assert.equal(nextChildState(from, { type: event } as SupervisedChildEvent), to);
    });
  }

  for (const [from, event] of refused) {
    it(`refuses ${event} in ${from}`, () => {
      assert.throws(() => nextChildState(from, { type: event } as SupervisedChildEvent), /cannot go from/u);
    });
  }
});
