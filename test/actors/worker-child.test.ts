// The worker-thread host on its own (no supervisor): a child spec started on a real worker thread
// through startWorkerChild, with the main-side contract a supervisor relies on: events in, inspection
// records out under the child's path, describe(), orderly and brutal stops, start failures rebuilt
// with their codes, no thread left behind, inspection forwarded only as far as it is wanted, and
// deadlines kept on the child's clock.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { EventObject } from 'xstate';
import { startWorkerChild, liveWorkerThreads } from '../../src/actors/worker-child.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';
import { compileSupervisorSpec, defaultHeartbeat } from '../../src/supervisor/spec.ts';
import type { ChildSpec, ChildSpecInput, HeartbeatSpec } from '../../src/supervisor/spec.ts';
import type { ChildContext, ExitReason, RunningChild } from '../../src/supervisor/child.ts';
import { counterMachine } from '../fixtures/worker-counter.ts';
import { waitFor } from '../helpers/wait.ts';

const fixture = (name: string): string => new URL(`../fixtures/${name}.ts`, import.meta.url).href;

function compileChild(child: ChildSpecInput): ChildSpec {
  const [compiled] = compileSupervisorSpec({ children: [child] }).children;
  assert.ok(compiled);
  return compiled;
}

interface Probe {
  context: ChildContext;
  records: InspectionRecord[];
  exits: ExitReason[];
}

function probeContext(path: string, heartbeat?: Partial<HeartbeatSpec>): Probe {
  const bus = new InspectionBus();
  const records: InspectionRecord[] = [];
  const exits: ExitReason[] = [];
  bus.subscribe((record) => records.push(record));
  const context: ChildContext = {
    path,
    bus,
    clock: systemClock,
    onExit: (reason) => exits.push(reason),
    ...(heartbeat === undefined ? {} : { heartbeat: { ...defaultHeartbeat, ...heartbeat } }),
  };
  return { context, records, exits };
}

const eventsOf = (records: InspectionRecord[], path: string, type: string): InspectionRecord[] =>
  records.filter((record) => record.kind === 'event' && record.path === path && record.event.type === type);

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

/** How `promise` settles within `ms` ('pending' if it has not by then). */
async function settlement(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved' as const,
        () => 'rejected' as const,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** True if `child` does not answer describe() within `ms` (the late answer or rejection is ignored). */
async function isSilent(child: RunningChild, ms: number): Promise<boolean> {
  const answer = child.describe().then(
    () => 'answered' as const,
    () => 'rejected' as const,
  );
  const silence = new Promise<'silent'>((resolve) => setTimeout(() => resolve('silent'), ms));
  return (await Promise.race([answer, silence])) === 'silent';
}

describe('worker-hosted child (startWorkerChild)', function () {
  this.timeout(30_000);
  const started: RunningChild[] = [];

  async function start(spec: ChildSpec, context: ChildContext): Promise<RunningChild> {
    const child = await startWorkerChild(spec, context);
    started.push(child);
    return child;
  }

  afterEach(async () => {
    await Promise.all(started.splice(0).map((child) => child.stop('brutal')));
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'every worker thread to exit');
  });

  it('runs an actor on a worker thread: events cross, records carry the path, describe answers', async () => {
    const path = 'agent/probes/probe:x';
    const { context, records, exits } = probeContext(path);
    const child = await start(
      compileChild({ id: 'probe:x', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
      context,
    );
    assert.equal(liveWorkerThreads(), 1);
    for (let i = 0; i < 3; i += 1) child.send({ type: 'TICK' });
    await waitFor(() => eventsOf(records, path, 'TICK').length === 3, 5000, 'three TICK records');
    assert.ok(records.some((record) => record.kind === 'actor.created' && record.path === path));
    assert.ok(records.every((record) => record.path === path));
    assert.deepEqual(await child.describe(), { actorState: 'counting' });
    assert.deepEqual(exits, []);
  });

  it('an event that cannot be cloned is dropped with a warning; the others in its batch still cross', async () => {
    const path = 'agent/counter';
    const { context, records } = probeContext(path);
    const child = await start(
      compileChild({ id: 'counter', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
      context,
    );
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      child.send({ type: 'TICK' });
      child.send({ type: 'TICK', callback: () => undefined } as EventObject);
      child.send({ type: 'TICK' });
      await waitFor(() => eventsOf(records, path, 'TICK').length === 2, 5000, 'the two clonable TICKs');
      await waitFor(() => warnings.length === 1, 5000, 'the warning');
      assert.equal((warnings[0] as Error & { code?: string }).code, 'GRAVITY_EVENT_UNCLONABLE');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('stops in order: the actor handles SHUTDOWN, its last records arrive first, then the thread ends', async () => {
    const path = 'agent/counter';
    const { context, records, exits } = probeContext(path);
    const child = await start(
      compileChild({ id: 'counter', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
      context,
    );
    assert.deepEqual(await child.stop(2000), { kind: 'shutdown' });
    // The stop resolved only after the thread was gone and its records were in.
    assert.equal(liveWorkerThreads(), 0);
    assert.ok(eventsOf(records, path, 'SHUTDOWN').length === 1);
    assert.ok(records.some((record) => record.kind === 'actor.stopped' && record.status === 'done'));
    // Afterwards: calls reject with a clear code, sends are dropped, a second stop is harmless.
    const late = await rejectionOf(child.describe());
    assert.ok(isGravityError(late, 'E_WORKER_EXITED'));
    child.send({ type: 'TICK' });
    assert.deepEqual(await child.stop(1000), { kind: 'shutdown' });
    assert.deepEqual(exits, [], 'a requested stop is not an exit');
  });

  it('a brutal stop kills the thread at once', async () => {
    const { context, exits } = probeContext('agent/slow');
    const child = await start(
      compileChild({ id: 'slow', thread: 'worker', start: { module: fixture('worker-counter'), export: 'slowShutdownMachine' } }),
      context,
    );
    const began = Date.now();
    assert.deepEqual(await child.stop('brutal'), { kind: 'shutdown', killed: true });
    assert.ok(Date.now() - began < 2000);
    assert.equal(liveWorkerThreads(), 0);
    assert.deepEqual(exits, []);
  });

  it('a brutal stop while a graceful stop is pending kills at once, and both resolve', async () => {
    const path = 'agent/slow';
    const { context, records } = probeContext(path);
    const child = await start(
      compileChild({ id: 'slow', thread: 'worker', start: { module: fixture('worker-counter'), export: 'slowShutdownMachine' } }),
      context,
    );
    const began = Date.now();
    const graceful = child.stop(20_000);
    await waitFor(
      () => records.some((record) => record.kind === 'snapshot' && record.value === 'draining'),
      5000,
      'the child to start draining',
    );
    const brutal = child.stop('brutal');
    const [first, second] = await Promise.all([graceful, brutal]);
    assert.deepEqual(first, { kind: 'shutdown', killed: true });
    assert.deepEqual(second, { kind: 'shutdown', killed: true });
    assert.ok(Date.now() - began < 10_000, 'did not wait for the graceful shutdown time');
    assert.equal(liveWorkerThreads(), 0);
  });

  it('a child that does not finish its shutdown in time is killed by the worker', async () => {
    const { context } = probeContext('agent/slow');
    const child = await start(
      compileChild({ id: 'slow', thread: 'worker', start: { module: fixture('worker-counter'), export: 'slowShutdownMachine' } }),
      context,
    );
    assert.deepEqual(await child.stop(200), { kind: 'shutdown', killed: true });
    assert.equal(liveWorkerThreads(), 0);
  });

  it('a graceful stop of a thread that no longer answers ends with a kill, not a hang', async () => {
    const { context, exits } = probeContext('agent/hang', { intervalMs: 50, timeoutMs: 300 });
    const child = await start(
      compileChild({ id: 'hang', thread: 'worker', start: { module: fixture('worker-hang'), export: 'hangsOnEvent' } }),
      context,
    );
    child.send({ type: 'HANG' });
    await waitFor(() => isSilent(child, 100), 5000, 'the worker to stop answering');
    const began = Date.now();
    assert.deepEqual(await child.stop(200), { kind: 'shutdown', killed: true });
    assert.ok(Date.now() - began < 5000);
    assert.equal(liveWorkerThreads(), 0);
    assert.deepEqual(exits, [], 'the stop was requested: no exit report');
  });

  it('a child that throws at start: start rejects with the worker-side error, rebuilt, and the thread ends', async () => {
    const { context, exits } = probeContext('agent/bad');
    const error = await rejectionOf(
      startWorkerChild(
        compileChild({ id: 'bad', thread: 'worker', start: { module: fixture('worker-throw-at-start'), export: 'throwsAtStart' } }),
        context,
      ),
    );
    assert.ok(error instanceof Error);
    assert.match(error.stack ?? '', /worker-throw-at-start\.ts/, 'the stack is the one thrown in the worker');
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to end');
    assert.deepEqual(exits, []);
  });

  it('a child that hangs while starting: the heartbeat ends the thread and the start rejects', async () => {
    const { context } = probeContext('agent/stuck', { intervalMs: 100, timeoutMs: 400 });
    const began = Date.now();
    const error = await rejectionOf(
      startWorkerChild(
        compileChild({ id: 'stuck', thread: 'worker', start: { module: fixture('worker-hang'), export: 'hangsAtStart' } }),
        context,
      ),
    );
    assert.ok(isGravityError(error, 'E_WORKER_EXITED'));
    assert.ok(isGravityError(error.cause, 'E_WORKER_UNRESPONSIVE'));
    assert.ok(Date.now() - began < 10_000);
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to end');
  });

  it('a thread that never loads its code: the load deadline ends it, the start rejects with E_WORKER_UNRESPONSIVE', async () => {
    const { context, exits } = probeContext('agent/unloaded', { loadTimeoutMs: 300 });
    const began = Date.now();
    const starting = startWorkerChild(
      compileChild({ id: 'unloaded', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
      { ...context, workerEntry: new URL('../fixtures/worker-entry-hangs.ts', import.meta.url) },
    );
    starting.catch(() => undefined); // observed below; never unhandled if the assertion fails first
    assert.equal(await settlement(starting, 5000), 'rejected', 'the start settled within the load deadline (plus slack)');
    const elapsed = Date.now() - began;
    const error = await rejectionOf(starting);
    assert.ok(isGravityError(error, 'E_WORKER_UNRESPONSIVE'), String(error));
    assert.match(error.message, /^agent\/unloaded: the worker thread did not load its code within 300 ms$/);
    assert.ok(elapsed >= 300, `not before the deadline (${elapsed} ms)`);
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to be terminated');
    assert.deepEqual(exits, [], 'a failed start is not an exit');
  });

  it("the deadlines run on the child's clock: fake timers decide the load deadline, no real wait", async () => {
    const { context, exits } = probeContext('agent/unloaded', { loadTimeoutMs: 600_000 });
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let starting: Promise<RunningChild>;
    try {
      starting = startWorkerChild(
        compileChild({ id: 'unloaded', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
        { ...context, workerEntry: new URL('../fixtures/worker-entry-hangs.ts', import.meta.url) },
      );
      starting.catch(() => undefined); // observed below
      await clock.tickAsync(600_000 - 1);
      assert.equal(liveWorkerThreads(), 1, 'not before the deadline');
      await clock.tickAsync(1); // the deadline
      await clock.tickAsync(1); // and the one more timer turn it gives an answer already in
    } finally {
      clock.restore();
    }
    const error = await rejectionOf(starting);
    assert.ok(isGravityError(error, 'E_WORKER_UNRESPONSIVE'), String(error));
    assert.match(error.message, /within 600000 ms$/);
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to be terminated');
    assert.deepEqual(exits, []);
  });

  it('error codes cross the boundary: an unknown export is E_ACTOR_UNKNOWN on the main thread', async () => {
    const { context } = probeContext('agent/missing');
    const error = await rejectionOf(
      startWorkerChild(
        compileChild({ id: 'missing', thread: 'worker', start: { module: fixture('worker-counter'), export: 'noSuchMachine' } }),
        context,
      ),
    );
    assert.ok(isGravityError(error, 'E_ACTOR_UNKNOWN'));
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to end');
  });

  it('refuses a spec whose logic is given in code, before anything crosses', async () => {
    const { context } = probeContext('agent/code');
    const spec: ChildSpec = {
      id: 'code',
      type: 'worker',
      start: { logic: counterMachine },
      restart: 'permanent',
      shutdown: 1000,
      thread: 'worker',
    };
    const error = await rejectionOf(startWorkerChild(spec, context));
    assert.ok(isGravityError(error, 'E_SPEC_INVALID'));
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to end');
  });

  it('hosts a whole supervisor subtree: it starts, describes its children, and routes records by path', async () => {
    const { context, records } = probeContext('agent/probes');
    const child = await start(
      compileChild({
        id: 'probes',
        type: 'supervisor',
        thread: 'worker',
        start: {
          supervisor: {
            strategy: 'one_for_all',
            children: [
              { id: 'probe:x', start: { module: fixture('worker-counter'), export: 'counterMachine' } },
              { id: 'probe:y', start: { module: fixture('worker-counter'), export: 'counterMachine' } },
            ],
          },
        },
      }),
      context,
    );
    const info = await child.describe();
    assert.equal(info.strategy, 'one_for_all');
    assert.deepEqual(
      info.children?.map(({ id, path, state, actorState, thread }) => ({ id, path, state, actorState, thread })),
      [
        { id: 'probe:x', path: 'agent/probes/probe:x', state: 'running', actorState: 'counting', thread: 'worker' },
        { id: 'probe:y', path: 'agent/probes/probe:y', state: 'running', actorState: 'counting', thread: 'worker' },
      ],
    );
    child.send({ type: 'TICK' }); // a supervisor passes an event to every child
    await waitFor(
      () => eventsOf(records, 'agent/probes/probe:x', 'TICK').length === 1 && eventsOf(records, 'agent/probes/probe:y', 'TICK').length === 1,
      5000,
      'both probes to receive TICK',
    );
    assert.ok(records.some((record) => record.kind === 'supervisor' && record.path === 'agent/probes' && record.action === 'start'));
    assert.deepEqual(await child.stop('infinity'), { kind: 'shutdown' });
    for (const path of ['agent/probes/probe:x', 'agent/probes/probe:y']) {
      assert.ok(records.some((record) => record.kind === 'actor.stopped' && record.path === path), `${path} stopped`);
    }
  });

  it('forwards only the record kinds main-thread subscribers want, and follows their changes', async () => {
    const bus = new InspectionBus();
    bus.subscribe(() => undefined, { kinds: ['supervisor'] });
    const published = sinon.spy(bus, 'publish');
    const context: ChildContext = { path: 'agent/counter', bus, clock: systemClock, onExit: () => undefined };
    const child = await start(
      compileChild({ id: 'counter', thread: 'worker', start: { module: fixture('worker-counter'), export: 'counterMachine' } }),
      context,
    );
    for (let i = 0; i < 3; i += 1) child.send({ type: 'TICK' });
    // Let the batch of three go out first: the port keeps order, so they reach the worker before it
    // hears that events are now wanted.
    await new Promise((resolve) => setImmediate(resolve));
    const seen: InspectionRecord[] = [];
    bus.subscribe((record) => seen.push(record), { kinds: ['event'], pathPrefix: 'agent/counter' });
    child.send({ type: 'TICK' });
    await waitFor(() => seen.length === 1, 5000, 'the TICK sent after subscribing');
    const forwardedEvents = published.getCalls().filter((call) => call.args[0].kind === 'event');
    assert.equal(forwardedEvents.length, 1, 'the three TICKs sent before anyone wanted events were not forwarded');
    assert.ok(!published.getCalls().some((call) => call.args[0].kind === 'snapshot'), 'snapshots are not wanted');
  });
});
