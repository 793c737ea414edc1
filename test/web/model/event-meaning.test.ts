// Events by what they mean, for the machines the agent runs: the event types are taken from each
// machine's real definition (so a renamed delay or invoke shows here), the payloads are what the
// actors send.

import assert from 'node:assert/strict';
import type { MachineModel, TransitionModel } from '../../../src/statechart/graph.ts';
import { machineModel } from '../../../src/statechart/graph.ts';
import { findDrawableMachine } from '../../../src/statechart/registry.ts';
import type { RecordedEvent } from '../../../src/web/model/event-meaning.ts';
import { eventMeaning } from '../../../src/web/model/event-meaning.ts';
import { recordText } from '../../../src/web/model/record-text.ts';

function model(name: string): MachineModel {
  const drawable = findDrawableMachine(name);
  assert.ok(drawable !== undefined, name);
  return machineModel(drawable.machine);
}

function eventOf(machine: MachineModel, predicate: (transition: TransitionModel) => boolean): string {
  const found = machine.transitions.find(predicate)?.event;
  assert.ok(found !== undefined, `no such transition in ${machine.id}`);
  return found;
}

const label = (event: RecordedEvent, machine: string): string => eventMeaning(event, machine).label;

describe('web/event-meaning', () => {
  it("says what a probe's events mean, and keeps the raw type", () => {
    const probe = model('probe');
    const done = eventOf(probe, (transition) => transition.kind === 'done.invoke' && transition.actor === 'runCheck');
    const error = eventOf(probe, (transition) => transition.kind === 'error.invoke');
    const next = eventOf(probe, (transition) => transition.kind === 'after' && transition.delay === 'untilNextCheck');
    const timeout = eventOf(probe, (transition) => transition.kind === 'after' && transition.delay === 'timeout');
    assert.match(done, /^xstate\.done\.actor\./u);
    assert.deepEqual(eventMeaning({ type: done, output: { status: 'running', durationMs: 3, checkedAt: 1 } }, 'probe'), {
      label: 'check finished: passed',
      raw: done,
    });
    assert.equal(label({ type: done, output: { status: 'failed', error: 'connection refused', durationMs: 3, checkedAt: 1 } }, 'probe'), 'check finished: failed (connection refused)');
    assert.equal(label({ type: done, output: { status: 'failed', durationMs: 3, checkedAt: 1 } }, 'probe'), 'check finished: failed');
    assert.equal(label({ type: error, error: { name: 'Error', message: 'no such checker' } }, 'probe'), 'check crashed (no such checker)');
    assert.equal(label({ type: next }, 'probe'), 'timer: next check');
    assert.equal(label({ type: timeout }, 'probe'), 'timer: check timed out');
    assert.equal(label({ type: 'xstate.init', input: {} }, 'probe'), 'probe started');
    assert.equal(label({ type: 'SHUTDOWN' }, 'probe'), 'shutdown');
    assert.equal(label({ type: 'CHECK_NOW' }, 'probe'), 'check now (asked for)');
  });

  it("says what the node's and the cluster's events mean, from their payloads", () => {
    assert.equal(label({ type: 'PROBE_RESULT', probe: 'web', status: 'failed', severity: 'critical', error: 'connection refused' }, 'node'), 'probe web: failed (connection refused)');
    assert.equal(label({ type: 'PROBE_RESULT', probe: 'web', status: 'running', severity: 'critical' }, 'node'), 'probe web: running');
    assert.equal(label({ type: 'NODE_STATUS', node: 'node-1', status: 'degraded' }, 'cluster'), 'node node-1: degraded');
    assert.equal(label({ type: 'STATUS_HOOK', result: 'failed', message: 'exit code 1' }, 'cluster'), 'status hook: failed (exit code 1)');
    assert.equal(label({ type: 'SHUTDOWN' }, 'cluster'), 'shutdown');
  });

  it("says what a hook job's events mean: its attempts' outcomes and its timers", () => {
    const hookJob = model('hook-job');
    const done = eventOf(hookJob, (transition) => transition.kind === 'done.invoke');
    const error = eventOf(hookJob, (transition) => transition.kind === 'error.invoke');
    const deadline = eventOf(hookJob, (transition) => transition.kind === 'after' && transition.delay === 'activeDeadline');
    const retry = eventOf(hookJob, (transition) => transition.kind === 'after' && transition.delay === 'retryBackoff');
    const outcome = { signal: null, output: '', timedOut: false, aborted: false, durationMs: 5 };
    assert.equal(label({ type: done, output: { ...outcome, exitCode: 0 } }, 'hook-job'), 'attempt finished: succeeded');
    assert.equal(label({ type: done, output: { ...outcome, exitCode: 1 } }, 'hook-job'), 'attempt finished: failed (exit code 1)');
    assert.equal(label({ type: done, output: { ...outcome, exitCode: null, timedOut: true } }, 'hook-job'), 'attempt finished: timed out');
    assert.equal(label({ type: done, output: { ...outcome, exitCode: null, signal: 'SIGKILL' } }, 'hook-job'), 'attempt finished: failed (killed by SIGKILL)');
    assert.equal(label({ type: done, output: { ...outcome, exitCode: null, error: 'no such program: hook' } }, 'hook-job'), 'attempt finished: failed (no such program: hook)');
    assert.equal(label({ type: error, error: { name: 'Error', message: 'spawn failed' } }, 'hook-job'), 'attempt crashed (spawn failed)');
    assert.equal(label({ type: deadline }, 'hook-job'), 'timer: deadline reached');
    assert.equal(label({ type: retry }, 'hook-job'), 'timer: retry');
    assert.equal(label({ type: 'START' }, 'hook-job'), 'job started');
  });

  it("says what a status hook's events mean: its job's result, its timer", () => {
    const statusHook = model('status-hook');
    const done = eventOf(statusHook, (transition) => transition.kind === 'done.invoke');
    const error = eventOf(statusHook, (transition) => transition.kind === 'error.invoke');
    const interval = eventOf(statusHook, (transition) => transition.kind === 'after' && transition.delay === 'interval');
    const output = { name: 'status', attempts: 1, lastExitCode: 3, lastOutput: 'db down\n' };
    assert.equal(label({ type: done, output: { ...output, result: 'succeeded', message: 'hook status succeeded' } }, 'status-hook'), 'status hook run finished: passed');
    assert.equal(
      label({ type: done, output: { ...output, result: 'failed', message: 'hook status failed: exit code 3: db down' } }, 'status-hook'),
      'status hook run finished: failed (hook status failed: exit code 3: db down)',
    );
    assert.equal(
      label({ type: done, output: { ...output, result: 'deadline_exceeded', message: 'hook status exceeded its deadline of 5s' } }, 'status-hook'),
      'status hook run finished: deadline exceeded (hook status exceeded its deadline of 5s)',
    );
    assert.equal(label({ type: error, error: { name: 'Error', message: 'broken' } }, 'status-hook'), 'status hook run crashed (broken)');
    assert.equal(label({ type: interval }, 'status-hook'), 'timer: next run');
    assert.equal(label({ type: 'RUN_NOW' }, 'status-hook'), 'run now (asked for)');
  });

  it("says what a supervised child's events mean, for every event its machine takes", () => {
    const supervised = model('supervisor');
    const events = [...new Set(supervised.transitions.flatMap((transition) => (transition.event === undefined ? [] : [transition.event])))];
    const expected: Record<string, string> = {
      start: 'start asked for',
      started: 'started, running',
      'start.failed': 'start failed',
      crashed: 'crashed',
      ended: 'ended on its own',
      'restart.scheduled': 'restart scheduled',
      stop: 'stop asked for',
      stopped: 'stopped',
      killed: 'killed',
    };
    assert.deepEqual(events.sort(), Object.keys(expected).sort(), 'every event the machine takes is described here');
    for (const type of events) assert.equal(label({ type }, 'supervisor'), expected[type]);
  });

  it('falls back to words for any machine, and to the raw type for an event it does not know', () => {
    assert.equal(label({ type: 'xstate.done.actor.0.plan.running' }, 'plan'), 'invoked actor finished');
    assert.equal(label({ type: 'xstate.after.1000.idle.running' }, 'idle'), 'timer: 1000 ms passed');
    assert.equal(label({ type: 'xstate.after.backoff.x.y' }, 'unknown'), 'timer: backoff');
    assert.deepEqual(eventMeaning({ type: 'PING' }, 'idle'), { label: 'PING', raw: 'PING' });
    assert.deepEqual(eventMeaning({ type: 'PING' }), { label: 'PING', raw: 'PING' });
  });

  it("is what the actors page's list shows for an event record", () => {
    const record = { kind: 'event', path: 'agent/probes/probe:web', time: 0, event: { type: 'xstate.after.untilNextCheck.probe.active.cycle.waiting' } } as const;
    assert.equal(recordText(record, 'probe'), 'timer: next check');
    assert.equal(recordText({ ...record, source: 'probe:web' }, 'probe'), 'timer: next check', 'its own timer: no sender named');
    const result = { kind: 'event', path: 'agent/node:node-1', time: 0, event: { type: 'PROBE_RESULT', probe: 'web', status: 'running', severity: 'critical' } } as const;
    assert.equal(recordText({ ...result, source: 'probe:web' }, 'node'), 'probe web: running (from probe:web)');
  });
});
