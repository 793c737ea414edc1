// The drawing model is read from the machine definitions: the probe's and the phase's states,
// events, guards, delays and invoked actors; `after` delays by name and in ms; guard combinators; the
// same edges as @xstate/graph's directed graph for every machine (plus the `always` transitions it
// leaves out); and the active states of a state value.

import assert from 'node:assert/strict';
import { toDirectedGraph } from '@xstate/graph';
import type { DirectedGraphNode } from '@xstate/graph';
import { not, setup } from 'xstate';
import { isGravityError } from '../../src/errors.ts';
import { activeStateIds, allStates, machineModel } from '../../src/statechart/graph.ts';
import type { MachineModel, TransitionModel } from '../../src/statechart/graph.ts';
import { drawableMachineNames, drawableMachines, findDrawableMachine } from '../../src/statechart/registry.ts';

function modelOf(name: string): MachineModel {
  const drawable = findDrawableMachine(name);
  assert.ok(drawable !== undefined, name);
  return machineModel(drawable.machine);
}

function find(model: MachineModel, predicate: (transition: TransitionModel) => boolean): TransitionModel {
  const found = model.transitions.find(predicate);
  assert.ok(found !== undefined, `no such transition in ${model.id}`);
  return found;
}

describe('statechart model', () => {
  it('registers every machine under its CLI name', () => {
    assert.deepEqual(drawableMachineNames(), ['probe', 'node', 'cluster', 'operation', 'plan', 'phase', 'hook-job', 'status-hook', 'supervisor', 'worker-host', 'task-pool', 'idle']);
    for (const entry of drawableMachines) assert.ok(entry.description.length > 10 && !entry.description.includes('\n'), entry.name);
  });

  it('probe: the parallel regions, the final state, the invoked check', () => {
    const model = modelOf('probe');
    const states = new Map(allStates(model).map((state) => [state.id, state]));
    assert.deepEqual([...states.keys()], [
      'probe',
      'probe.active',
      'probe.active.status',
      'probe.active.status.unknown',
      'probe.active.status.running',
      'probe.active.status.failed',
      'probe.active.cycle',
      'probe.active.cycle.checking',
      'probe.active.cycle.waiting',
      'probe.stopped',
    ]);
    assert.equal(states.get('probe')?.initial, 'probe.active');
    assert.equal(states.get('probe.active')?.kind, 'parallel');
    assert.equal(states.get('probe.active.status')?.kind, 'compound');
    assert.equal(states.get('probe.active.status')?.initial, 'probe.active.status.unknown');
    assert.equal(states.get('probe.stopped')?.kind, 'final');
    assert.deepEqual(states.get('probe.active.cycle.checking')?.invokes, ['runCheck']);
  });

  it('probe: events with their guards, delays by name, done and error of the invoked check', () => {
    const model = modelOf('probe');
    const shutdown = find(model, (t) => t.event === 'SHUTDOWN');
    assert.deepEqual([shutdown.source, shutdown.targets], ['probe', ['probe.stopped']]);
    const passed = find(model, (t) => t.source === 'probe.active.status.unknown' && t.event === 'probe.passed');
    assert.equal(passed.guard, 'enoughSuccesses');
    assert.equal(passed.label, 'probe.passed [enoughSuccesses]');
    assert.equal(find(model, (t) => t.event === 'probe.failed').guard, 'enoughFailures');
    const timeout = find(model, (t) => t.kind === 'after' && t.source === 'probe.active.cycle.checking');
    assert.deepEqual([timeout.delay, timeout.label, timeout.targets], ['timeout', 'after(timeout)', ['probe.active.cycle.waiting']]);
    assert.equal(find(model, (t) => t.kind === 'after' && t.source === 'probe.active.cycle.waiting').label, 'after(untilNextCheck)');
    const done = model.transitions.filter((t) => t.kind === 'done.invoke');
    assert.deepEqual(done.map((t) => [t.actor, t.label]), [['runCheck', 'done(runCheck) [inline]'], ['runCheck', 'done(runCheck)']]);
    assert.equal(find(model, (t) => t.kind === 'error.invoke').label, 'error(runCheck)');
    assert.equal(find(model, (t) => t.event === 'CHECK_NOW').targets[0], 'probe.active.cycle.checking');
  });

  it('phase: four invoking states, their done and error transitions, four final states', () => {
    const model = modelOf('phase');
    const states = allStates(model);
    assert.deepEqual(states.filter((s) => s.kind === 'final').map((s) => s.key), ['succeeded', 'failed', 'notStarted', 'notRecorded']);
    assert.deepEqual(
      states.filter((s) => s.invokes.length > 0).map((s) => [s.key, s.invokes[0]]),
      [['recordingStart', 'record'], ['inProgress', 'runPhase'], ['recordingSuccess', 'record'], ['recordingFailure', 'record']],
    );
    assert.deepEqual(
      model.transitions.map((t) => `${t.source.replace('phase.', '')} -${t.label}-> ${t.targets.map((id) => id.replace('phase.', '')).join(',')}`),
      [
        'recordingStart -done(record)-> inProgress',
        'recordingStart -error(record)-> notStarted',
        'inProgress -done(runPhase)-> recordingSuccess',
        'inProgress -error(runPhase)-> recordingFailure',
        'recordingSuccess -done(record)-> succeeded',
        'recordingSuccess -error(record)-> notRecorded',
        'recordingFailure -done(record)-> failed',
        'recordingFailure -error(record)-> notRecorded',
      ],
    );
  });

  it('hook-job and cluster: guarded `always` and `after` transitions', () => {
    const hookJob = modelOf('hook-job');
    const always = find(hookJob, (t) => t.kind === 'always');
    assert.deepEqual([always.source, always.guard, always.label, always.event], ['hookJob.pending', 'autoStart', 'always [autoStart]', undefined]);
    const deadline = find(hookJob, (t) => t.kind === 'after' && t.source === 'hookJob.running');
    assert.deepEqual([deadline.delay, deadline.guard, deadline.label], ['activeDeadline', 'hasDeadline', 'after(activeDeadline) [hasDeadline]']);
    const cluster = modelOf('cluster');
    assert.deepEqual(
      cluster.transitions.filter((t) => t.kind === 'always').map((t) => [t.guard, t.targets[0]]),
      [['healthy', 'cluster.running'], [undefined, 'cluster.degraded']],
    );
  });

  it('labels a delay in ms as `after Nms`, and guard combinators by their parts', () => {
    const machine = setup({ guards: { ready: () => true } }).createMachine({
      id: 'demo',
      initial: 'a',
      states: {
        a: { after: { 5000: { target: 'b', guard: not('ready') } } },
        b: { type: 'final' },
      },
    });
    const after = find(machineModel(machine), (t) => t.kind === 'after');
    assert.deepEqual([after.delay, after.guard, after.label], [5000, 'not(ready)', 'after 5000ms [not(ready)]']);
  });

  it("every machine: the same edges as @xstate/graph's directed graph, and every `always`", () => {
    for (const { name, machine } of drawableMachines) {
      const graphEdges = new Set<string>();
      const walk = (node: DirectedGraphNode): void => {
        for (const edge of node.edges) graphEdges.add(`${edge.source.id} -${edge.label.text}-> ${edge.target.id}`);
        node.children.forEach(walk);
      };
      walk(toDirectedGraph(machine));
      const model = machineModel(machine);
      const modelEdges = new Set(
        model.transitions
          .filter((t) => t.kind !== 'always')
          .flatMap((t) => (t.targets.length === 0 ? [t.source] : t.targets).map((target) => `${t.source} -${t.event ?? ''}-> ${target}`)),
      );
      assert.deepEqual([...modelEdges].sort(), [...graphEdges].sort(), name);
      const config = JSON.stringify(machine.config, (key, value: unknown) => (key === 'always' ? 'ALWAYS' : value));
      const alwaysInConfig = config.split('"ALWAYS"').length - 1;
      const statesWithAlways = new Set(model.transitions.filter((t) => t.kind === 'always').map((t) => t.source)).size;
      assert.equal(statesWithAlways, alwaysInConfig, `${name}: states with always transitions`);
    }
  });

  it('active states: the leaves a state value names and their ancestors', () => {
    const probe = modelOf('probe');
    assert.deepEqual(activeStateIds(probe, { active: { status: 'running', cycle: 'waiting' } }), [
      'probe.active',
      'probe.active.status',
      'probe.active.status.running',
      'probe.active.cycle',
      'probe.active.cycle.waiting',
    ]);
    assert.deepEqual(activeStateIds(probe, 'stopped'), ['probe.stopped']);
    assert.deepEqual(activeStateIds(modelOf('hook-job'), { running: 'waiting_to_retry' }), ['hookJob.running', 'hookJob.running.waiting_to_retry']);
  });

  it('active states: a value of another machine is E_STATECHART_MISMATCH', () => {
    const probe = modelOf('probe');
    for (const value of ['degraded', { active: { status: 'gone' } }, 42, ['active']]) {
      assert.throws(() => activeStateIds(probe, value), (error: unknown) => isGravityError(error, 'E_STATECHART_MISMATCH'), JSON.stringify(value));
    }
  });
});
