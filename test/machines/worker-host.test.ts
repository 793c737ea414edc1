// The worker host machine on its own: no thread, no comlink. Its effects are fakes provided through
// `provide()` that record what the machine asks for; its calls (start, stop) are promises the test
// settles, a ping is answered by sending the machine its answer, and its deadlines run on sinon's
// fake timers through the same clock adapter the host uses. Each test reads as the transitions it
// checks.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createActor, fromPromise } from 'xstate';
import type { Actor } from 'xstate';
import { systemClock, xstateClock } from '../../src/clock.ts';
import { workerHostMachine } from '../../src/machines/worker-host.ts';
import type {
  EndReason,
  HostFailure,
  StartFailure,
  StopChildInput,
  StopOutcome,
  WorkerHostEvent,
  WorkerHostInput,
} from '../../src/machines/worker-host.ts';
import type { ExitReason } from '../../src/supervisor/child.ts';

const timing: WorkerHostInput = { intervalMs: 1000, timeoutMs: 3000, loadTimeoutMs: 30_000 };

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** What the machine asked its host for, in order. */
type Effect =
  | { effect: 'spawnThread' }
  | { effect: 'ping' }
  | { effect: 'startChild' }
  | { effect: 'stopChild'; input: StopChildInput }
  | { effect: 'endThread'; end: EndReason }
  | { effect: 'startSucceeded' }
  | { effect: 'failStart'; failure: StartFailure }
  | { effect: 'reportChildExit'; reason: ExitReason }
  | { effect: 'reportFailure'; failure: HostFailure }
  | { effect: 'handOffGroups' }
  | { effect: 'settleStop'; outcome: StopOutcome | undefined };

function pending<T>(list: Pending<T>[]): Promise<T> {
  return new Promise<T>((resolve, reject) => list.push({ resolve, reject }));
}

/** Every actor a test made, stopped after it so that none keeps a timer. */
const made: Actor<typeof workerHostMachine>[] = [];

function host(input: WorkerHostInput = timing) {
  const effects: Effect[] = [];
  const starts: Pending<void>[] = [];
  const stops: Pending<ExitReason>[] = [];
  const machine = workerHostMachine.provide({
    actors: {
      startChild: fromPromise(() => {
        effects.push({ effect: 'startChild' });
        return pending(starts);
      }),
      stopChild: fromPromise<ExitReason, StopChildInput>(({ input: stopInput }) => {
        effects.push({ effect: 'stopChild', input: stopInput });
        return pending(stops);
      }),
    },
    actions: {
      spawnThread: () => effects.push({ effect: 'spawnThread' }),
      sendPing: () => effects.push({ effect: 'ping' }),
      endThread: (_, end) => effects.push({ effect: 'endThread', end }),
      startSucceeded: () => effects.push({ effect: 'startSucceeded' }),
      failStart: (_, failure) => effects.push({ effect: 'failStart', failure }),
      reportChildExit: (_, reason) => effects.push({ effect: 'reportChildExit', reason }),
      reportFailure: (_, failure) => effects.push({ effect: 'reportFailure', failure }),
      handOffGroups: () => effects.push({ effect: 'handOffGroups' }),
      settleStop: (_, outcome) => effects.push({ effect: 'settleStop', outcome }),
    },
  });
  const actor = createActor(machine, { input, clock: xstateClock(systemClock) });
  made.push(actor);
  actor.start();
  return {
    actor,
    effects,
    /** The effects asked for since the last call, by name, and forgets them. */
    taken(): string[] {
      return effects.splice(0).map((entry) => entry.effect);
    },
    /** The thread answers the ping in flight. */
    answerPing(): void {
      actor.send({ type: 'ping.answered' });
    },
    starts,
    stops,
    send(event: WorkerHostEvent): void {
      actor.send(event);
    },
  };
}

/** Where the machine is, as one line: `heartbeat/host` while alive, else the top-level state. */
function where(actor: Actor<typeof workerHostMachine>): string {
  const snapshot = actor.getSnapshot();
  if (typeof snapshot.value === 'string') return snapshot.value;
  const value = snapshot.value as { alive: { heartbeat: string | Record<string, string>; host: string } };
  const { heartbeat, host: lifecycle } = value.alive;
  const beat = typeof heartbeat === 'string' ? heartbeat : Object.entries(heartbeat).map(([state, sub]) => `${state}.${sub}`)[0];
  return `${beat}/${lifecycle}`;
}

/** Lets settled promises reach the machine, without letting any timer fire. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
}

const clean: ExitReason = { kind: 'shutdown' };
/** The extra timer turn after a deadline: a 0 ms timer, which fires 1 ms later (as Node's do). */
const graceTurnMs = 1;

describe('machines/worker-host', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    for (const actor of made.splice(0)) actor.stop();
    assert.equal(clock.countTimers(), 0, 'a stopped host keeps no timer');
    clock.restore();
  });

  /** A host whose thread has loaded and whose child runs. */
  async function running(input?: WorkerHostInput) {
    const h = host(input);
    h.send({ type: 'start' });
    h.answerPing();
    h.starts[0]?.resolve();
    await settle();
    assert.equal(where(h.actor), 'waiting/running');
    h.taken();
    return h;
  }

  it('created → alive on start: the thread is taken, then pinged, then the child started', () => {
    const h = host();
    assert.equal(where(h.actor), 'created');
    assert.deepEqual(h.taken(), []);
    h.send({ type: 'start' });
    assert.equal(where(h.actor), 'loading.on_time/starting');
    assert.deepEqual(h.taken(), ['spawnThread', 'ping', 'startChild']);
  });

  it('loading → waiting on the first answer; starting → running when the start is done', async () => {
    const h = host();
    h.send({ type: 'start' });
    h.answerPing();
    await settle();
    assert.equal(where(h.actor), 'waiting/starting');
    h.starts[0]?.resolve();
    await settle();
    assert.equal(where(h.actor), 'waiting/running');
    assert.deepEqual(h.taken(), ['spawnThread', 'ping', 'startChild', 'startSucceeded']);
  });

  it('loading → load_timed_out at the load deadline plus one timer turn: the start fails, the thread is ended', async () => {
    const h = host();
    h.send({ type: 'start' });
    h.taken();
    await clock.tickAsync(timing.loadTimeoutMs - 1);
    assert.equal(where(h.actor), 'loading.on_time/starting');
    await clock.tickAsync(1);
    assert.equal(where(h.actor), 'loading.overdue/starting', 'one more turn for an answer already in');
    await clock.tickAsync(graceTurnMs);
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [
      { effect: 'endThread', end: { why: 'failed', failure: { kind: 'load_timeout' } } },
      { effect: 'failStart', failure: { kind: 'thread', failure: { kind: 'load_timeout' } } },
    ]);
    h.taken();
    h.send({ type: 'thread.exited', code: 1 });
    assert.equal(where(h.actor), 'terminated');
    assert.deepEqual(h.effects, [{ effect: 'handOffGroups' }, { effect: 'settleStop', outcome: undefined }]);
    assert.equal(h.actor.getSnapshot().status, 'done');
  });

  it('loading.overdue → waiting when the answer is read within the extra turn', async () => {
    const h = host();
    h.send({ type: 'start' });
    await clock.tickAsync(timing.loadTimeoutMs);
    assert.equal(where(h.actor), 'loading.overdue/starting');
    h.answerPing();
    await settle();
    assert.equal(where(h.actor), 'waiting/starting');
    await clock.tickAsync(graceTurnMs);
    assert.equal(where(h.actor), 'waiting/starting');
  });

  it('running: waiting → pinging every interval after the last answer, → waiting on the answer', async () => {
    const h = await running();
    await clock.tickAsync(timing.intervalMs - 1);
    assert.deepEqual(h.taken(), []);
    await clock.tickAsync(1);
    assert.equal(where(h.actor), 'pinging.on_time/running');
    assert.deepEqual(h.taken(), ['ping']);
    await clock.tickAsync(2000);
    h.answerPing();
    await settle();
    assert.equal(where(h.actor), 'waiting/running');
    await clock.tickAsync(timing.intervalMs);
    assert.deepEqual(h.taken(), ['ping'], 'the next ping an interval after the answer');
  });

  it('running → heartbeat missed → exiting: reported as a failure once, the thread ended', async () => {
    const h = await running();
    await clock.tickAsync(timing.intervalMs + timing.timeoutMs);
    assert.equal(where(h.actor), 'pinging.overdue/running');
    await clock.tickAsync(graceTurnMs);
    assert.equal(where(h.actor), 'exiting');
    const missed: HostFailure = { kind: 'heartbeat_missed' };
    assert.deepEqual(h.effects, [
      { effect: 'ping' },
      { effect: 'endThread', end: { why: 'failed', failure: missed } },
      { effect: 'reportFailure', failure: missed },
    ]);
    assert.deepEqual(h.actor.getSnapshot().context.failure, missed);
    h.taken();
    // Exiting: no more deadlines, and further failures change nothing.
    h.send({ type: 'thread.failed', failure: { kind: 'crashed', error: new Error('late') } });
    h.send({ type: 'child.exited', reason: { kind: 'normal' } });
    await clock.tickAsync(60_000);
    assert.deepEqual(h.taken(), []);
    h.send({ type: 'thread.exited', code: 1 });
    assert.equal(where(h.actor), 'terminated');
    assert.deepEqual(h.taken(), ['handOffGroups', 'settleStop']);
  });

  it('running → crashed: an uncaught throw is reported, then exiting → terminated on the exit', async () => {
    const h = await running();
    const error = new Error('boom');
    h.send({ type: 'thread.failed', failure: { kind: 'crashed', error } });
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.taken(), ['endThread', 'reportFailure']);
    h.send({ type: 'thread.exited', code: 1 });
    assert.equal(where(h.actor), 'terminated');
    assert.deepEqual(h.taken(), ['handOffGroups', 'settleStop']);
    assert.equal(clock.countTimers(), 0, 'no timer left behind');
  });

  it('running → terminated on an exit nobody asked for: reported with its code, groups handed off at once', async () => {
    const h = await running();
    h.send({ type: 'thread.exited', code: 3 });
    assert.equal(where(h.actor), 'terminated');
    const exited: HostFailure = { kind: 'exited', code: 3 };
    assert.deepEqual(h.effects, [
      { effect: 'endThread', end: { why: 'failed', failure: exited } },
      { effect: 'reportFailure', failure: exited },
      { effect: 'handOffGroups' },
      { effect: 'settleStop', outcome: undefined },
    ]);
    assert.equal(clock.countTimers(), 0);
  });

  it("running → exiting when the hosted child exits by itself: the child's own reason is reported", async () => {
    const h = await running();
    const reason: ExitReason = { kind: 'error', error: { name: 'Error', message: 'child failed' } };
    h.send({ type: 'child.exited', reason });
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [
      { effect: 'endThread', end: { why: 'child_exited' } },
      { effect: 'reportChildExit', reason },
    ]);
  });

  it('starting: a child exit during the start is reported once the start has succeeded', async () => {
    const h = host();
    h.send({ type: 'start' });
    h.answerPing();
    h.send({ type: 'child.exited', reason: { kind: 'normal' } });
    assert.equal(where(h.actor), 'waiting/starting');
    h.taken();
    h.starts[0]?.resolve();
    await settle();
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [
      { effect: 'startSucceeded' },
      { effect: 'endThread', end: { why: 'child_exited' } },
      { effect: 'reportChildExit', reason: { kind: 'normal' } },
    ]);
  });

  it('starting → exiting when the start fails: the start rejects with its error, nothing is reported', async () => {
    const h = host();
    h.send({ type: 'start' });
    h.answerPing();
    h.taken();
    const error = new Error('no such export');
    h.starts[0]?.reject(error);
    await settle();
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [
      { effect: 'endThread', end: { why: 'start_failed' } },
      { effect: 'failStart', failure: { kind: 'start_error', error } },
    ]);
  });

  it('starting → exiting when the heartbeat is missed during a start that hangs the thread', async () => {
    const h = host();
    h.send({ type: 'start' });
    h.answerPing();
    await settle();
    await clock.tickAsync(timing.intervalMs + timing.timeoutMs);
    await clock.tickAsync(graceTurnMs);
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(
      h.effects.filter((entry) => entry.effect === 'failStart' || entry.effect === 'reportFailure'),
      [{ effect: 'failStart', failure: { kind: 'thread', failure: { kind: 'heartbeat_missed' } } }],
    );
  });

  it('running → stopping → exiting → terminated: an orderly stop, settled with the child\'s reason once the thread is gone', async () => {
    const h = await running();
    h.send({ type: 'stop', shutdown: 2000 });
    assert.equal(where(h.actor), 'waiting/stopping');
    assert.deepEqual(h.effects, [{ effect: 'stopChild', input: { shutdown: 2000 } }]);
    h.taken();
    h.stops[0]?.resolve(clean);
    await settle();
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [{ effect: 'endThread', end: { why: 'stopped' } }]);
    h.taken();
    h.send({ type: 'thread.exited', code: 1 });
    assert.equal(where(h.actor), 'terminated');
    assert.deepEqual(h.effects, [{ effect: 'handOffGroups' }, { effect: 'settleStop', outcome: { kind: 'stopped', reason: clean } }]);
    assert.equal(clock.countTimers(), 0);
  });

  it('stopping → exiting at the backstop (shutdown + heartbeat timeout): killed', async () => {
    // A long heartbeat interval keeps the pings out of the way: only the backstop can fire.
    const h = await running({ ...timing, intervalMs: 60_000 });
    h.send({ type: 'stop', shutdown: 500 });
    h.taken();
    await clock.tickAsync(500 + timing.timeoutMs - 1);
    assert.equal(where(h.actor), 'waiting/stopping');
    await clock.tickAsync(1);
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [{ effect: 'endThread', end: { why: 'stopped' } }]);
    h.taken();
    h.send({ type: 'thread.exited', code: 1 });
    assert.deepEqual(h.effects, [{ effect: 'handOffGroups' }, { effect: 'settleStop', outcome: { kind: 'killed' } }]);
  });

  it("stopping with shutdown 'infinity' has no backstop: it waits on the heartbeat alone", async () => {
    const h = await running({ ...timing, intervalMs: 60_000 });
    h.send({ type: 'stop', shutdown: 'infinity' });
    await clock.tickAsync(59_999);
    assert.equal(where(h.actor), 'waiting/stopping');
  });

  it('stopping → exiting on kill (a brutal stop while an orderly one is pending): killed', async () => {
    const h = await running();
    h.send({ type: 'stop', shutdown: 20_000 });
    h.send({ type: 'kill' });
    assert.equal(where(h.actor), 'exiting');
    h.send({ type: 'thread.exited', code: 1 });
    assert.deepEqual(h.effects.at(-1), { effect: 'settleStop', outcome: { kind: 'killed' } });
  });

  it('running → exiting on kill: killed at once, no exit reported', async () => {
    const h = await running();
    h.send({ type: 'kill' });
    assert.equal(where(h.actor), 'exiting');
    h.send({ type: 'thread.exited', code: 1 });
    assert.deepEqual(h.taken(), ['endThread', 'handOffGroups', 'settleStop']);
  });

  it('stopping: a missed heartbeat ends the stop as killed, a crash as failed; neither is an exit report', async () => {
    const unresponsive = await running();
    unresponsive.send({ type: 'stop', shutdown: 'infinity' });
    await clock.tickAsync(timing.intervalMs + timing.timeoutMs);
    await clock.tickAsync(graceTurnMs);
    assert.equal(where(unresponsive.actor), 'exiting');
    unresponsive.send({ type: 'thread.exited', code: 1 });
    assert.deepEqual(unresponsive.effects.at(-1), { effect: 'settleStop', outcome: { kind: 'killed' } });
    assert.ok(!unresponsive.effects.some((entry) => entry.effect === 'reportFailure'));

    const crashing = await running();
    crashing.send({ type: 'stop', shutdown: 1000 });
    const failure: HostFailure = { kind: 'crashed', error: new Error('boom') };
    crashing.send({ type: 'thread.failed', failure });
    crashing.send({ type: 'thread.exited', code: 1 });
    assert.equal(where(crashing.actor), 'terminated');
    assert.deepEqual(crashing.effects.at(-1), { effect: 'settleStop', outcome: { kind: 'failed', failure } });
    assert.ok(!crashing.effects.some((entry) => entry.effect === 'reportFailure'));
  });

  it('starting → exiting on stop: the start fails, the stop is settled as killed', () => {
    const h = host();
    h.send({ type: 'start' });
    h.taken();
    h.send({ type: 'stop', shutdown: 1000 });
    assert.equal(where(h.actor), 'exiting');
    assert.deepEqual(h.effects, [
      { effect: 'endThread', end: { why: 'stopped' } },
      { effect: 'failStart', failure: { kind: 'stopped' } },
    ]);
    h.send({ type: 'thread.exited', code: 1 });
    assert.deepEqual(h.effects.at(-1), { effect: 'settleStop', outcome: { kind: 'killed' } });
  });
});
