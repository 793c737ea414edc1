// The plan engine: executes, rolls back, resumes and completes an operation's plan. It checks what
// Gravity checks (requirements of a phase and its ancestors, in-progress and completed phases, the
// dependents of a phase being rolled back, `--force` only on a leaf), schedules the leaves (in order,
// or `parallel: N` at a time, each group by its own setting wherever it sits), and runs them as a
// plan machine whose steps run phase machines; each phase machine writes the leaf's state to the
// store before and after its effect. Everything shown is rebuilt from the store, so a crash at any
// instant leaves a plan that tells the truth. One operation runs at a time: the cluster's operation
// lock is held for the whole run. A phase's command is recorded (its process group) before it runs,
// and a phase whose command survived an earlier run that died has it ended, or waited for, before
// it runs again (survivors.ts).

import { fromPromise } from 'xstate';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import { phaseMachine } from '../machines/phase.ts';
import type { PhaseAction, PhaseMachineInput, RecordInput } from '../machines/phase.ts';
import { planMachine } from '../machines/plan.ts';
import type { PlanItem, PlanStep } from '../machines/plan.ts';
import type { OperationLockHolder, OperationRecord, OperationStore } from '../store/types.ts';
import type { ActorScope } from '../supervisor/actor-scope.ts';
import { ScopedActorCrash } from '../supervisor/actor-scope.ts';
import type { PhaseContext, PhaseProcessTracker, PhaseRunner } from './executors.ts';
import { ancestors, dependents, deriveState, findPhase, isCompleted, leaves, resolvePlan } from './phase-state.ts';
import { isSurvivor, settleSurvivor } from './survivors.ts';
import type { SurvivorEnd } from './survivors.ts';
import type { Operation, Phase, PhaseChange, PhaseProcess, PhaseSpec, PhaseState } from './types.ts';

export type ProgressEvent =
  | { kind: 'start'; phaseId: string; action: PhaseAction; node?: string }
  | { kind: 'done'; phaseId: string; action: PhaseAction; durationMs: number }
  | { kind: 'failed'; phaseId: string; action: PhaseAction; durationMs: number; error: string }
  | { kind: 'skipped'; phaseId: string; reason: string }
  | { kind: 'warning'; message: string }
  /** The phase's process group from an earlier run still runs: it is being waited for, or how it ended. */
  | { kind: 'survivor'; phaseId: string; pgid: number; what: 'waiting' | SurvivorEnd };

export interface PlanEngineOptions {
  store: OperationStore;
  runner: PhaseRunner;
  operationId: string;
  /**
   * Who runs it, for the operation lock: with its process start time (`processStartTime` of
   * store/sqlite-operations.ts), a later process given the same pid is not taken for it.
   */
  holder: Pick<OperationLockHolder, 'pid' | 'hostname' | 'startTime'>;
  /**
   * Where the run's actors are created: the plan machine (`plan`), each phase (`phase:<path>`), each
   * unit of a parallel step (`unit:<first leaf>`), and below a phase its hook jobs. The operation's
   * actor scope in the operations subtree (src/operations/); tests give one of their own.
   */
  scope: ActorScope;
  /** The phase machine to run; the default one unless a test faults it through `provide()`. */
  phaseLogic?: typeof phaseMachine;
  clock?: Clock;
  onProgress?: (event: ProgressEvent) => void;
  /** A survivor of an earlier run gets this long between SIGTERM and SIGKILL. 500 ms by default. */
  survivorGraceMs?: number;
  /** Ending a survivor, SIGKILL included, may take this long before the phase fails. 10 s by default. */
  survivorTimeoutMs?: number;
}

function refuse(message: string, details: string[] = [], hint?: string): GravityError {
  return new GravityError('E_PLAN_REFUSED', message, { details, ...(hint === undefined ? {} : { hint }) });
}

function specIndex(root: PhaseSpec): Map<string, PhaseSpec> {
  const index = new Map<string, PhaseSpec>();
  const visit = (phase: PhaseSpec): void => {
    index.set(phase.id, phase);
    for (const child of phase.phases) visit(child);
  };
  visit(root);
  return index;
}

/**
 * @example
 * const engine = await PlanEngine.open({ store: store.operations, runner, operationId, holder: { pid: process.pid, hostname } });
 * await engine.execute('/init', { force: false });
 */
export class PlanEngine {
  private readonly options: PlanEngineOptions;
  private readonly clock: Clock;
  private readonly record: OperationRecord;
  private readonly specs: Map<string, PhaseSpec>;
  private readonly abort = new AbortController();
  /**
   * Each leaf's latest stored change, as resolvePlan picks it: read from the store when a run starts,
   * then kept up to date with every change this engine writes. While a run holds the operation lock
   * no one else writes this operation's changes, so it is what the store says, without reading the
   * whole changelog back before every leaf.
   */
  private latest = new Map<string, PhaseChange>();

  /**
   * The engine of a stored operation; E_OPERATION_NOT_FOUND when there is none.
   * @example const engine = await PlanEngine.open({ store: store.operations, runner, operationId, holder });
   */
  static async open(options: PlanEngineOptions): Promise<PlanEngine> {
    const record = await options.store.get(options.operationId);
    if (record === undefined) throw new GravityError('E_OPERATION_NOT_FOUND', `no operation ${options.operationId}`);
    return new PlanEngine(options, record);
  }

  private constructor(options: PlanEngineOptions, record: OperationRecord) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.record = record;
    this.specs = specIndex(record.plan);
  }

  /** The plan as stored now. */
  async plan(): Promise<Phase> {
    return resolvePlan(this.record.plan, await this.options.store.changes(this.record.id));
  }

  operation(): Promise<Operation> {
    return operationView(this.options.store, this.record);
  }

  /** Stops the run in progress: running phases are aborted (their processes killed) and read failed. */
  stop(): void {
    this.abort.abort(new Error('interrupted'));
  }

  /**
   * Executes a leaf or a whole group. A completed phase is a no-op unless forced. `force` is for a
   * single leaf, as in Gravity: a group runs its phases, it is never forced (that would run its
   * completed phases again, and skip every requirement inside it).
   */
  async execute(phaseId: string, options: { force: boolean }): Promise<void> {
    const plan = await this.plan();
    const target = this.find(plan, phaseId);
    await this.assertActive();
    const targetLeaves = leaves(target);
    if (options.force && target.phases.length > 0) throw this.refuseForcedGroup(target, targetLeaves);
    const inProgress = targetLeaves.filter((leaf) => leaf.state === 'in_progress');
    const firstInProgress = inProgress[0];
    if (!options.force && firstInProgress !== undefined) {
      // A group names its first leaf in progress, as Gravity does when its turn comes: --force is for that leaf.
      throw refuse(
        `phase "${firstInProgress.id}" is in progress, use --force flag to force execution`,
        inProgress.map((leaf) => leaf.id),
        "or 'gravity plan resume', which re-runs them",
      );
    }
    if (!options.force) this.checkRequirements(plan, target);
    const runnable = (leaf: Phase): boolean => options.force || leaf.state !== 'completed';
    if (!targetLeaves.some(runnable)) {
      this.options.onProgress?.({ kind: 'skipped', phaseId, reason: 'already completed' });
      return;
    }
    await this.run(this.schedule(target, runnable), 'execute', !options.force);
  }

  /** Re-runs in-progress and failed phases and everything not yet run, in order; then completes. */
  async resume(): Promise<Operation['state']> {
    const plan = await this.plan();
    await this.assertActive();
    let state: Operation['state'] = 'failed';
    // Completed under the same lock as the run: no other terminal can slip in between.
    await this.run(this.schedule(plan, (leaf) => leaf.state !== 'completed'), 'execute', true, async () => {
      state = await this.completeLocked();
    });
    return state;
  }

  /** Rolls back a leaf, or a group's executed leaves in reverse order. */
  async rollback(phaseId: string, options: { force: boolean; dryRun: boolean }): Promise<string[]> {
    const plan = await this.plan();
    const target = this.find(plan, phaseId);
    if (!options.dryRun) await this.assertActive();
    if (target.state === 'unstarted') throw refuse(`phase "${phaseId}" hasn't been executed yet`);
    if (target.state === 'rolled_back') throw refuse(`phase "${phaseId}" has already been rolled back`);
    const blocking = dependents(plan, phaseId).filter((phase) => phase.state !== 'unstarted' && phase.state !== 'rolled_back');
    if (blocking.length > 0) {
      const ids = blocking.map((phase) => phase.id);
      if (!options.force) {
        throw refuse(
          `phase "${phaseId}" cannot be rolled back: phases that depend on it have started and are not rolled back`,
          ids,
          'roll those back first, or use --force',
        );
      }
      this.options.onProgress?.({ kind: 'warning', message: `rolling back "${phaseId}" although these depend on it: ${ids.join(', ')}` });
    }
    const order = leaves(target)
      .filter((leaf) => leaf.state !== 'unstarted' && leaf.state !== 'rolled_back')
      .reverse()
      .map((leaf) => leaf.id);
    if (!options.dryRun) await this.run(order.map((id) => ({ units: [[id]], parallel: 1 })), 'rollback', false);
    return order;
  }

  /** Rolls back every executed leaf in reverse order; the operation ends failed ("rolled back"). */
  async rollbackAll(options: { dryRun: boolean }): Promise<string[]> {
    const plan = await this.plan();
    if (!options.dryRun) await this.assertActive();
    const order = leaves(plan)
      .filter((leaf) => leaf.state !== 'unstarted' && leaf.state !== 'rolled_back')
      .reverse()
      .map((leaf) => leaf.id);
    if (options.dryRun) return order;
    await this.run(order.map((id) => ({ units: [[id]], parallel: 1 })), 'rollback', false, async () => {
      await this.options.store.setState(this.record.id, 'failed', this.clock.now(), true);
    });
    return order;
  }

  /**
   * Marks the operation completed if every leaf completed, else failed. Under the operation lock, so
   * that a run in another terminal is not marked ended under its feet; an operation that has ended is
   * refused (completing it again would rewrite its end, and drop its "rolled back").
   */
  async complete(): Promise<Operation['state']> {
    await this.assertActive();
    await this.acquireLock();
    try {
      return await this.completeLocked();
    } finally {
      await this.options.store.releaseLock(this.record.id, this.options.holder.pid);
    }
  }

  /** Completes the operation; the caller holds the lock. */
  private async completeLocked(): Promise<Operation['state']> {
    const state = isCompleted(await this.plan()) ? 'completed' : 'failed';
    await this.options.store.setState(this.record.id, state, this.clock.now());
    return state;
  }

  /** The leaves in the order `run` would execute them, for progress counters. */
  async leafOrder(): Promise<string[]> {
    return leaves(await this.plan()).map((leaf) => leaf.id);
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * The refusal of `--force` on a group, naming a leaf to force instead: the first in progress, else
   * the first not completed, else the first.
   */
  private refuseForcedGroup(target: Phase, targetLeaves: Phase[]): GravityError {
    const example =
      targetLeaves.find((leaf) => leaf.state === 'in_progress') ?? targetLeaves.find((leaf) => leaf.state !== 'completed') ?? targetLeaves[0];
    const command = example === undefined ? '' : `, e.g. 'gravity plan execute --phase ${example.id} --force'`;
    return refuse(
      `cannot use --force with group phase "${target.id}": --force runs a single leaf phase`,
      [],
      `force its leaf phases one by one${command}; without --force the group runs the phases it has not completed`,
    );
  }

  private find(plan: Phase, phaseId: string): Phase {
    const phase = findPhase(plan, phaseId);
    if (phase === undefined) throw new GravityError('E_PHASE_NOT_FOUND', `phase "${phaseId}" not found`, { hint: "'gravity plan' lists the phases" });
    return phase;
  }

  private async assertActive(): Promise<void> {
    const state = (await this.options.store.get(this.record.id))?.state;
    if (state !== 'in_progress') {
      throw refuse(`operation ${this.record.id} is ${state === 'completed' ? 'completed' : 'failed'}: its plan cannot change any more`);
    }
  }

  /** Requirements of the phase and of every ancestor must be completed. */
  private checkRequirements(plan: Phase, target: Phase): void {
    for (const phase of [...ancestors(plan, target.id), target]) {
      for (const required of phase.requires) {
        const requiredPhase = findPhase(plan, required);
        if (requiredPhase?.state !== 'completed') throw refuse(`required phase "${required}" is not completed`);
      }
    }
  }

  /**
   * checkRequirements for a leaf about to run, with the states this run keeps (`latest`) rather than
   * a plan rebuilt from the store: the same phases checked, the same states, the same refusal.
   */
  private checkLeafRequirements(phaseId: string): void {
    const root = this.record.plan;
    const target = this.specs.get(phaseId);
    if (target === undefined) throw new GravityError('E_PHASE_NOT_FOUND', `phase "${phaseId}" not found`, { hint: "'gravity plan' lists the phases" });
    for (const phase of [...ancestors(root, phaseId), target]) {
      for (const required of phase.requires) {
        const requiredPhase = findPhase(root, required);
        if (requiredPhase === undefined || this.storedState(requiredPhase) !== 'completed') throw refuse(`required phase "${required}" is not completed`);
      }
    }
  }

  /** A phase's state from `latest`, as resolvePlan derives it. */
  private storedState(phase: PhaseSpec): PhaseState {
    if (phase.phases.length === 0) return this.latest.get(phase.id)?.state ?? 'unstarted';
    return deriveState(phase.phases.map((child) => this.storedState(child)));
  }

  /** Keeps a leaf's latest change by resolvePlan's rule: the latest time wins; of equal times, the later written. */
  private noteChange(change: PhaseChange): void {
    const current = this.latest.get(change.phaseId);
    if (current === undefined || change.time >= current.time) this.latest.set(change.phaseId, change);
  }

  /**
   * Steps for a subtree: a group's children in order, or a pool running `parallel` of them at a time
   * (a child with nothing to run takes no slot). Every group keeps its own setting wherever it sits:
   * a group with `parallel` inside a pool's unit is a nested pool, and a group run in order inside
   * one is its leaves in order.
   */
  private schedule(root: Phase, include: (leaf: Phase) => boolean): PlanStep[] {
    // The items of a subtree, in the order they run: its leaves, or a pool for a parallel group.
    const items = (phase: Phase): PlanItem[] => {
      if (phase.phases.length === 0) return include(phase) ? [phase.id] : [];
      const parallel = phase.parallel ?? 1;
      if (parallel <= 1) return phase.phases.flatMap(items);
      const units = phase.phases.map(items).filter((unit) => unit.length > 0);
      return units.length > 0 ? [{ units, parallel }] : [];
    };
    return items(root).map((item) => (typeof item === 'string' ? { units: [[item]], parallel: 1 } : item));
  }

  /** Takes the cluster's operation lock for this engine's holder; throws E_OPERATION_LOCKED naming a live holder. */
  private async acquireLock(): Promise<void> {
    const lock = await this.options.store.acquireLock({ operationId: this.record.id, ...this.options.holder, since: this.clock.now() });
    if (!lock.acquired) {
      const { holder } = lock;
      throw new GravityError(
        'E_OPERATION_LOCKED',
        `operation ${holder.operationId} is being run by pid ${holder.pid} on ${holder.hostname}`,
        { hint: "wait for it to finish, or follow it with 'gravity plan --follow'" },
      );
    }
  }

  /**
   * Runs the steps as a plan machine under the operation lock; throws the first failure. `afterSuccess`
   * runs under the same lock once every step succeeded (the operation's end is written there).
   */
  private async run(steps: PlanStep[], action: PhaseAction, checkRequirements: boolean, afterSuccess?: () => Promise<void>): Promise<void> {
    if (steps.length === 0 && afterSuccess === undefined) return;
    await this.acquireLock();
    try {
      this.latest = new Map();
      for (const change of await this.options.store.changes(this.record.id)) this.noteChange(change);
      // The step being run, settled or not: an aborted plan machine stops waiting for it, but its
      // phases are still ending (their processes being killed) and must record that end before the
      // lock is released and the run returns, or the plan would read in_progress after `stop()`.
      let inflight: Promise<void> = Promise.resolve();
      let failure: unknown;
      const logic = planMachine.provide({
        actors: {
          runStep: fromPromise(({ input }) => {
            const running = this.runStep(input.step, action, checkRequirements, this.options.scope);
            inflight = running.then(
              () => undefined,
              (error: unknown) => {
                failure ??= error;
              },
            );
            return running;
          }),
        },
      });
      const planned = this.options.scope.spawn('plan', logic, { operationId: this.record.id, steps });
      const onAbort = (): void => planned.actor.send({ type: 'ABORT' });
      this.abort.signal.addEventListener('abort', onAbort);
      if (this.abort.signal.aborted) onAbort();
      let output;
      try {
        output = await planned.done;
      } finally {
        this.abort.signal.removeEventListener('abort', onAbort);
        await inflight;
      }
      if (output.result !== 'completed') {
        // The step's own error keeps its code: a requirement refused when its leaf's turn came is
        // E_PLAN_REFUSED (nothing ran), not a phase failure.
        if (isGravityError(failure)) throw failure;
        throw new GravityError('E_PHASE_FAILED', output.error ?? `the operation was ${output.result}`);
      }
      await afterSuccess?.();
    } finally {
      await this.options.store.releaseLock(this.record.id, this.options.holder.pid);
    }
  }

  /**
   * Runs a step's units, `parallel` at a time, each free slot taking the next unit. After a failure no
   * unit starts; the running ones end, then the first failure is thrown.
   */
  private async runStep(step: PlanStep, action: PhaseAction, checkRequirements: boolean, scope: ActorScope): Promise<void> {
    if (step.units.length === 1 && step.units[0] !== undefined) {
      await this.runUnit(step.units[0], action, checkRequirements, scope);
      return;
    }
    let next = 0;
    let failure: { error: unknown } | undefined;
    const slot = async (): Promise<void> => {
      for (let unit = step.units[next]; unit !== undefined && failure === undefined; unit = step.units[next]) {
        next += 1;
        try {
          await this.runUnitActor(unit, action, checkRequirements, scope);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(step.parallel, step.units.length)) }, slot));
    if (failure !== undefined) throw failure.error;
  }

  /**
   * One unit of a parallel step as an actor of its own (`unit:<its first leaf>`), its phases below it:
   * the units running side by side are children in the tree, not a pool hidden in one promise.
   */
  private async runUnitActor(unit: PlanItem[], action: PhaseAction, checkRequirements: boolean, scope: ActorScope): Promise<void> {
    const id = `unit:${firstLeaf(unit) ?? 'empty'}`;
    const unitScope = scope.scopeOf(id);
    const logic = fromPromise<void, { leaves: number }>(() => this.runUnit(unit, action, checkRequirements, unitScope));
    try {
      await scope.spawn(id, logic, { leaves: unit.length }).done;
    } catch (error) {
      // A unit's own failure is its phase's; only a crash of the unit actor itself is named as one.
      if (error instanceof ScopedActorCrash && isGravityError(error.crash)) throw error.crash;
      throw error;
    }
  }

  /** Runs a unit's items in order: each leaf, or each nested pool (a parallel group inside it). */
  private async runUnit(unit: PlanItem[], action: PhaseAction, checkRequirements: boolean, scope: ActorScope): Promise<void> {
    for (const item of unit) {
      if (this.abort.signal.aborted) throw new GravityError('E_PHASE_FAILED', 'interrupted');
      if (typeof item !== 'string') {
        await this.runStep(item, action, checkRequirements, scope);
        continue;
      }
      if (checkRequirements && action === 'execute') this.checkLeafRequirements(item);
      await this.runLeaf(item, action, scope);
    }
  }

  private async runLeaf(phaseId: string, action: PhaseAction, scope: ActorScope): Promise<void> {
    const spec = this.specs.get(phaseId);
    if (spec === undefined) throw new GravityError('E_PHASE_NOT_FOUND', `phase "${phaseId}" not found`);
    const started = this.clock.monotonic();
    this.options.onProgress?.({ kind: 'start', phaseId, action, ...(spec.node === undefined ? {} : { node: spec.node }) });
    const phaseActorId = `phase:${phaseId}`;
    const phaseScope = scope.scopeOf(phaseActorId);
    // The effect, settled or not: a crashed phase actor stops waiting for it, but its processes are
    // still being killed, and the failure is recorded only once they are.
    let effect: Promise<void> = Promise.resolve();
    const logic = (this.options.phaseLogic ?? phaseMachine).provide({
      actors: {
        // The phase machine waits for this write before the effect starts and after it ends.
        record: fromPromise<void, RecordInput>(async ({ input }) => {
          const change: PhaseChange = {
            operationId: this.record.id,
            phaseId: input.phaseId,
            state: input.state,
            time: this.clock.now(),
            ...(input.error === undefined ? {} : { error: input.error }),
          };
          await this.options.store.appendChange(change);
          this.noteChange(change);
        }),
        runPhase: fromPromise<void, PhaseMachineInput>(async ({ input, signal }) => {
          const abort = (): void => {
            // A stopped run kills its processes too.
            if (!signal.aborted) controller.abort(this.abort.signal.reason);
          };
          const controller = new AbortController();
          signal.addEventListener('abort', () => controller.abort(signal.reason));
          // stop() may have come while in_progress was being recorded: the effect starts aborted.
          if (this.abort.signal.aborted) controller.abort(this.abort.signal.reason);
          else this.abort.signal.addEventListener('abort', abort);
          const running = (async (): Promise<void> => {
            try {
              await this.settleSurvivors(spec, controller.signal);
              const context: PhaseContext = {
                signal: controller.signal,
                operationId: this.record.id,
                processes: this.processTracker(phaseId),
                scope: phaseScope,
              };
              await (input.action === 'execute' ? this.options.runner.execute(spec, context) : this.options.runner.rollback(spec, context));
            } finally {
              this.abort.signal.removeEventListener('abort', abort);
            }
          })();
          effect = running.then(
            () => undefined,
            () => undefined,
          );
          return running;
        }),
      },
    });
    let output: { state: 'completed' | 'rolled_back' | 'failed'; error?: string };
    try {
      output = await scope.spawn(phaseActorId, logic, { phaseId, action }).done;
    } catch (error) {
      if (!(error instanceof ScopedActorCrash)) throw error;
      // The phase actor crashed: its effect is aborted (XState stopped it); once its processes are
      // gone, the phase is recorded failed with the crash as its error. Never re-run on its own.
      await effect;
      const crash = `crashed: ${error.message}`;
      const change: PhaseChange = { operationId: this.record.id, phaseId, state: 'failed', time: this.clock.now(), error: crash };
      await this.options.store.appendChange(change);
      this.noteChange(change);
      output = { state: 'failed', error: crash };
    }
    const durationMs = this.clock.monotonic() - started;
    if (output.state === 'failed') {
      const error = output.error ?? `phase ${phaseId} failed`;
      this.options.onProgress?.({ kind: 'failed', phaseId, action, durationMs, error });
      throw new GravityError('E_PHASE_FAILED', `phase "${phaseId}" failed: ${error}`);
    }
    this.options.onProgress?.({ kind: 'done', phaseId, action, durationMs });
  }

  /** Records the phase's process group before its command runs, and forgets it once it is gone. */
  private processTracker(phaseId: string): PhaseProcessTracker {
    const { store, holder } = this.options;
    return {
      started: ({ pid, startTime }) =>
        store.recordPhaseProcess({
          operationId: this.record.id,
          phaseId,
          pgid: pid,
          ...(startTime === undefined ? {} : { startTime }),
          hostname: holder.hostname,
          since: this.clock.now(),
        }),
      gone: (pid) => {
        store.clearPhaseProcess(this.record.id, phaseId, pid).catch((error: unknown) => {
          // The record stays: the next run finds its group gone and clears it then.
          this.options.onProgress?.({ kind: 'warning', message: `phase "${phaseId}": cannot clear the record of process group ${pid}: ${(error as Error).message}` });
        });
      },
    };
  }

  /**
   * Deals with the phase's process groups that an earlier run recorded and never cleared: one that
   * still runs as recorded is ended (or, with `onSurvivor: wait`, waited for up to the phase's
   * timeout, then ended) before the phase runs again; one that is gone is forgotten.
   */
  private async settleSurvivors(spec: PhaseSpec, signal: AbortSignal): Promise<void> {
    const { store, holder } = this.options;
    for (const record of (await store.phaseProcesses(this.record.id)).filter((candidate) => candidate.phaseId === spec.id)) {
      if (record.hostname !== holder.hostname) {
        // A pid means something only on its own host: left for a run there.
        this.options.onProgress?.({
          kind: 'warning',
          message: `phase "${spec.id}": process group ${record.pgid} from an earlier run on ${record.hostname} cannot be checked from here`,
        });
        continue;
      }
      if (isSurvivor(record)) {
        const waitMs = survivorWaitMs(spec, record, this.clock.now());
        if (waitMs > 0) this.options.onProgress?.({ kind: 'survivor', phaseId: spec.id, pgid: record.pgid, what: 'waiting' });
        let how: SurvivorEnd;
        try {
          how = await settleSurvivor(record, {
            policy: waitMs > 0 ? 'wait' : 'kill',
            waitMs,
            graceMs: this.options.survivorGraceMs ?? 500,
            timeoutMs: this.options.survivorTimeoutMs ?? 10_000,
            clock: this.clock,
            signal,
          });
        } catch (error) {
          throw new GravityError('E_PHASE_FAILED', `aborted while waiting for process group ${record.pgid} from an earlier run`, { cause: error });
        }
        this.options.onProgress?.({ kind: 'survivor', phaseId: spec.id, pgid: record.pgid, what: how });
        if (how === 'survived') {
          throw new GravityError('E_PHASE_FAILED', `process group ${record.pgid} from an earlier run is still alive after SIGKILL`);
        }
      }
      await store.clearPhaseProcess(this.record.id, spec.id, record.pgid);
    }
  }
}

/** The first leaf a unit runs, to name its actor. */
function firstLeaf(unit: PlanItem[]): string | undefined {
  for (const item of unit) {
    if (typeof item === 'string') return item;
    for (const inner of item.units) {
      const found = firstLeaf(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The longest a survivor is waited for with `onSurvivor: wait`: the phase's own timeout, counted from when it started. */
function survivorWaitMs(spec: PhaseSpec, record: PhaseProcess, now: number): number {
  const executor = spec.executor;
  if (executor?.kind !== 'run' || executor.onSurvivor !== 'wait') return 0;
  return Math.max(0, record.since + executor.timeoutMs - now);
}

export async function operationView(store: OperationStore, record: OperationRecord): Promise<Operation> {
  const { plan, ...current } = (await store.get(record.id)) ?? record;
  return { ...current, plan: resolvePlan(plan, await store.changes(record.id)) };
}

/** Creates a new operation from a plan; returns its id. */
export async function createOperation(
  store: OperationStore,
  operation: { id: string; type: OperationRecord['type']; description: string; plan: PhaseSpec; created: number },
): Promise<string> {
  await store.create(operation);
  return operation.id;
}
