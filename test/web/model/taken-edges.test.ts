// The edges a chart flashes between two state values, on the real machines and their layouts: the
// event's edge when it is known, every candidate when not, eventless steps included, targetless and
// self transitions only when the event names them, and nothing else.

import assert from 'node:assert/strict';
import { createActor, fromPromise } from 'xstate';
import { createActorInspector, InspectionBus } from '../../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../../src/actors/inspection.ts';
import { probeMachine } from '../../../src/machines/probe.ts';
import type { RunCheckOutput } from '../../../src/machines/probe.ts';
import { activeStateIds, machineModel } from '../../../src/statechart/graph.ts';
import type { MachineModel, TransitionModel } from '../../../src/statechart/graph.ts';
import { layoutStatechart } from '../../../src/statechart/layout.ts';
import type { StatechartLayout } from '../../../src/statechart/layout.ts';
import { findDrawableMachine } from '../../../src/statechart/registry.ts';
import { takenEdges } from '../../../src/web/model/taken-edges.ts';

interface Chart {
  model: MachineModel;
  layout: StatechartLayout;
}

async function chart(name: string): Promise<Chart> {
  const drawable = findDrawableMachine(name);
  assert.ok(drawable !== undefined, name);
  const model = machineModel(drawable.machine);
  return { model, layout: await layoutStatechart(model) };
}

/** The taken edges as `source -> target label`, for readable assertions. */
function taken({ model, layout }: Chart, before: unknown, after: unknown, eventType?: string): string[] {
  const ids = takenEdges(model, layout.edges, activeStateIds(model, before), activeStateIds(model, after), eventType);
  return layout.edges.filter((edge) => ids.includes(edge.id)).map((edge) => `${edge.source} -> ${edge.target} ${edge.label}`);
}

type SnapshotRecord = Extract<InspectionRecord, { kind: 'snapshot' }>;

/**
 * Runs the real probe machine through one check with the given result, its records on a real bus
 * through the agent's inspector, and answers the snapshots up to the one where it waits again.
 */
async function oneProbeCycle(result: Omit<RunCheckOutput, 'durationMs' | 'checkedAt'>): Promise<SnapshotRecord[]> {
  const bus = new InspectionBus();
  const snapshots: SnapshotRecord[] = [];
  const inspector = createActorInspector('agent/probes/probe:web', bus);
  const machine = probeMachine.provide({ actors: { runCheck: fromPromise(() => Promise.resolve({ ...result, durationMs: 1, checkedAt: 1 })) } });
  let off: (() => void) | undefined;
  let done = false;
  const waited = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the probe did not finish its check within 5 s')), 5_000);
    off = bus.subscribe(
      (record) => {
        if (done || record.kind !== 'snapshot' || record.path !== 'agent/probes/probe:web') return;
        snapshots.push(record);
        if (JSON.stringify(record.value).includes('"waiting"')) {
          done = true;
          clearTimeout(deadline);
          resolve();
        }
      },
      { kinds: ['snapshot'] },
    );
  });
  const actor = createActor(machine, {
    input: { name: 'web', checker: 'tcp', severity: 'critical', intervalMs: 60_000, timeoutMs: 5_000, failuresBeforeFailed: 1, successesBeforeRunning: 1, config: {}, stateDir: '/nonexistent' },
    inspect: inspector.inspect,
  });
  inspector.setRoot(actor);
  try {
    actor.start();
    await waited;
  } finally {
    actor.stop();
    off?.();
  }
  return snapshots;
}

function event(model: MachineModel, predicate: (transition: TransitionModel) => boolean): string {
  const found = model.transitions.find(predicate)?.event;
  assert.ok(found !== undefined, 'no such transition');
  return found;
}

describe('web/taken-edges', () => {
  let node: Chart;
  let cluster: Chart;
  let probe: Chart;
  let hookJob: Chart;
  let idle: Chart;

  before(async () => {
    node = await chart('node');
    cluster = await chart('cluster');
    probe = await chart('probe');
    hookJob = await chart('hook-job');
    idle = await chart('idle');
  });

  it('follows an event through an eventless state the snapshots never show', () => {
    assert.deepEqual(taken(node, 'running', 'degraded', 'PROBE_RESULT'), [
      'node.evaluating -> node.degraded always [degraded]',
      'node.running -> node.evaluating PROBE_RESULT',
    ]);
  });

  it('takes a transition of the machine itself, narrowed to the event when known', () => {
    assert.deepEqual(taken(cluster, 'running', 'degraded', 'NODE_STATUS'), [
      'cluster -> cluster.evaluating NODE_STATUS',
      'cluster.evaluating -> cluster.degraded always',
    ]);
    assert.deepEqual(taken(cluster, 'running', 'degraded'), [
      'cluster -> cluster.evaluating NODE_STATUS',
      'cluster -> cluster.evaluating STATUS_HOOK',
      'cluster.evaluating -> cluster.degraded always',
    ]);
    assert.deepEqual(taken(probe, { active: { status: 'running', cycle: 'waiting' } }, 'stopped', 'SHUTDOWN'), ['probe -> probe.stopped SHUTDOWN']);
  });

  it('picks among parallel edges by the event, and leaves the other region alone', () => {
    const before = { active: { status: 'unknown', cycle: 'checking' } };
    const after = { active: { status: 'unknown', cycle: 'waiting' } };
    const timeout = event(probe.model, (transition) => transition.kind === 'after' && transition.source === 'probe.active.cycle.checking');
    assert.deepEqual(taken(probe, before, after, timeout), ['probe.active.cycle.checking -> probe.active.cycle.waiting after(timeout)']);
    const done = event(probe.model, (transition) => transition.kind === 'done.invoke');
    assert.deepEqual(taken(probe, before, after, done), [
      'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck) [inline]',
      'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck)',
    ]);
    assert.equal(taken(probe, before, after).length, 4);
  });

  it('lights only the transition a probe cycle took, of two alike ones, from what the snapshot names', async () => {
    for (const [result, expected] of [
      [{ status: 'running' }, ['probe.active.status.unknown -> probe.active.status.running probe.passed [enoughSuccesses]', 'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck) [inline]']],
      [{ status: 'failed', error: 'connection refused' }, ['probe.active.status.unknown -> probe.active.status.failed probe.failed [enoughFailures]', 'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck)']],
    ] as const) {
      const snapshots = await oneProbeCycle(result);
      const after = snapshots.at(-1);
      const before = snapshots.at(-2);
      assert.ok(after !== undefined && before !== undefined, `${snapshots.length} snapshots`);
      assert.ok(after.taken !== undefined, 'the snapshot names the transitions taken');
      const ids = takenEdges(probe.model, probe.layout.edges, activeStateIds(probe.model, before.value), activeStateIds(probe.model, after.value), undefined, after.taken);
      const lit = probe.layout.edges.filter((edge) => ids.includes(edge.id)).map((edge) => `${edge.source} -> ${edge.target} ${edge.label}`);
      assert.deepEqual(lit, expected, result.status);
    }
  });

  it('lights exactly one edge once the status holds: the cycle edge of the check taken', () => {
    const before = { active: { status: 'running', cycle: 'checking' } };
    const after = { active: { status: 'running', cycle: 'waiting' } };
    const done = event(probe.model, (transition) => transition.kind === 'done.invoke');
    const ids = takenEdges(probe.model, probe.layout.edges, activeStateIds(probe.model, before), activeStateIds(probe.model, after), done, [
      { source: 'probe.active.cycle.checking', event: done, index: 1 },
    ]);
    assert.deepEqual(
      probe.layout.edges.filter((edge) => ids.includes(edge.id)).map((edge) => edge.label),
      ['done(runCheck)'],
    );
    // A transition the drawn machine does not have: back to the guess from the states.
    const unknown = takenEdges(probe.model, probe.layout.edges, activeStateIds(probe.model, before), activeStateIds(probe.model, after), done, [
      { source: 'probe.active.cycle.checking', event: done, index: 7 },
    ]);
    assert.equal(unknown.length, 2);
  });

  it('flashes both regions when both changed, each by its own edges', () => {
    const before = { active: { status: 'unknown', cycle: 'checking' } };
    const after = { active: { status: 'running', cycle: 'waiting' } };
    const done = event(probe.model, (transition) => transition.kind === 'done.invoke');
    assert.deepEqual(taken(probe, before, after, done), [
      'probe.active.status.unknown -> probe.active.status.running probe.passed [enoughSuccesses]',
      'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck) [inline]',
      'probe.active.cycle.checking -> probe.active.cycle.waiting done(runCheck)',
    ]);
  });

  it('enters a compound state by the edge into it', () => {
    assert.deepEqual(taken(hookJob, 'pending', { running: 'attempting' }, 'START'), ['hookJob.pending -> hookJob.running START']);
    assert.deepEqual(taken(hookJob, 'pending', { running: 'attempting' }), [
      'hookJob.pending -> hookJob.running START',
      'hookJob.pending -> hookJob.running always [autoStart]',
    ]);
  });

  it('flashes a targetless or self transition only when the event names it', () => {
    assert.deepEqual(taken(idle, 'running', 'running', 'PING'), ['idle.running -> idle.running PING']);
    assert.deepEqual(taken(idle, 'running', 'running'), []);
    assert.deepEqual(taken(node, 'starting', 'starting', 'PROBE_RESULT'), ['node.starting -> node.starting PROBE_RESULT']);
    assert.deepEqual(taken(node, 'running', 'running', 'PROBE_RESULT'), []);
  });
});
