// The main-thread side of a worker-hosted child (`thread: 'worker'` in a child spec): takes a fresh
// worker thread per incarnation (a warm spare when worker-spares.ts keeps one), starts the child
// there through the host API (worker-protocol.ts), and turns the thread into a RunningChild the
// supervisor can treat like any other child.
//
// What it adds over a plain comlink proxy:
// - events go one way, batched per tick on a dedicated port (no round trip per event);
// - the worker's inspection records are republished on the main bus under the child's path;
// - failure detection: an uncaught throw ('error'), any exit nobody asked for ('exit'), a heartbeat
//   that a busy-looping thread cannot answer, and the hosted child's own exit report. Each of them
//   ends the thread and is reported once through `context.onExit`; the supervisor restarts the child
//   on a fresh thread;
// - a load deadline: a thread that never gets its code loaded (its entry, or something the entry
//   imports, hangs at load) fails the start with E_WORKER_UNRESPONSIVE and is terminated;
// - comlink never rejects a call when the worker dies, so every call is raced against the thread's
//   death and rejected with E_WORKER_EXITED instead of hanging;
// - the process groups the worker starts are registered on this thread too (process-groups.ts); when
//   the thread is gone, those still alive are ended from here (SIGTERM, grace, SIGKILL), since a
//   terminated thread's own timers never fire.
//
// The thread's lifecycle (its deadlines, what ends it, what is reported and when) is the machine in
// src/machines/worker-host.ts, run here on the child's clock; this file provides its effects (the
// thread, the host API calls, terminating, reporting) and turns the Worker's and the port's traffic
// into the machine's events.

import { MessageChannel } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { releaseProxy, transfer, wrap } from 'comlink';
import type { Remote } from 'comlink';
import { createActor, fromPromise } from 'xstate';
import type { Actor, EventObject } from 'xstate';
import { xstateClock } from '../clock.ts';
import { GravityError, deserializeError, serializeError } from '../errors.ts';
import { workerHostMachine } from '../machines/worker-host.ts';
import type { EndReason, HostFailure, StartFailure, StopOutcome, WorkerHostEvent } from '../machines/worker-host.ts';
import type { ChildContext, ExitReason, RunningChild, TreeNodeInfo } from '../supervisor/child.ts';
import type { WorkerChildStarter } from '../supervisor/launcher.ts';
import { defaultHeartbeat } from '../supervisor/spec.ts';
import type { ChildSpec, HeartbeatSpec, Shutdown } from '../supervisor/spec.ts';
import { nodeEndpoint } from './comlink-node.ts';
import { takeWorkerThread } from './worker-spares.ts';
import { endProcessGroups, trackProcessGroup } from './process-groups.ts';
import type { ProcessGroupChange } from './process-groups.ts';
import { findCodeOnlyStart, fromHostResult, isWorkerToMainMessage } from './worker-protocol.ts';
import type { HostResult, HostedChildInfo, MainToWorkerMessage, WorkerHostApi } from './worker-protocol.ts';

const liveWorkers = new Set<Worker>();

/** How many worker threads started here have not exited yet. For tests and `gravity debug`. */
export function liveWorkerThreads(): number {
  return liveWorkers.size;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  /** True once resolved or rejected. */
  readonly settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  let settled = false;
  return {
    promise,
    resolve: (value) => {
      settled = true;
      resolve(value);
    },
    reject: (error) => {
      settled = true;
      reject(error);
    },
    get settled() {
      return settled;
    },
  };
}

/** What E_WORKER_EXITED says when the thread was ended from here for a reason other than a failure. */
const endReasons: Record<Exclude<EndReason['why'], 'failed'>, string> = {
  stopped: 'it was stopped',
  start_failed: 'the child did not start',
  child_exited: 'its child exited',
};

/** A child hosted inside a worker thread, and all below it, as the main thread's tree shows them. */
function onWorkerThread(node: TreeNodeInfo): TreeNodeInfo {
  return { ...node, thread: 'worker', ...(node.children === undefined ? {} : { children: node.children.map(onWorkerThread) }) };
}

class WorkerChild implements RunningChild {
  private readonly actor: Actor<typeof workerHostMachine>;
  /** The thread and the comlink proxy to its host API, once taken. */
  private thread: { worker: Worker; api: Remote<WorkerHostApi> } | undefined;
  /** Our end of the dedicated channel; the other end is transferred to the worker at start. */
  private readonly port: MessagePort;
  private readonly remotePort: MessagePort;
  private portSent = false;
  private readonly heartbeat: Required<HeartbeatSpec>;

  /** Rejects once the thread is gone (for whatever reason); every host API call is raced with it. */
  private readonly gone: Promise<never>;
  private rejectGone!: (error: GravityError) => void;
  /** What `gone` rejected with, once it has. */
  private goneWith: GravityError | undefined;
  /** The error of the machine's failure, built once. */
  private failureError: { failure: HostFailure; error: GravityError } | undefined;

  private outbox: EventObject[] = [];
  private flushQueued = false;

  private readonly started = deferred<void>();
  private stopOutcome: Deferred<ExitReason> | undefined;
  private readonly startedMarker = deferred<void>();
  private readonly stoppedMarker = deferred<void>();
  /** The record kinds the worker forwards now (comma-joined), and how to stop tracking them. */
  private forwarding: string;
  private readonly stopWatchingSubscriptions: () => void;
  /** The worker's process groups that may still be alive, registered on this thread too. */
  private readonly groups = new Map<number, { release(): void }>();

  constructor(
    private readonly spec: ChildSpec,
    private readonly context: ChildContext,
  ) {
    this.heartbeat = { ...defaultHeartbeat, ...context.heartbeat };
    this.gone = new Promise<never>((_resolve, reject) => {
      this.rejectGone = reject;
    });
    // The rejection reaches callers through the races in call(); this only marks it as observed so
    // that a thread dying with no call in flight is not an unhandled rejection.
    this.gone.catch(() => undefined);
    // The caller of start() observes this one; marked so that a start nobody awaits cannot crash us.
    this.started.promise.catch(() => undefined);

    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.remotePort = port2;
    this.port.on('message', (message: unknown) => this.receive(message));
    this.port.on('messageerror', (error: Error) => this.hostSend({ type: 'thread.failed', failure: { kind: 'protocol', error } }));

    this.forwarding = context.bus.wantedKinds(context.path).join(',');
    this.stopWatchingSubscriptions = context.bus.onSubscriptionsChanged(() => this.updateForwarding());

    const { intervalMs, timeoutMs, loadTimeoutMs } = this.heartbeat;
    this.actor = createActor(this.hostMachine(), {
      input: { intervalMs, timeoutMs, loadTimeoutMs },
      clock: xstateClock(context.clock),
    });
    this.actor.subscribe({ error: (error) => this.abandon(error) });
  }

  /**
   * A provided effect threw (a bug here): the machine has stopped. The thread is ended as it would
   * have been, pending calls reject, a pending start or stop settles, and the error is thrown where
   * nobody can catch it, as any uncaught error, unless the start reports it.
   */
  private abandon(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    if (this.goneWith === undefined) {
      this.goneWith = new GravityError('E_INTERNAL', `${this.context.path}: the worker host failed: ${cause.message}`, { cause });
      this.stopWatchingSubscriptions();
      this.outbox = [];
      this.rejectGone(this.goneWith);
      void this.thread?.worker.terminate().then(() => this.endOrphanedGroups());
    }
    this.stopOutcome?.resolve({ kind: 'error', error: serializeError(cause) });
    if (!this.started.settled) {
      this.started.reject(cause);
      return;
    }
    queueMicrotask(() => {
      throw cause;
    });
  }

  private get api(): Remote<WorkerHostApi> {
    if (this.thread === undefined) throw new GravityError('E_INTERNAL', `${this.context.path}: no worker thread was taken`);
    return this.thread.api;
  }

  /** The machine with this thread's effects. */
  private hostMachine() {
    return workerHostMachine.provide({
      actors: {
        startChild: fromPromise(() => this.startHosted()),
        stopChild: fromPromise(({ input }) => this.stopHosted(input.shutdown)),
      },
      actions: {
        spawnThread: () => this.spawnThread(),
        // A ping that fails means the thread is gone, which the machine has already been told.
        sendPing: () => void this.call(() => this.api.ping()).then(() => this.hostSend({ type: 'ping.answered' }), () => undefined),
        endThread: (_, why) => this.endThread(why),
        startSucceeded: () => this.started.resolve(),
        failStart: (_, failure) => this.started.reject(this.startError(failure)),
        reportChildExit: (_, reason) => this.context.onExit(reason),
        reportFailure: (_, failure) => this.context.onExit({ kind: 'error', error: serializeError(this.errorOf(failure)) }),
        handOffGroups: () => this.endOrphanedGroups(),
        settleStop: (_, outcome) => this.stopOutcome?.resolve(this.stopReason(outcome)),
      },
    });
  }

  /** Starts the hosted child; rejects (and ends the thread) if it fails to start or the thread dies. */
  start(): Promise<void> {
    this.actor.start();
    this.actor.send({ type: 'start' });
    return this.started.promise;
  }

  send(event: EventObject): void {
    if (!this.accepting()) return; // like a stopped actor: dropped
    this.outbox.push(event);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flushOutbox());
  }

  stop(shutdown: Shutdown): Promise<ExitReason> {
    if (this.stopOutcome === undefined) {
      if (!this.alive()) return Promise.resolve({ kind: 'shutdown' });
      this.stopOutcome = deferred<ExitReason>();
      if (shutdown !== 'brutal') this.hostSend({ type: 'stop', shutdown });
    }
    // Brutal, now or while a graceful stop is pending: kill at once; every stop() resolves.
    if (shutdown === 'brutal') this.hostSend({ type: 'kill' });
    return this.stopOutcome.promise;
  }

  async describe(): Promise<HostedChildInfo> {
    const info = fromHostResult(await this.call<HostResult<HostedChildInfo>>(() => this.api.describe()));
    // Inside the thread every child is on that thread's own "main": to the tree, they are on the worker.
    return info.children === undefined ? info : { ...info, children: info.children.map(onWorkerThread) };
  }

  // ---- the machine's effects ------------------------------------------------------------------

  private spawnThread(): void {
    const worker = takeWorkerThread(this.context.workerEntry);
    this.thread = { worker, api: wrap<WorkerHostApi>(nodeEndpoint(worker)) };
    liveWorkers.add(worker);
    worker.on('error', (error: Error) => this.hostSend({ type: 'thread.failed', failure: { kind: 'crashed', error } }));
    worker.on('messageerror', (error: Error) => this.hostSend({ type: 'thread.failed', failure: { kind: 'protocol', error } }));
    worker.on('exit', (code: number) => {
      liveWorkers.delete(worker);
      // The peer of our port is gone with the thread; the port closes itself once it has delivered
      // what the thread sent before dying. Never let it hold the process open meanwhile.
      this.port.unref();
      if (!this.portSent) this.port.close(); // its peer never left this thread: nobody will close it
      this.hostSend({ type: 'thread.exited', code });
    });
  }

  private async startHosted(): Promise<void> {
    const result = await this.call<HostResult<void>>(() => {
      this.portSent = true;
      return this.api.start(
        this.spec,
        this.context.path,
        transfer(this.remotePort, [this.remotePort]),
        this.context.bus.wantedKinds(this.context.path),
      );
    });
    if (!result.ok) throw deserializeError(result.error);
    // The answer and the records travel on different channels: wait until the start's records are in.
    await Promise.race([this.startedMarker.promise, this.gone]);
  }

  private async stopHosted(shutdown: number | 'infinity'): Promise<ExitReason> {
    const result = await this.call<HostResult<ExitReason>>(() => this.api.stop(shutdown));
    await Promise.race([this.stoppedMarker.promise, this.gone]); // every record of the stop is in
    return result.ok ? result.value : { kind: 'error', error: result.error };
  }

  /** Ends the thread and everything attached to it; pending and later calls reject with E_WORKER_EXITED. */
  private endThread(end: EndReason): void {
    if (this.goneWith !== undefined) return;
    const cause = end.why === 'failed' ? this.errorOf(end.failure) : undefined;
    const reason = end.why === 'failed' ? this.errorOf(end.failure).message : endReasons[end.why];
    this.goneWith = new GravityError('E_WORKER_EXITED', `${this.context.path}: the worker thread is gone: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
    });
    this.stopWatchingSubscriptions();
    this.outbox = [];
    this.rejectGone(this.goneWith);
    if (this.thread === undefined) return;
    void this.thread.api[releaseProxy]();
    void this.thread.worker.terminate();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Passes an event to the machine while it runs; after the thread has exited nothing is listening. */
  private hostSend(event: WorkerHostEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  /** The thread has not been told to end, nor ended by itself. */
  private alive(): boolean {
    return this.actor.getSnapshot().matches('alive');
  }

  /** Events are taken while the child runs, and while it stops. */
  private accepting(): boolean {
    const snapshot = this.actor.getSnapshot();
    return snapshot.matches({ alive: { host: 'running' } }) || snapshot.matches({ alive: { host: 'stopping' } });
  }

  /** A host API call that rejects with E_WORKER_EXITED if the thread dies before it answers. */
  private call<T>(request: () => Promise<T>): Promise<T> {
    if (this.goneWith !== undefined) return Promise.reject(this.goneError());
    let answer: Promise<T>;
    try {
      answer = request();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.race([answer, this.gone]);
  }

  /** Main-thread subscriptions changed: tell the worker which records to forward from now on. */
  private updateForwarding(): void {
    if (!this.alive()) return;
    const kinds = this.context.bus.wantedKinds(this.context.path);
    const key = kinds.join(',');
    if (key === this.forwarding) return;
    this.forwarding = key;
    this.port.postMessage({ type: 'forward', kinds } satisfies MainToWorkerMessage);
  }

  private flushOutbox(): void {
    this.flushQueued = false;
    const events = this.outbox;
    this.outbox = [];
    if (events.length === 0 || !this.alive()) return;
    try {
      this.port.postMessage({ type: 'send', events } satisfies MainToWorkerMessage);
    } catch {
      // Some event in the batch cannot be cloned: deliver the others one by one.
      for (const event of events) this.postOne(event);
    }
  }

  private postOne(event: EventObject): void {
    try {
      this.port.postMessage({ type: 'send', events: [event] } satisfies MainToWorkerMessage);
    } catch (error) {
      // send() is one-way and has already returned: the sender cannot be told. Warn, like the bus does.
      process.emitWarning(
        `${this.context.path}: event ${JSON.stringify(event.type)} cannot cross to the worker thread and was dropped: ${String(error)}`,
        { code: 'GRAVITY_EVENT_UNCLONABLE' },
      );
    }
  }

  private receive(message: unknown): void {
    if (!isWorkerToMainMessage(message)) {
      const error = new Error(`unexpected message on the worker port: ${JSON.stringify(message)}`);
      this.hostSend({ type: 'thread.failed', failure: { kind: 'protocol', error } });
      return;
    }
    switch (message.type) {
      case 'inspection':
        // Published even after the thread died: they tell what happened before it did.
        for (const record of message.records) this.context.bus.publish(record);
        return;
      case 'exit':
        this.hostSend({ type: 'child.exited', reason: message.reason });
        return;
      case 'started':
        this.startedMarker.resolve();
        return;
      case 'stopped':
        this.stoppedMarker.resolve();
        return;
      case 'process-group':
        this.processGroupChanged(message.change);
        return;
    }
  }

  private processGroupChanged(change: ProcessGroupChange): void {
    if (change.kind === 'started') {
      this.groups.get(change.group.pgid)?.release();
      this.groups.set(change.group.pgid, trackProcessGroup(change.group));
      // Announced after the thread exited: no one there will end it.
      if (this.thread === undefined || !liveWorkers.has(this.thread.worker)) this.endOrphanedGroups();
      return;
    }
    this.groups.get(change.pgid)?.release();
    this.groups.delete(change.pgid);
  }

  /** Ends the groups the thread left behind; the registry keeps them until they are gone. */
  private endOrphanedGroups(): void {
    const pgids = [...this.groups.keys()];
    this.groups.clear();
    if (pgids.length > 0) void endProcessGroups({ pgids, clock: this.context.clock });
  }

  /** What a requested stop resolves with. */
  private stopReason(outcome: StopOutcome | undefined): ExitReason {
    if (outcome === undefined || outcome.kind === 'killed') return { kind: 'shutdown', killed: true };
    if (outcome.kind === 'stopped') return outcome.reason;
    return { kind: 'error', error: serializeError(this.errorOf(outcome.failure)) };
  }

  /** What a failed start rejects with. */
  private startError(failure: StartFailure): unknown {
    if (failure.kind === 'start_error') return failure.error;
    if (failure.kind === 'thread' && failure.failure.kind === 'load_timeout') return this.errorOf(failure.failure);
    return this.goneWith ?? this.goneError();
  }

  /** The error a failure of the thread is reported with (the same object every time it is asked for). */
  private errorOf(failure: HostFailure): GravityError {
    if (this.failureError?.failure === failure) return this.failureError.error;
    const error = this.buildFailureError(failure);
    this.failureError = { failure, error };
    return error;
  }

  private buildFailureError(failure: HostFailure): GravityError {
    const { path } = this.context;
    switch (failure.kind) {
      case 'load_timeout':
        return new GravityError(
          'E_WORKER_UNRESPONSIVE',
          `${path}: the worker thread did not load its code within ${this.heartbeat.loadTimeoutMs} ms`,
        );
      case 'heartbeat_missed':
        return new GravityError(
          'E_WORKER_UNRESPONSIVE',
          `${path}: the worker thread did not answer a heartbeat within ${this.heartbeat.timeoutMs} ms`,
        );
      case 'crashed': {
        const { error } = failure;
        const crashed = new GravityError('E_WORKER_EXITED', `${path}: the worker thread crashed: ${error.name}: ${error.message}`, {
          cause: error,
        });
        if (error.stack !== undefined) crashed.stack = error.stack; // where it happened, in the worker
        return crashed;
      }
      case 'exited':
        return new GravityError('E_WORKER_EXITED', `${path}: the worker thread exited with code ${failure.code}`);
      case 'protocol':
        return new GravityError('E_INTERNAL', `${path}: worker protocol error: ${failure.error.message}`, { cause: failure.error });
    }
  }

  private goneError(): GravityError {
    const failure = this.actor.getSnapshot().context.failure;
    return new GravityError('E_WORKER_EXITED', `${this.context.path}: the worker thread is gone`, {
      ...(failure === undefined ? {} : { cause: this.errorOf(failure) }),
    });
  }
}

/**
 * Starts a `thread: 'worker'` child (an actor or a supervisor subtree) on its own worker thread.
 * @example const launcher = createLauncher({ startOnWorker: startWorkerChild });
 */
export const startWorkerChild: WorkerChildStarter = async (spec, context) => {
  const codeOnly = findCodeOnlyStart(spec);
  if (codeOnly !== undefined) {
    throw new GravityError(
      'E_SPEC_INVALID',
      `${context.path}: ${codeOnly} is given as logic in code, which cannot cross to a worker thread; use { actor } or { module }`,
    );
  }
  const child = new WorkerChild(spec, context);
  await child.start();
  return child;
};
