// The edges a chart flashes between two state values, on the real machines and their layouts: the
// event's edge when it is known, every candidate when not, eventless steps included, targetless and
// self transitions only when the event names them, and nothing else.

import assert from 'node:assert/strict';
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
