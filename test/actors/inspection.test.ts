// The inspector's snapshots name the transitions taken to reach them, eventless ones included, so
// that a chart can light exactly those.

import assert from 'node:assert/strict';
import { createActor, fromPromise, setup } from 'xstate';
import { createActorInspector, InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { nodeMachine } from '../../src/machines/node.ts';

describe('actors/inspection', () => {
  it('names the transitions of each step on its snapshot: the event one, then the eventless one', () => {
    const bus = new InspectionBus();
    const records: InspectionRecord[] = [];
    const off = bus.subscribe((record) => records.push(record), { kinds: ['snapshot'] });
    const inspector = createActorInspector('agent/node:n1', bus);
    const actor = createActor(nodeMachine, { input: { name: 'n1', role: 'master', expectedProbes: ['web'] }, inspect: inspector.inspect });
    inspector.setRoot(actor);
    try {
      actor.start();
      actor.send({ type: 'PROBE_RESULT', probe: 'web', status: 'failed', severity: 'critical', error: 'connection refused' });
      actor.send({ type: 'PROBE_RESULT', probe: 'web', status: 'running', severity: 'critical' });
    } finally {
      actor.stop();
      off();
    }
    const steps = records.flatMap((record) => (record.kind === 'snapshot' ? [{ value: record.value, taken: record.taken }] : []));
    assert.deepEqual(steps.slice(1, 3), [
      {
        value: 'degraded',
        taken: [
          { source: 'node.starting', event: 'PROBE_RESULT', index: 0 },
          { source: 'node.starting', index: 0 },
          { source: 'node.evaluating', index: 0 },
        ],
      },
      {
        value: 'running',
        taken: [
          { source: 'node.degraded', event: 'PROBE_RESULT', index: 0 },
          { source: 'node.evaluating', index: 1 },
        ],
      },
    ]);
  });

  it('gives the actors an initial state invokes, created with the root itself, their nested paths', () => {
    const bus = new InspectionBus();
    const records: InspectionRecord[] = [];
    const off = bus.subscribe((record) => records.push(record), { kinds: ['actor.created'] });
    const inner = setup({ actors: { work: fromPromise<void>(() => new Promise(() => undefined)) } }).createMachine({
      id: 'inner',
      invoke: { id: 'work', src: 'work' },
    });
    const outer = setup({ actors: { inner } }).createMachine({ id: 'outer', invoke: { id: 'job', src: 'inner' } });
    const inspector = createActorInspector('agent/x', bus);
    const actor = createActor(outer, { inspect: inspector.inspect });
    inspector.setRoot(actor);
    try {
      actor.start();
    } finally {
      actor.stop();
      off();
    }
    assert.deepEqual(
      records.map((record) => record.path),
      ['agent/x', 'agent/x/job', 'agent/x/job/work'],
    );
  });
});
