// The supervisor runtime: starts children in order, applies OTP's strategies, restart types,
// intensity/period and backoff when one exits, stops them in reverse order, and escalates to its
// parent when it gives up. Decisions are pure functions (strategy.ts, intensity.ts, backoff.ts);
// this module only sequences them. Every decision is published on the inspection bus.

import type { EventObject } from 'xstate';
import type { Clock, TimerHandle } from '../clock.ts';
import { GravityError, serializeError } from '../errors.ts';
import type { InspectionBus, SupervisorAction } from '../actors/inspection.ts';
import type { ChildSpec, Shutdown, SupervisorSpec } from './spec.ts';
import type { ChildContext, ChildState, ExitReason, RunningChild, TreeNodeInfo } from './child.ts';
import { describeExit } from './child.ts';
import type { SupervisedChildEvent } from '../machines/supervised-child.ts';
import { nextChildState } from '../machines/supervised-child.ts';
import { planRestart, shouldRestart } from './strategy.ts';
import { recordRestart } from './intensity.ts';
import { nextConsecutive, restartDelay } from './backoff.ts';
import { drawableNameOfLogic } from '../statechart/registry.ts';

/** Starts one child of any kind; the agent provides one that knows about worker threads. */
export interface ChildLauncher {
  launch(spec: ChildSpec, context: ChildContext): Promise<RunningChild>;
}

/** The supervisor's own life, a documented literal union. */
export type SupervisorState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorOptions {
  /** Path of this supervisor in the tree, e.g. `agent` or `agent/node:n1/probes`. */
  path: string;
  spec: SupervisorSpec;
  bus: InspectionBus;
  clock: Clock;
  launcher: ChildLauncher;
  /** Called once if the supervisor gives up (restart intensity exceeded): escalation to the parent. */
  onExit?: (reason: ExitReason) => void;
  /** Source of jitter; defaults to Math.random. */
  random?: () => number;
}

interface ChildRecord {
  spec: ChildSpec;
  state: ChildState;
  running: RunningChild | undefined;
  /** Bumped at every start so that late exit reports from an old incarnation are ignored. */
  incarnation: number;
  /** Added while running (startChild): forgotten once it ends for good, as OTP's dynamic children are. */
  dynamic: boolean;
  restarts: number;
  consecutive: number;
  startedAt: number | undefined;
  lastExit: ExitReason | undefined;
}

/**
 * @example
 * const sup = new Supervisor({ path: 'agent', spec, bus, clock: systemClock, launcher });
 * await sup.start();
 * await sup.stop('infinity');
 */
export class Supervisor implements RunningChild {
  private readonly options: SupervisorOptions;
  private readonly children: ChildRecord[];
  private restartHistory: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<TimerHandle>();
  private lifecycle: SupervisorState = 'starting';
  private exitReported = false;
  private readonly settledListeners = new Set<() => void>();

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.children = options.spec.children.map((spec) => ({
      spec,
      state: 'stopped',
      running: undefined,
      incarnation: 0,
      dynamic: false,
      restarts: 0,
      consecutive: 0,
      startedAt: undefined,
      lastExit: undefined,
    }));
  }

  get state(): SupervisorState {
    return this.lifecycle;
  }

  get path(): string {
    return this.options.path;
  }

  /** Starts every child in order. If one fails to start, the started ones are stopped in reverse. */
  async start(): Promise<void> {
    await this.enqueue(async () => {
      for (const record of [...this.children]) {
        // stop() was called meanwhile: start nothing more; its queued orderly stop ends what started.
        if (this.lifecycle !== 'starting') return;
        const error = await this.launchChild(record, 'start');
        if (error !== undefined) {
          this.lifecycle = 'stopping';
          await this.stopChildren([...this.children].reverse(), 'start failed');
          this.lifecycle = 'failed';
          throw new GravityError('E_CHILD_START_FAILED', `${this.childPath(record)} failed to start: ${error.message}`, {
            cause: error,
          });
        }
      }
      if (this.lifecycle === 'starting') this.lifecycle = 'running';
    });
  }

  /** Stops every child in reverse start order, each within its own shutdown time. */
  async stop(shutdown: Shutdown = 'infinity'): Promise<ExitReason> {
    if (this.lifecycle === 'stopped' || this.lifecycle === 'failed') return { kind: 'shutdown' };
    const wasStopping = this.lifecycle === 'stopping';
    this.lifecycle = 'stopping';
    this.clearTimers();
    if (wasStopping) {
      await this.whenSettled();
      return { kind: 'shutdown' };
    }
    const orderly = this.enqueue(() => this.stopChildren([...this.children].reverse(), 'shutdown'));
    let killed = false;
    if (shutdown === 'brutal') {
      killed = true;
      await this.killAll();
    } else if (shutdown === 'infinity') {
      await orderly;
    } else {
      const deadline = new Promise<'timeout'>((resolve) => this.schedule(shutdown, () => resolve('timeout')));
      if ((await Promise.race([orderly.then(() => 'done' as const), deadline])) === 'timeout') {
        killed = true;
        await this.killAll();
      }
    }
    this.clearTimers();
    this.lifecycle = 'stopped';
    this.notifySettled();
    return { kind: 'shutdown', ...(killed ? { killed } : {}) };
  }

  /**
   * Adds a child to a running supervisor and starts it (OTP's `supervisor:start_child`). It is
   * restarted by its own restart type like any other child, and forgotten once it ends for good.
   * Throws E_CHILD_EXISTS when a child with its id is there, or the start error.
   * @example await operations.startChild({ id: 'operation:1', type: 'worker', start: { logic, input }, restart: 'transient', shutdown: 10_000, thread: 'main' });
   */
  async startChild(spec: ChildSpec): Promise<void> {
    await this.enqueue(async () => {
      if (this.lifecycle !== 'running') throw new GravityError('E_SUPERVISOR_NOT_RUNNING', `${this.path} is ${this.lifecycle}: it starts no child`);
      if (this.children.some((child) => child.spec.id === spec.id)) throw new GravityError('E_CHILD_EXISTS', `${this.path} already has a child ${spec.id}`);
      const record: ChildRecord = {
        spec,
        state: 'stopped',
        running: undefined,
        incarnation: 0,
        dynamic: true,
        restarts: 0,
        consecutive: 0,
        startedAt: undefined,
        lastExit: undefined,
      };
      this.children.push(record);
      const error = await this.launchChild(record, 'start');
      if (error !== undefined) {
        this.children.splice(this.children.indexOf(record), 1);
        throw error;
      }
    });
  }

  send(event: EventObject): void {
    for (const record of this.children) record.running?.send(event);
  }

  /** The running child with this id (a nested supervisor is a Supervisor), or undefined. */
  childById(id: string): RunningChild | undefined {
    return this.children.find((child) => child.spec.id === id)?.running;
  }

  /** Sends an event to one child by id. */
  sendTo(id: string, event: EventObject): void {
    const record = this.children.find((child) => child.spec.id === id);
    if (record === undefined) throw new GravityError('E_CHILD_NOT_FOUND', `no child ${id} under ${this.path}`);
    record.running?.send(event);
  }

  async describe(): Promise<Pick<TreeNodeInfo, 'children' | 'strategy'>> {
    const children = await Promise.all(
      this.children.map(async (record): Promise<TreeNodeInfo> => {
        const below = record.running === undefined ? {} : await record.running.describe().catch(() => ({}));
        return {
          id: record.spec.id,
          path: this.childPath(record),
          type: record.spec.type,
          thread: record.spec.thread,
          state: record.state,
          restart: record.spec.restart,
          ...actorNameOf(record.spec),
          restarts: record.restarts,
          ...(record.startedAt === undefined || record.state !== 'running' ? {} : { startedAt: record.startedAt }),
          ...(record.lastExit === undefined ? {} : { lastExit: describeExit(record.lastExit) }),
          ...below,
        };
      }),
    );
    return { strategy: this.options.spec.strategy, children };
  }

  /** Waits until the work queued so far (exits being handled, restarts) is done. For tests and tools. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  // ---- internals ------------------------------------------------------------------------------

  private childPath(record: ChildRecord): string {
    return `${this.options.path}/${record.spec.id}`;
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    const next = this.queue.then(operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private publish(child: string, action: SupervisorAction, reason: string, extra: { delayMs?: number; restarts?: number } = {}): void {
    this.options.bus.publish({
      kind: 'supervisor',
      path: this.options.path,
      time: this.options.clock.now(),
      child,
      action,
      reason,
      ...extra,
    });
  }

  /** Starts one child; returns the error if it failed to start. */
  private async launchChild(record: ChildRecord, why: 'start' | 'restart'): Promise<Error | undefined> {
    record.incarnation += 1;
    const incarnation = record.incarnation;
    this.move(record, { type: 'start' });
    const context: ChildContext = {
      path: this.childPath(record),
      bus: this.options.bus,
      clock: this.options.clock,
      heartbeat: this.options.spec.heartbeat,
      onExit: (reason) => {
        void this.enqueue(() => this.handleExit(record, incarnation, reason));
      },
    };
    try {
      record.running = await this.options.launcher.launch(record.spec, context);
      if (record.incarnation !== incarnation || record.state !== 'starting') return undefined;
      this.move(record, { type: 'started' });
      record.startedAt = this.options.clock.now();
      this.publish(record.spec.id, 'start', why === 'start' ? 'start' : 'restarted');
      return undefined;
    } catch (error) {
      record.running = undefined;
      // This incarnation never ran: the backoff must not count the previous one's run time as its own.
      record.startedAt = undefined;
      this.move(record, { type: 'start.failed' });
      record.lastExit = { kind: 'error', error: serializeError(error) };
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private async handleExit(record: ChildRecord, incarnation: number, reason: ExitReason): Promise<void> {
    if (record.incarnation !== incarnation || this.lifecycle === 'stopping' || this.lifecycle === 'stopped') return;
    if (this.lifecycle === 'failed') return;
    const now = this.options.clock.now();
    const ranForMs = record.startedAt === undefined ? 0 : now - record.startedAt;
    record.running = undefined;
    // A restart that failed to start comes back here already `failed`: it did not run, so it did not exit.
    if (record.state === 'running' || record.state === 'starting') this.move(record, { type: reason.kind === 'error' ? 'crashed' : 'ended' });
    record.lastExit = reason;
    const why = describeExit(reason);

    if (!shouldRestart(record.spec.restart, reason.kind)) {
      if (record.spec.restart === 'temporary' || record.dynamic) {
        this.children.splice(this.children.indexOf(record), 1);
        this.publish(record.spec.id, 'remove', why);
      } else {
        this.publish(record.spec.id, 'ignore', why);
      }
      return;
    }

    const verdict = recordRestart(this.restartHistory, now, this.options.spec);
    this.restartHistory = verdict.history;
    if (!verdict.allowed) {
      await this.giveUp(record, why);
      return;
    }

    const plan = planRestart(
      this.options.spec.strategy,
      this.children.map((child) => ({
        id: child.spec.id,
        restart: child.spec.restart,
        running: child.running !== undefined || child.state === 'restarting',
      })),
      record.spec.id,
    );
    const byId = (id: string): ChildRecord | undefined => this.children.find((child) => child.spec.id === id);
    for (const id of plan.stop) {
      const sibling = byId(id);
      if (sibling !== undefined) await this.stopChild(sibling, `sibling ${record.spec.id} failed (${this.options.spec.strategy})`);
    }
    for (const id of plan.remove) {
      const sibling = byId(id);
      if (sibling !== undefined) {
        this.children.splice(this.children.indexOf(sibling), 1);
        this.publish(id, 'remove', `temporary sibling of ${record.spec.id}`);
      }
    }

    record.consecutive = nextConsecutive(record.consecutive, ranForMs, this.options.spec.backoff);
    const delayMs = restartDelay(record.consecutive, this.options.spec.backoff, this.options.random);
    const toStart = plan.start.map(byId).filter((child): child is ChildRecord => child !== undefined);
    for (const child of toStart) {
      this.move(child, { type: 'restart.scheduled' });
      child.incarnation += 1; // anything still reported by an old incarnation is stale now
    }
    record.restarts += 1;
    this.publish(record.spec.id, 'restart', why, { delayMs, restarts: record.restarts });
    for (const sibling of toStart) {
      if (sibling !== record) {
        sibling.restarts += 1;
        this.publish(sibling.spec.id, 'restart', `sibling ${record.spec.id} failed (${this.options.spec.strategy})`, {
          delayMs,
          restarts: sibling.restarts,
        });
      }
    }
    if (delayMs === 0) {
      await this.restartChildren(toStart);
    } else {
      this.schedule(delayMs, () => {
        void this.enqueue(() => this.restartChildren(toStart));
      });
    }
  }

  private async restartChildren(records: ChildRecord[]): Promise<void> {
    if (this.lifecycle !== 'running') return;
    for (const record of records) {
      if (this.lifecycle !== 'running') return;
      if (record.state !== 'restarting' || !this.children.includes(record)) continue;
      const error = await this.launchChild(record, 'restart');
      if (error !== undefined) {
        // A failed restart counts as another exit: it goes through intensity and the strategy again.
        await this.handleExit(record, record.incarnation, { kind: 'error', error: serializeError(error) });
        return;
      }
    }
  }

  private async giveUp(record: ChildRecord, why: string): Promise<void> {
    const { intensity, period } = this.options.spec;
    const reason = `restart intensity exceeded: more than ${intensity} restart(s) in ${period}s (last: ${record.spec.id} ${why})`;
    this.publish(record.spec.id, 'give_up', reason);
    this.lifecycle = 'stopping';
    this.clearTimers();
    await this.stopChildren([...this.children].reverse(), 'supervisor giving up');
    this.lifecycle = 'failed';
    this.publish(record.spec.id, 'escalate', reason);
    this.notifySettled();
    if (!this.exitReported) {
      this.exitReported = true;
      this.options.onExit?.({
        kind: 'error',
        error: serializeError(new GravityError('E_SUPERVISOR_GAVE_UP', `${this.options.path}: ${reason}`)),
      });
    }
  }

  private async stopChildren(records: ChildRecord[], why: string): Promise<void> {
    for (const record of records) await this.stopChild(record, why);
  }

  private async stopChild(record: ChildRecord, why: string): Promise<void> {
    const running = record.running;
    record.incarnation += 1;
    if (running === undefined) {
      if (record.state === 'restarting') this.move(record, { type: 'stop' });
      return;
    }
    this.move(record, { type: 'stop' });
    let reason: ExitReason;
    try {
      reason = await running.stop(record.spec.shutdown);
    } catch (error) {
      reason = { kind: 'error', error: serializeError(error) };
    }
    record.running = undefined;
    // Unless the supervisor's own shutdown time ran out meanwhile and killed it (then it is stopped).
    if (record.state === 'stopping') this.move(record, { type: 'stopped' });
    record.lastExit = reason;
    this.publish(record.spec.id, reason.kind === 'shutdown' && reason.killed === true ? 'kill' : 'stop', why);
  }

  /** Past a supervisor's own shutdown time: every child still running is stopped brutally. */
  private async killAll(): Promise<void> {
    await Promise.all(
      [...this.children].reverse().map(async (record) => {
        const running = record.running;
        if (running === undefined) return;
        record.incarnation += 1;
        record.running = undefined;
        this.move(record, { type: 'killed' });
        await running.stop('brutal').catch(() => undefined);
        this.publish(record.spec.id, 'kill', 'supervisor shutdown time exceeded');
      }),
    );
  }

  /** Moves a child's state as the supervised-child machine says (src/machines/supervised-child.ts). */
  private move(record: ChildRecord, event: SupervisedChildEvent): void {
    try {
      record.state = nextChildState(record.state, event);
    } catch (error) {
      throw new GravityError('E_INTERNAL', `${this.childPath(record)}: ${(error as Error).message}`, { cause: error });
    }
  }

  private schedule(ms: number, callback: () => void): void {
    const handle = this.options.clock.setTimeout(() => {
      this.timers.delete(handle);
      callback();
    }, ms);
    this.timers.add(handle);
  }

  private clearTimers(): void {
    for (const handle of this.timers) this.options.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private whenSettled(): Promise<void> {
    if (this.lifecycle === 'stopped' || this.lifecycle === 'failed') return Promise.resolve();
    return new Promise((resolve) => this.settledListeners.add(resolve));
  }

  private notifySettled(): void {
    for (const listener of this.settledListeners) listener();
    this.settledListeners.clear();
  }
}

/** What a child runs, by name: the registry's actor, or the drawable machine given in code. */
function actorNameOf(spec: ChildSpec): { actor?: string } {
  const start = spec.start;
  if ('actor' in start) return { actor: start.actor };
  const name = 'logic' in start ? drawableNameOfLogic(start.logic) : undefined;
  return name === undefined ? {} : { actor: name };
}
