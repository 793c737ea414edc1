// Stand-ins for the status hook's job in unit tests: the real hook-job machine, its attempts
// scripted instead of run as processes, to be provided as the status hook's `job`.

import { fromPromise } from 'xstate';
import { hookJobMachine } from '../../src/machines/hook-job.ts';
import type { RunAttemptInput } from '../../src/machines/hook-job.ts';
import type { ProcessOutcome } from '../../src/actors/run-process.ts';

/** How one scripted attempt ends: an outcome (a clean exit unless it says otherwise), or a rejection. */
export type ScriptedAttempt = Partial<ProcessOutcome> | { reject: string };

/** A finished process: exit code 0, no output. */
export function processOutcome(outcome: Partial<ProcessOutcome> = {}): ProcessOutcome {
  return { exitCode: 0, signal: null, output: '', timedOut: false, aborted: false, durationMs: 0, ...outcome };
}

/**
 * The hook-job machine with `runAttempt` provided by `run`.
 * @example statusHookMachine.provide({ actors: { job: fakeHookJob(() => Promise.resolve({ exitCode: 1 })) } })
 */
export function fakeHookJob(run: (input: RunAttemptInput, signal: AbortSignal) => Promise<Partial<ProcessOutcome>>): typeof hookJobMachine {
  return hookJobMachine.provide({
    actors: {
      runAttempt: fromPromise<ProcessOutcome, RunAttemptInput>(async ({ input, signal }) => processOutcome(await run(input, signal))),
    },
  });
}

/**
 * A hook job whose attempts end as scripted, in order (the last one repeats); `attempts()` counts them.
 * @example const { logic, attempts } = scriptedHookJob([{ exitCode: 1, output: 'db down' }, {}]);
 */
export function scriptedHookJob(script: ScriptedAttempt[]): { logic: typeof hookJobMachine; attempts: () => number } {
  let calls = 0;
  const logic = fakeHookJob(() => {
    const next = script[Math.min(calls, script.length - 1)] ?? {};
    calls += 1;
    return 'reject' in next ? Promise.reject(new Error(next.reject)) : Promise.resolve(next);
  });
  return { logic, attempts: () => calls };
}
