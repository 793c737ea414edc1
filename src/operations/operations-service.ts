// Runs requests on operations as actors of an `operations` supervisor: each accepted request becomes
// the child `operation:<id>` (the operation machine), whose plan machine, phases, parallel units and
// hook jobs are its scoped children (`phase:<path>`, ...). The same service serves the agent (its
// tree's `agent/operations`) and a CLI with no agent to ask (a subtree it starts itself, see
// local-operations.ts): one code path. Restart rules: the operation child is transient, so one that
// crashes is restarted once per crash and resumes its request from the changelog (completed phases
// are not run again; a forced execute is not forced again), at most `maxOperationAttempts` starts; a
// phase actor that crashes is a failed phase, never re-run on its own (src/plan/engine.ts).

import { fromPromise } from 'xstate';
import type { Clock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { InspectionBus } from '../actors/inspection.ts';
import { operationMachine } from '../machines/operation.ts';
import type { OperationMachineInput, OperationRequest, PerformOutcome } from '../machines/operation.ts';
import type { phaseMachine } from '../machines/phase.ts';
import { PlanEngine } from '../plan/engine.ts';
import type { PhaseRunner } from '../plan/executors.ts';
import type { OperationLockHolder, OperationStore } from '../store/types.ts';
import { ActorScope } from '../supervisor/actor-scope.ts';
import type { ActorChildSpec } from '../supervisor/spec.ts';
import type { Supervisor } from '../supervisor/supervisor.ts';
import { OperationRun, maxOperationAttempts } from './operation-run.ts';
import type { OperationAnswer } from './operation-run.ts';

/** The operation child's id under the operations supervisor. */
export function operationChildId(operationId: string): string {
  return `operation:${operationId}`;
}

/** How long an operation actor gets to stop: its phases' processes are killed (500 ms grace) and their end recorded. */
export const operationShutdownMs = 15_000;

export interface OperationsServiceOptions {
  /** The running operations supervisor, looked up at each request (a restart replaces it); undefined while it is not running. */
  supervisor: () => Supervisor | undefined;
  store: OperationStore;
  runner: PhaseRunner;
  /** Who runs the operations, for the operation lock: this process. */
  holder: Pick<OperationLockHolder, 'pid' | 'hostname' | 'startTime'>;
  bus: InspectionBus;
  clock: Clock;
  /** The phase machine the engine runs; tests fault it through `provide()`. */
  phaseLogic?: typeof phaseMachine;
  survivorGraceMs?: number;
  survivorTimeoutMs?: number;
}

/** Runs the request on the engine; a retry after a crash is never forced. */
async function performRequest(engine: PlanEngine, request: OperationRequest, retry: boolean): Promise<OperationAnswer> {
  switch (request.action) {
    case 'execute':
      await engine.execute(request.phase, { force: request.force && !retry });
      return {};
    case 'resume':
      return { state: await engine.resume() };
    case 'rollback':
      return { order: await engine.rollback(request.phase, { force: request.force, dryRun: false }) };
    case 'rollback-all':
      return { order: await engine.rollbackAll({ dryRun: false }) };
    case 'complete':
      return { state: await engine.complete() };
  }
}

/**
 * @example
 * const service = new OperationsService({ supervisor: () => operations, store: store.operations, runner, holder, bus, clock });
 * const run = await service.start({ action: 'resume', operationId });
 * const outcome = await run.outcome;
 */
export class OperationsService {
  private readonly runs = new Map<string, OperationRun>();
  private readonly stopWatching: () => void;

  constructor(private readonly options: OperationsServiceOptions) {
    // A run whose actor ended without answering (its supervisor gave up on it, or stopped it before
    // its engine could answer) is answered from the supervisor's record.
    this.stopWatching = options.bus.subscribe(
      (record) => {
        if (record.kind !== 'supervisor' || !['remove', 'stop', 'kill', 'give_up', 'ignore'].includes(record.action)) return;
        for (const [operationId, run] of this.runs) {
          if (record.child !== operationChildId(operationId) || run.done) continue;
          run.settle({ ok: false, error: new GravityError('E_PHASE_FAILED', `the operation's actor ended without an answer: ${record.action} (${record.reason})`) });
        }
      },
      { kinds: ['supervisor'] },
    );
  }

  /** The path of an operation's actor, e.g. `agent/operations/operation:<id>`. */
  pathOf(operationId: string): string {
    return `${this.options.supervisor()?.path ?? 'operations'}/${operationChildId(operationId)}`;
  }

  /** The runs in progress. */
  running(): OperationRun[] {
    return [...this.runs.values()].filter((run) => !run.done);
  }

  /**
   * Accepts a request: starts its `operation:<id>` actor and returns the run to follow. Refused with
   * E_OPERATION_LOCKED while a request on the same operation runs here.
   */
  async start(request: OperationRequest): Promise<OperationRun> {
    const current = this.runs.get(request.operationId);
    if (current !== undefined && !current.done) {
      throw new GravityError('E_OPERATION_LOCKED', `operation ${request.operationId} is already being run (${current.request.action}) by this node's agent`, {
        hint: "follow it with 'gravity plan --follow', or stop it with 'gravity plan --abort'",
      });
    }
    const supervisor = this.options.supervisor();
    if (supervisor === undefined) throw new GravityError('E_SUPERVISOR_NOT_RUNNING', 'the operations supervisor is not running');
    const run = new OperationRun(request);
    this.runs.set(request.operationId, run);
    void run.outcome.then(() => {
      if (this.runs.get(request.operationId) === run) this.runs.delete(request.operationId);
    });
    const path = `${supervisor.path}/${operationChildId(request.operationId)}`;
    const input: OperationMachineInput = { request };
    const spec: ActorChildSpec = {
      id: operationChildId(request.operationId),
      type: 'worker',
      start: { logic: this.operationLogic(run, path), input, children: () => run.scope?.describe() ?? [] },
      restart: 'transient',
      shutdown: operationShutdownMs,
      thread: 'main',
    };
    try {
      try {
        await supervisor.startChild(spec);
      } catch (error) {
        // The previous request's actor has answered but may not be gone yet: once it is, try again.
        if (!isGravityError(error, 'E_CHILD_EXISTS')) throw error;
        await supervisor.idle();
        await supervisor.startChild(spec);
      }
    } catch (error) {
      run.settle({ ok: false, error: isGravityError(error) ? error : new GravityError('E_INTERNAL', (error as Error).message, { cause: error }) });
      throw error;
    }
    return run;
  }

  /** Asks the runs of an operation (or all) to stop; returns the runs asked. */
  stop(operationId?: string): OperationRun[] {
    const runs = this.running().filter((run) => operationId === undefined || run.request.operationId === operationId);
    for (const run of runs) run.stop();
    return runs;
  }

  /** Stops listening to the bus; the supervisor stops the runs. */
  close(): void {
    this.stopWatching();
  }

  /** The operation machine with its effects: one incarnation per start of the child. */
  private operationLogic(run: OperationRun, path: string): typeof operationMachine {
    let previous: Promise<unknown> = Promise.resolve();
    return operationMachine.provide({
      actors: {
        perform: fromPromise<PerformOutcome, OperationMachineInput>(({ signal }) => {
          const work = previous.then(() => this.perform(run, path, signal));
          previous = work.catch(() => undefined);
          return work;
        }),
      },
      actions: {
        stopRun: () => run.stop(),
      },
    });
  }

  private async perform(run: OperationRun, path: string, signal: AbortSignal): Promise<PerformOutcome> {
    run.attempts += 1;
    if (run.attempts > maxOperationAttempts) {
      run.settle({ ok: false, error: new GravityError('E_PHASE_FAILED', `the operation's actor crashed ${maxOperationAttempts} times: giving up on this request`, {
        hint: "'gravity plan' shows where it stopped; the agent's log has each crash",
      }) });
      return { result: 'failed' };
    }
    const retry = run.attempts > 1;
    if (retry) run.emit({ kind: 'notice', message: `the operation's actor crashed: resuming the request from the changelog (start ${run.attempts} of ${maxOperationAttempts})` });
    const scope = new ActorScope(path, this.options.bus, this.options.clock);
    run.scope = scope;
    const engine = await PlanEngine.open({
      store: this.options.store,
      runner: this.options.runner,
      operationId: run.request.operationId,
      holder: this.options.holder,
      scope,
      clock: this.options.clock,
      onProgress: (event) => run.emit(event),
      ...(this.options.phaseLogic === undefined ? {} : { phaseLogic: this.options.phaseLogic }),
      ...(this.options.survivorGraceMs === undefined ? {} : { survivorGraceMs: this.options.survivorGraceMs }),
      ...(this.options.survivorTimeoutMs === undefined ? {} : { survivorTimeoutMs: this.options.survivorTimeoutMs }),
    });
    // The actor being stopped (its supervisor's shutdown ran out) stops the run too.
    const onAbort = (): void => engine.stop();
    signal.addEventListener('abort', onAbort);
    run.setStopper(() => engine.stop());
    try {
      const answer = await performRequest(engine, run.request, retry);
      run.settle({ ok: true, answer });
      return { result: 'succeeded' };
    } catch (error) {
      // gravity's own errors are answers (a failed phase, a refusal, the lock); anything else is a
      // fault of the host code: the actor crashes and its supervisor restarts it.
      if (!isGravityError(error)) throw error;
      run.settle({ ok: false, error });
      return { result: 'failed' };
    } finally {
      run.setStopper(undefined);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
