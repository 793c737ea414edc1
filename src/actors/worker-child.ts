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

import { MessageChannel } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { releaseProxy, transfer, wrap } from 'comlink';
import type { Remote } from 'comlink';
import type { EventObject } from 'xstate';
import type { TimerHandle } from '../clock.ts';
import { GravityError, deserializeError, serializeError } from '../errors.ts';
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

/** The thread's life as this side sees it, a documented literal union. */
type Phase = 'starting' | 'running' | 'stopping' | 'gone';

const liveWorkers = new Set<Worker>();

/** How many worker threads started here have not exited yet. For tests and `gravity debug`. */
export function liveWorkerThreads(): number {
  return liveWorkers.size;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A child hosted inside a worker thread, and all below it, as the main thread's tree shows them. */
function onWorkerThread(node: TreeNodeInfo): TreeNodeInfo {
  return { ...node, thread: 'worker', ...(node.children === undefined ? {} : { children: node.children.map(onWorkerThread) }) };
}

class WorkerChild implements RunningChild {
  private phase: Phase = 'starting';
  private readonly worker: Worker;
  private readonly api: Remote<WorkerHostApi>;
  /** Our end of the dedicated channel; the other end is transferred to the worker at start. */
  private readonly port: MessagePort;
  private readonly remotePort: MessagePort;
  private portSent = false;
  private readonly heartbeat: HeartbeatSpec;

  /** Rejects once the thread is gone (for whatever reason); every host API call is raced with it. */
  private readonly gone: Promise<never>;
  private rejectGone!: (error: GravityError) => void;
  /** Why the thread died on its own, if it did. */
  private failure: GravityError | undefined;
  /** True once we asked for the thread to end: its 'exit' is then expected. */
  private terminating = false;
  private readonly exited = deferred<void>();

  private outbox: EventObject[] = [];
  private flushQueued = false;

  private beatTimer: TimerHandle | undefined;
  private beatDeadline: TimerHandle | undefined;
  /** Armed from the start until the first ping is answered: the thread has loaded its code. */
  private loadDeadline: TimerHandle | undefined;
  /** Set if the load deadline passed: the start rejects with it. */
  private loadFailure: GravityError | undefined;

  private exitReported = false;
  private exitDuringStart: ExitReason | undefined;
  private stopOutcome: Deferred<ExitReason> | undefined;
  private stopSettled = false;
  private readonly startedMarker = deferred<void>();
  /** The record kinds the worker forwards now (comma-joined), and how to stop tracking them. */
  private forwarding: string;
  private readonly stopWatchingSubscriptions: () => void;
  private readonly stoppedMarker = deferred<void>();
  /** The worker's process groups that may still be alive, registered on this thread too. */
  private readonly groups = new Map<number, { release(): void }>();

  constructor(
    private readonly spec: ChildSpec,
    private readonly context: ChildContext,
  ) {
    this.heartbeat = context.heartbeat ?? defaultHeartbeat;
    this.gone = new Promise<never>((_resolve, reject) => {
      this.rejectGone = reject;
    });
    // The rejection reaches callers through the races in call(); this only marks it as observed so
    // that a thread dying with no call in flight is not an unhandled rejection.
    this.gone.catch(() => undefined);

    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.remotePort = port2;
    this.port.on('message', (message: unknown) => this.receive(message));
    this.port.on('messageerror', (error: Error) => this.fail(this.protocolError(error)));

    this.forwarding = context.bus.wantedKinds(context.path).join(',');
    this.stopWatchingSubscriptions = context.bus.onSubscriptionsChanged(() => this.updateForwarding());

    this.worker = takeWorkerThread(context.workerEntry);
    liveWorkers.add(this.worker);
    this.api = wrap<WorkerHostApi>(nodeEndpoint(this.worker));
    this.worker.on('error', (error: Error) => this.fail(this.crashError(error)));
    this.worker.on('messageerror', (error: Error) => this.fail(this.protocolError(error)));
    this.worker.on('exit', (code: number) => {
      liveWorkers.delete(this.worker);
      // The peer of our port is gone with the thread; the port closes itself once it has delivered
      // what the thread sent before dying. Never let it hold the process open meanwhile.
      this.port.unref();
      if (!this.portSent) this.port.close(); // its peer never left this thread: nobody will close it
      if (!this.terminating) this.fail(this.exitError(code));
      // Its own timers died with it: a group it was still ending gets its SIGKILL from here.
      this.endOrphanedGroups();
      this.exited.resolve();
    });
  }

  /** Starts the hosted child; rejects (and ends the thread) if it fails to start or the thread dies. */
  async start(): Promise<void> {
    try {
      await this.startHosted();
    } catch (error) {
      this.dispose('the child did not start');
      throw this.loadFailure ?? error;
    }
    this.phase = 'running';
    const early = this.exitDuringStart;
    if (early !== undefined) this.hostedChildExited(early);
  }

  private async startHosted(): Promise<void> {
    // The first answer proves the entry is loaded (tsx startup can take a while); until it comes, the
    // load deadline applies, and the heartbeat's deadlines from then on, including to the rest of the
    // start. A warm spare has loaded already and answers at once.
    this.armLoadDeadline();
    void this.ping().then((answered) => {
      this.clearLoadDeadline();
      if (answered) this.armHeartbeat();
    });
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
    if (this.phase !== 'starting') throw this.goneError();
  }

  send(event: EventObject): void {
    if (this.phase !== 'running' && this.phase !== 'stopping') return; // like a stopped actor: dropped
    this.outbox.push(event);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flushOutbox());
  }

  stop(shutdown: Shutdown): Promise<ExitReason> {
    if (this.stopOutcome === undefined) {
      if (this.phase === 'gone') return Promise.resolve({ kind: 'shutdown' });
      this.stopOutcome = deferred<ExitReason>();
      this.phase = 'stopping';
      if (shutdown !== 'brutal') void this.stopGracefully(shutdown);
    }
    // Brutal, now or while a graceful stop is pending: kill at once; every stop() resolves.
    if (shutdown === 'brutal') this.finishStop({ kind: 'shutdown', killed: true });
    return this.stopOutcome.promise;
  }

  async describe(): Promise<HostedChildInfo> {
    const info = fromHostResult(await this.call<HostResult<HostedChildInfo>>(() => this.api.describe()));
    // Inside the thread every child is on that thread's own "main": to the tree, they are on the worker.
    return info.children === undefined ? info : { ...info, children: info.children.map(onWorkerThread) };
  }

  // ---- internals ------------------------------------------------------------------------------

  /** A host API call that rejects with E_WORKER_EXITED if the thread dies before it answers. */
  private call<T>(request: () => Promise<T>): Promise<T> {
    if (this.phase === 'gone') return Promise.reject(this.goneError());
    let answer: Promise<T>;
    try {
      answer = request();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.race([answer, this.gone]);
  }

  /** True if the worker answered; false if the thread is gone (and that has been dealt with). */
  private ping(): Promise<boolean> {
    return this.call(() => this.api.ping()).then(
      () => true,
      () => false,
    );
  }

  private armLoadDeadline(): void {
    const loadTimeoutMs = this.heartbeat.loadTimeoutMs ?? defaultHeartbeat.loadTimeoutMs;
    this.loadDeadline = this.context.clock.setTimeout(() => {
      // As for a heartbeat: one more timer turn in case the answer is in but not yet read.
      this.loadDeadline = this.context.clock.setTimeout(() => {
        this.loadDeadline = undefined;
        this.loadFailure = new GravityError(
          'E_WORKER_UNRESPONSIVE',
          `${this.context.path}: the worker thread did not load its code within ${loadTimeoutMs} ms`,
        );
        this.fail(this.loadFailure);
      }, 0);
    }, loadTimeoutMs);
  }

  private clearLoadDeadline(): void {
    if (this.loadDeadline !== undefined) this.context.clock.clearTimeout(this.loadDeadline);
    this.loadDeadline = undefined;
  }

  private armHeartbeat(): void {
    if (this.phase === 'gone') return;
    this.beatTimer = this.context.clock.setTimeout(() => this.beat(), this.heartbeat.intervalMs);
  }

  private beat(): void {
    this.beatTimer = undefined;
    if (this.phase === 'gone') return;
    const { timeoutMs } = this.heartbeat;
    this.beatDeadline = this.context.clock.setTimeout(() => {
      // If this thread was itself too busy to read an answer that has already arrived, the answer is
      // read before the next timer turn: give it that one turn before calling the worker dead.
      this.beatDeadline = this.context.clock.setTimeout(() => {
        this.beatDeadline = undefined;
        this.fail(
          new GravityError(
            'E_WORKER_UNRESPONSIVE',
            `${this.context.path}: the worker thread did not answer a heartbeat within ${timeoutMs} ms`,
          ),
        );
      }, 0);
    }, timeoutMs);
    void this.ping().then((answered) => {
      if (this.beatDeadline !== undefined) this.context.clock.clearTimeout(this.beatDeadline);
      this.beatDeadline = undefined;
      if (answered) this.armHeartbeat();
    });
  }

  private stopHeartbeat(): void {
    this.clearLoadDeadline();
    if (this.beatTimer !== undefined) this.context.clock.clearTimeout(this.beatTimer);
    if (this.beatDeadline !== undefined) this.context.clock.clearTimeout(this.beatDeadline);
    this.beatTimer = undefined;
    this.beatDeadline = undefined;
  }

  /** Main-thread subscriptions changed: tell the worker which records to forward from now on. */
  private updateForwarding(): void {
    if (this.phase === 'gone') return;
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
    if (events.length === 0 || this.phase === 'gone') return;
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
      this.fail(this.protocolError(new Error(`unexpected message on the worker port: ${JSON.stringify(message)}`)));
      return;
    }
    switch (message.type) {
      case 'inspection':
        // Published even after the thread died: they tell what happened before it did.
        for (const record of message.records) this.context.bus.publish(record);
        return;
      case 'exit':
        this.hostedChildExited(message.reason);
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
      if (!liveWorkers.has(this.worker)) this.endOrphanedGroups();
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

  /** The hosted child stopped by itself: end the thread and report the child's own reason. */
  private hostedChildExited(reason: ExitReason): void {
    if (this.phase === 'starting') {
      this.exitDuringStart = reason; // reported once the start has returned
      return;
    }
    if (this.phase !== 'running') return; // we asked it to stop, or the thread is already gone
    this.dispose('its child exited');
    this.reportExit(reason);
  }

  private async stopGracefully(shutdown: number | 'infinity'): Promise<void> {
    // The worker enforces `shutdown` on its child; past it (plus the heartbeat's allowance for a slow
    // answer) the thread is killed regardless. 'infinity' relies on the heartbeat alone.
    const backstop =
      shutdown === 'infinity'
        ? undefined
        : this.context.clock.setTimeout(() => this.finishStop({ kind: 'shutdown', killed: true }), shutdown + this.heartbeat.timeoutMs);
    let reason: ExitReason;
    try {
      const result = await this.call<HostResult<ExitReason>>(() => this.api.stop(shutdown));
      reason = result.ok ? result.value : { kind: 'error', error: result.error };
      await Promise.race([this.stoppedMarker.promise, this.gone]); // every record of the stop is in
    } catch {
      // The thread died during the stop: killed by us (brutal, backstop, heartbeat) or crashed.
      const failure = this.failure;
      reason =
        failure === undefined || failure.code === 'E_WORKER_UNRESPONSIVE'
          ? { kind: 'shutdown', killed: true }
          : { kind: 'error', error: serializeError(failure) };
    }
    if (backstop !== undefined) this.context.clock.clearTimeout(backstop);
    this.finishStop(reason);
  }

  private finishStop(reason: ExitReason): void {
    if (this.stopSettled) return;
    this.stopSettled = true;
    this.dispose('it was stopped');
    const outcome = this.stopOutcome;
    void this.exited.promise.then(() => outcome?.resolve(reason));
  }

  /** The thread failed on its own: end it and report the failure unless we were stopping it anyway. */
  private fail(cause: GravityError): void {
    if (this.phase === 'gone') return;
    const phase = this.phase;
    this.failure = cause;
    this.dispose(cause.message, cause);
    // While starting, the pending start call rejects instead; while stopping, stop() reports it.
    if (phase === 'running') this.reportExit({ kind: 'error', error: serializeError(cause) });
  }

  /** Ends the thread and everything attached to it; pending and later calls reject with E_WORKER_EXITED. */
  private dispose(why: string, cause?: GravityError): void {
    if (this.phase === 'gone') return;
    this.phase = 'gone';
    this.stopWatchingSubscriptions();
    this.stopHeartbeat();
    this.outbox = [];
    this.rejectGone(
      new GravityError('E_WORKER_EXITED', `${this.context.path}: the worker thread is gone: ${why}`, {
        ...(cause === undefined ? {} : { cause }),
      }),
    );
    if (this.terminating) return;
    this.terminating = true;
    void this.api[releaseProxy]();
    void this.worker.terminate();
  }

  private reportExit(reason: ExitReason): void {
    if (this.exitReported) return;
    this.exitReported = true;
    this.context.onExit(reason);
  }

  private goneError(): GravityError {
    return new GravityError('E_WORKER_EXITED', `${this.context.path}: the worker thread is gone`, {
      ...(this.failure === undefined ? {} : { cause: this.failure }),
    });
  }

  private crashError(error: Error): GravityError {
    const crashed = new GravityError(
      'E_WORKER_EXITED',
      `${this.context.path}: the worker thread crashed: ${error.name}: ${error.message}`,
      { cause: error },
    );
    if (error.stack !== undefined) crashed.stack = error.stack; // where it happened, in the worker
    return crashed;
  }

  private exitError(code: number): GravityError {
    return new GravityError('E_WORKER_EXITED', `${this.context.path}: the worker thread exited with code ${code}`);
  }

  private protocolError(error: Error): GravityError {
    return new GravityError('E_INTERNAL', `${this.context.path}: worker protocol error: ${error.message}`, { cause: error });
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
