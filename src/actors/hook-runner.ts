// Runs application hooks for real: the hook-job machine with its `runAttempt` provided as a local
// process in its own process group (src/actors/run-process.ts), started as the scoped actor
// `hook:<name>` of whoever runs it (a phase), so that it is on the bus and in the tree. Stopping an attempt — the job's
// deadline passing, or the actor being stopped by its supervisor — aborts it, which kills the whole
// process group, so a hook never outlives its job.

import { fromPromise } from 'xstate';
import type { Clock } from '../clock.ts';
import type { ActorScope } from '../supervisor/actor-scope.ts';
import type { HookJob } from '../config/types.ts';
import { hookJobMachine } from '../machines/hook-job.ts';
import type { HookJobInput, HookJobOutput, RunAttemptInput } from '../machines/hook-job.ts';
import { runProcess } from './run-process.ts';
import type { ProcessOutcome, RunProcessOptions } from './run-process.ts';

export interface HookRunnerOptions {
  /** Timers for the process deadlines (the machine's own timers use the actor's clock). */
  clock?: Clock;
  /** How long a process group has between SIGTERM and SIGKILL. 500 ms by default. */
  killGraceMs?: number;
  /** Each attempt's process is recorded with this before its command runs (runProcess's `beforeCommand`). */
  beforeCommand?: RunProcessOptions['beforeCommand'];
  /** Called once nothing of an attempt's process group is left. */
  onGroupGone?: RunProcessOptions['onGroupGone'];
}

/**
 * The hook-job machine with attempts run as local processes; host it like any other actor logic.
 * @example
 * const actor = createActor(hookJobLogic(), { input: { name: 'status', job } });
 * actor.subscribe({ complete: () => console.log(actor.getSnapshot().output?.message) });
 * actor.start();
 */
export function hookJobLogic(options: HookRunnerOptions = {}): typeof hookJobMachine {
  return hookJobMachine.provide({
    actors: {
      runAttempt: fromPromise<ProcessOutcome, RunAttemptInput>(({ input, signal }) =>
        runProcess({
          argv: input.job.command,
          env: input.job.env,
          ...(input.job.workingDir === undefined ? {} : { cwd: input.job.workingDir }),
          timeoutMs: input.remainingMs,
          signal,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
          ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
          ...(options.beforeCommand === undefined ? {} : { beforeCommand: options.beforeCommand }),
          ...(options.onGroupGone === undefined ? {} : { onGroupGone: options.onGroupGone }),
        }),
      ),
    },
  });
}

export interface RunHookOptions extends HookRunnerOptions, Pick<HookJobInput, 'backoffBaseMs' | 'backoffCapMs'> {
  /** The hook's name in the app manifest, for messages. `hook` by default. */
  name?: string;
  /** Where the job's actor runs, as `hook:<name>`: the phase actor's scope. */
  scope: ActorScope;
  /** Aborting it stops the job (killing a running attempt) and rejects with the abort reason. */
  signal?: AbortSignal;
}

/**
 * Runs one hook job to its end and resolves with its result; a failed or overdue hook resolves too
 * (check `result`). Rejects only when aborted or on a fault of the machine itself.
 * @example
 * const { result, message } = await runHook(manifest.hooks.install, { name: 'install', scope: phase.scope });
 * if (result !== 'succeeded') console.error(message); // hook status failed: exit code 1: db down
 */
export function runHook(job: HookJob, options: RunHookOptions): Promise<HookJobOutput> {
  const input: HookJobInput = { name: options.name ?? 'hook', job };
  if (options.backoffBaseMs !== undefined) input.backoffBaseMs = options.backoffBaseMs;
  if (options.backoffCapMs !== undefined) input.backoffCapMs = options.backoffCapMs;
  const signal = options.signal;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);

  const started = options.scope.spawn(`hook:${input.name}`, hookJobLogic(options), input);
  const onAbort = (): void => started.actor.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  return started.done.then(
    (output) => {
      signal?.removeEventListener('abort', onAbort);
      return output;
    },
    (error: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      // Stopping the actor ends it without an output: the abort is the reason.
      if (signal?.aborted === true) throw signal.reason as Error;
      throw error instanceof Error ? error : new Error(String(error));
    },
  );
}
