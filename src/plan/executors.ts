// The executors that do a plan's work on this node: `run` (a command, with its rollback command),
// `hook` (a job of the app manifest) and `waitHealthy` (until the local agent reports this node's probes
// all running). The plan engine records a phase's state around each call; this module only does the
// work and, when it fails, says why in ONE line: the line the plan shows in its error column. Every
// failure rejects with E_PHASE_FAILED. A phase that belongs to another node is refused with Gravity's
// message, since no agent can run it there yet.

import type { ActorScope } from '../supervisor/actor-scope.ts';
import { runHook } from '../actors/hook-runner.ts';
import { runProcess } from '../actors/run-process.ts';
import type { ProcessOutcome } from '../actors/run-process.ts';
import { callAgent } from '../api/control-client.ts';
import { systemClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { AppManifest } from '../config/types.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { ClusterReport, NodeReport } from '../health/types.ts';
import { lastLine } from '../machines/hook-job.ts';
import type { HookJobOutput } from '../machines/hook-job.ts';
import type { PhaseExecutor, PhaseSpec } from './types.ts';

/**
 * Where a phase's commands are recorded: `started` before the command runs (it runs only once this
 * resolves; if it rejects, it does not run), `gone` once nothing of its process group is left.
 */
export interface PhaseProcessTracker {
  started(process: { pid: number; startTime: number | undefined }): Promise<void>;
  gone(pid: number): void;
}

/** What the engine gives every executor call. */
export interface PhaseContext {
  /** Aborting it stops the phase at once (a running command is killed with its process group). */
  signal: AbortSignal;
  /** The operation's id, passed to commands as GRAVITY_OPERATION_ID. */
  operationId: string;
  /** Records each command's process group around its run; commands are not recorded without it. */
  processes?: PhaseProcessTracker;
  /** The phase actor's scope: its hook jobs run there as `hook:<name>` (src/supervisor/actor-scope.ts). */
  scope: ActorScope;
}

/**
 * Runs a leaf phase forward or backward; rejects with a GravityError E_PHASE_FAILED whose message is one line.
 * @example
 * try { await runner.rollback(phase, ctx); } catch (error) { if (isGravityError(error, 'E_PHASE_FAILED')) record(phase.id, 'failed', error.message); }
 */
export interface PhaseRunner {
  execute(phase: PhaseSpec, ctx: PhaseContext): Promise<void>;
  rollback(phase: PhaseSpec, ctx: PhaseContext): Promise<void>;
}

export interface PhaseExecutorsOptions {
  /** The state dir of this node's agent, asked for probe statuses by `waitHealthy`. */
  stateDir: string;
  /** The app manifest whose hooks `hook` phases run. */
  app?: AppManifest;
  /** This node's name: phases whose `node` is another node are refused. */
  localNode: string;
  /** Timers for retries, deadlines and polling. */
  clock?: Clock;
  /** How long a command's process group has between SIGTERM and SIGKILL. 500 ms by default. */
  killGraceMs?: number;
  /** How often `waitHealthy` asks the agent. 1 s by default. */
  healthPollIntervalMs?: number;
}

export const defaultHealthPollIntervalMs = 1000;
/** The longest a single `status` request to the agent may take. */
const maxStatusRequestMs = 5000;
/** The time a `status` request gets even at the deadline: the last look must be a fair one. */
const minStatusRequestMs = 1000;

/**
 * A duration in the short form users write (`1h`, `5m`, `1m30s`, `2.5s`, `250ms`).
 * @example formatDurationMs(3_600_000) // '1h'
 */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const total = Math.max(0, Math.round(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (minutes > 0) text += `${minutes}m`;
  if (seconds > 0) text += `${Number(seconds.toFixed(3))}s`;
  return text;
}

/** An error's message, or any other thrown value as text. */
function describeValue(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    // A value JSON cannot encode (a cycle, a BigInt): say what it is rather than nothing.
    return `${typeof value} (${error instanceof Error ? error.message : 'not printable'})`;
  }
}

function phaseFailed(message: string, cause?: unknown): GravityError {
  return new GravityError('E_PHASE_FAILED', message, cause === undefined ? {} : { cause });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Why the phase stopped when its signal was aborted, in one line. */
function abortedError(signal: AbortSignal): GravityError {
  const reason: unknown = signal.reason;
  const generic = reason === undefined || (reason instanceof Error && reason.name === 'AbortError');
  const why = generic ? '' : `: ${firstLine(describeValue(reason))}`;
  return phaseFailed(`aborted${why}`, reason);
}

/** Waits `ms` on the clock; resolves false at once when the signal is aborted. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer: TimerHandle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    function onAbort(): void {
      clock.clearTimeout(timer);
      resolve(false);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects with the abort error as soon as the signal is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // After an abort this rejection has no reader: the abort already settled the race.
        reject(error instanceof Error ? error : new Error(describeValue(error)));
      },
    );
  });
}

/** Why one attempt of a command failed, in one line; undefined when it succeeded. */
function describeOutcome(outcome: ProcessOutcome, timeoutMs: number): string | undefined {
  if (outcome.error !== undefined) return outcome.error;
  if (outcome.exitCode === 0 && !outcome.timedOut && !outcome.aborted) return undefined;
  let reason: string;
  if (outcome.timedOut) reason = `timed out after ${formatDurationMs(timeoutMs)}`;
  else if (outcome.exitCode !== null) reason = `exit code ${outcome.exitCode}`;
  else if (outcome.signal !== null) reason = `killed by ${outcome.signal}`;
  else reason = 'ended without an exit code';
  const line = lastLine(outcome.output);
  return line === undefined ? reason : `${reason}: ${line}`;
}

type RunExecutor = Extract<PhaseExecutor, { kind: 'run' }>;

/** The location check of Gravity's Execute: a phase on another node needs that node's agent. */
function refuseRemote(phase: PhaseSpec, localNode: string, verb: 'execute' | 'roll back'): void {
  if (phase.node !== undefined && phase.node !== localNode) {
    throw phaseFailed(`no agent is running on node ${phase.node}, please ${verb} phase "${phase.id}" locally on that node`);
  }
}

function executorOf(phase: PhaseSpec): PhaseExecutor {
  if (phase.executor === undefined) {
    throw phaseFailed(`phase "${phase.id}" has no executor: only its sub-phases can be run`);
  }
  return phase.executor;
}

function isHealthy(node: NodeReport): boolean {
  return node.status === 'running' && node.probes.every((probe) => probe.status === 'running');
}

/** What keeps a node from being healthy, in one line. */
function describeUnhealthy(report: ClusterReport | undefined, nodeName: string): string {
  if (report === undefined) return 'the agent has not reported yet';
  const node = report.nodes.find((candidate) => candidate.name === nodeName);
  if (node === undefined) return `the agent does not report node ${nodeName}`;
  const problems = node.probes
    .filter((probe) => probe.status !== 'running')
    .map((probe) => `probe ${probe.name} ${probe.status}${probe.error === undefined ? '' : ` (${firstLine(probe.error)})`}`);
  if (problems.length > 0) return problems.join(', ');
  return `node status is ${node.status}`;
}

/**
 * The executors of plan phases on this node.
 * @example
 * const runner = createPhaseExecutors({ stateDir: '/var/lib/gravity', localNode: 'node-1', app });
 * await runner.execute(phase, { signal: controller.signal, operationId });
 * // a failure rejects with E_PHASE_FAILED, e.g. `exit code 1: cannot drain node-1`
 */
export function createPhaseExecutors(options: PhaseExecutorsOptions): PhaseRunner {
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.healthPollIntervalMs ?? defaultHealthPollIntervalMs;

  /** Runs a command with the executor's settings: retries with doubling backoff, each attempt bounded by the timeout. */
  async function runCommand(executor: RunExecutor, argv: readonly string[], phase: PhaseSpec, ctx: PhaseContext): Promise<void> {
    // With `shell: true` the words are one script for `sh -c`; otherwise no shell sees them.
    const command = executor.shell ? ['sh', '-c', argv.join(' ')] : argv;
    const env = { ...executor.env, GRAVITY_OPERATION_ID: ctx.operationId, GRAVITY_PHASE: phase.id };
    const attempts = 1 + Math.max(0, executor.retries);
    const processes = ctx.processes;
    for (let attempt = 1; ; attempt += 1) {
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      const outcome = await runProcess({
        argv: command,
        env,
        ...(executor.workingDir === undefined ? {} : { cwd: executor.workingDir }),
        timeoutMs: executor.timeoutMs,
        signal: ctx.signal,
        clock,
        ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
        ...(processes === undefined ? {} : { beforeCommand: (started) => processes.started(started), onGroupGone: (pid) => processes.gone(pid) }),
      });
      if (outcome.aborted || ctx.signal.aborted) throw abortedError(ctx.signal);
      const failure = describeOutcome(outcome, executor.timeoutMs);
      if (failure === undefined) return;
      if (attempt >= attempts) throw phaseFailed(attempts > 1 ? `${failure} (attempt ${attempt} of ${attempts})` : failure);
      const backoff = Math.max(0, executor.retryBackoffMs) * 2 ** Math.min(attempt - 1, 30);
      if (!(await sleep(clock, backoff, ctx.signal))) throw abortedError(ctx.signal);
    }
  }

  async function runHookPhase(name: string, phase: PhaseSpec, ctx: PhaseContext): Promise<void> {
    const app = options.app;
    if (app === undefined) throw phaseFailed(`hook "${name}" is not defined: no app manifest is configured`);
    const job = app.hooks[name];
    if (job === undefined) throw phaseFailed(`hook "${name}" is not defined in the app manifest ${app.path}`);
    const processes = ctx.processes;
    let output: HookJobOutput;
    try {
      output = await runHook(
        { ...job, env: { ...job.env, GRAVITY_OPERATION_ID: ctx.operationId, GRAVITY_PHASE: phase.id } },
        {
          name,
          scope: ctx.scope,
          signal: ctx.signal,
          clock,
          ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
          ...(processes === undefined ? {} : { beforeCommand: (started) => processes.started(started), onGroupGone: (pid) => processes.gone(pid) }),
        },
      );
    } catch (error) {
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      throw phaseFailed(`hook "${name}" failed: ${firstLine(describeValue(error))}`, error);
    }
    if (output.result === 'succeeded') return;
    // The job's message names the hook as `hook NAME ...`; the plan quotes names.
    const prefix = `hook ${name} `;
    const rest = output.message.startsWith(prefix) ? output.message.slice(prefix.length) : `failed: ${output.message}`;
    throw phaseFailed(firstLine(`hook "${name}" ${rest}`));
  }

  async function waitHealthy(timeoutMs: number, ctx: PhaseContext): Promise<void> {
    const node = options.localNode;
    const deadline = clock.monotonic() + timeoutMs;
    let report: ClusterReport | undefined;
    let lastProblem: string | undefined;
    for (;;) {
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      const remaining = deadline - clock.monotonic();
      try {
        report = await untilAborted(
          callAgent({ stateDir: options.stateDir, timeoutMs: Math.min(maxStatusRequestMs, Math.max(minStatusRequestMs, remaining)) }, 'status'),
          ctx.signal,
        );
        lastProblem = undefined;
      } catch (error) {
        if (ctx.signal.aborted) throw abortedError(ctx.signal);
        if (isGravityError(error, 'E_AGENT_NOT_RUNNING')) {
          // Either none runs, or (the message says so) one runs without its control socket.
          throw phaseFailed(
            error.message.startsWith('no agent') ? `no agent is running for state dir ${options.stateDir} (start it with 'gravity start')` : firstLine(error.message),
            error,
          );
        }
        if (isGravityError(error, 'E_AGENT_UNREACHABLE')) {
          // A busy or restarting agent: ask again until the deadline.
          lastProblem = firstLine(error.message);
        } else {
          throw phaseFailed(`cannot read this node's health from the agent: ${firstLine(describeValue(error))}`, error);
        }
      }
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      const mine = lastProblem === undefined ? report?.nodes.find((candidate) => candidate.name === node) : undefined;
      if (mine !== undefined && isHealthy(mine)) return;
      const left = deadline - clock.monotonic();
      if (left <= 0) {
        const why = lastProblem ?? describeUnhealthy(report, node);
        throw phaseFailed(`node ${node} did not become healthy within ${formatDurationMs(timeoutMs)}: ${why}`);
      }
      if (!(await sleep(clock, Math.min(pollIntervalMs, left), ctx.signal))) throw abortedError(ctx.signal);
    }
  }

  return {
    async execute(phase, ctx) {
      const executor = executorOf(phase);
      refuseRemote(phase, options.localNode, 'execute');
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      switch (executor.kind) {
        case 'run':
          return runCommand(executor, executor.argv, phase, ctx);
        case 'hook':
          return runHookPhase(executor.hook, phase, ctx);
        case 'waitHealthy':
          return waitHealthy(executor.timeoutMs, ctx);
      }
    },

    async rollback(phase, ctx) {
      const executor = executorOf(phase);
      // Hooks and health waits change nothing, and a command without a `rollback` has nothing to undo:
      // like Gravity's executors without a rollback, these roll back as a success, wherever they ran.
      if (executor.kind !== 'run' || executor.rollback === undefined) return;
      refuseRemote(phase, options.localNode, 'roll back');
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      return runCommand(executor, executor.rollback, phase, ctx);
    },
  };
}
