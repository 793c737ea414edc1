// The status hook's schedule: run the application's `status` hook job, note whether it passed (and,
// when it failed, its message and the end of its output), wait the interval, run it again. Each run
// is the hook-job machine invoked as the child `job`, so the run is an actor of the tree like any
// other (`<status hook path>/job`: inspected, listed by `gravity debug tree`, stopped with the status
// hook). Pure: the job's attempts are the hook-job machine's provided `runAttempt`; the default job
// here has the placeholder that fails every attempt, and src/actors/status-hook-actor.ts provides
// the one that runs processes.

import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { HookJob } from '../config/types.ts';
import { hookJobMachine } from './hook-job.ts';
import type { HookJobInput, HookJobOutput } from './hook-job.ts';

export interface StatusHookInput {
  job: HookJob;
  intervalMs: number;
}

/** The id of the invoked hook-job child while a run is in progress. */
export const statusHookJobId = 'job';

/** The hook's name in the app manifest, as the job's messages say it (`hook status failed: ...`). */
const statusHookName = 'status';

/** What a hook run ends with, as the status hook records it (see hookRunOutput). */
export interface HookRunOutput {
  result: 'succeeded' | 'failed' | 'deadline_exceeded';
  message?: string;
  /** The end of the last attempt's output (see statusHookOutputTail). */
  output?: string;
}

/**
 * What the status hook records of a finished hook-job run.
 * @example hookRunOutput({ name: 'status', result: 'failed', attempts: 1, lastExitCode: 1, lastOutput: 'db down\n', message: 'hook status failed: exit code 1: db down' })
 * // { result: 'failed', message: 'hook status failed: exit code 1: db down', output: 'db down\n' }
 */
export function hookRunOutput(output: HookJobOutput): HookRunOutput {
  return { result: output.result, message: output.message, output: output.lastOutput };
}

/** At most this many of the last lines of a failed run's output are kept for `gravity status` and the log. */
export const statusHookTailLines = 10;
/** ... and at most this many characters of them. */
export const statusHookTailChars = 1000;

/**
 * The last lines of a hook's output, bounded (statusHookTailLines lines, statusHookTailChars
 * characters), without trailing blank lines; undefined when there is nothing to show.
 * @example statusHookOutputTail('a\nb\n\n') // 'a\nb'
 */
export function statusHookOutputTail(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  const lines = output.replace(/\s+$/, '').split('\n').slice(-statusHookTailLines);
  let tail = lines.join('\n');
  if (tail.length > statusHookTailChars) tail = `…${tail.slice(tail.length - statusHookTailChars + 1)}`;
  return tail === '' ? undefined : tail;
}

export interface StatusHookContext extends StatusHookInput {
  lastResult: 'passed' | 'failed' | undefined;
  lastMessage: string | undefined;
  /** The end of the last failed run's output; undefined after a run that passed. */
  lastOutput: string | undefined;
  runs: number;
}

export type StatusHookEvent = { type: 'SHUTDOWN' } | { type: 'RUN_NOW' };

export const statusHookMachine = setup({
  types: { input: {} as StatusHookInput, context: {} as StatusHookContext, events: {} as StatusHookEvent },
  actors: {
    // Its `runAttempt` placeholder fails every attempt; the host provides a job that runs processes.
    job: hookJobMachine,
  },
  delays: { interval: ({ context }) => context.intervalMs },
  actions: {
    record: assign(({ context }, output: HookRunOutput) => ({
      lastResult: output.result === 'succeeded' ? ('passed' as const) : ('failed' as const),
      lastMessage: output.result === 'succeeded' ? undefined : (output.message ?? `status hook ${output.result}`),
      lastOutput: output.result === 'succeeded' ? undefined : statusHookOutputTail(output.output),
      runs: context.runs + 1,
    })),
  },
}).createMachine({
  id: 'status-hook',
  context: ({ input }) => ({ ...input, lastResult: undefined, lastMessage: undefined, lastOutput: undefined, runs: 0 }),
  initial: 'running',
  on: { SHUTDOWN: '.stopped' },
  states: {
    running: {
      invoke: {
        id: statusHookJobId,
        src: 'job',
        input: ({ context }): HookJobInput => ({ name: statusHookName, job: context.job }),
        onDone: { target: 'waiting', actions: { type: 'record', params: ({ event }) => hookRunOutput(event.output) } },
        onError: {
          target: 'waiting',
          actions: {
            type: 'record',
            params: ({ event }) => ({ result: 'failed' as const, message: `status hook could not run: ${String(event.error)}` }),
          },
        },
      },
    },
    waiting: {
      after: { interval: 'running' },
      on: { RUN_NOW: 'running' },
    },
    stopped: { type: 'final' },
  },
});

/** The status hook's last result, read from a snapshot (see statusHookReport). */
export interface StatusHookMachineReport {
  result: 'passed' | 'failed';
  message?: string;
  output?: string;
  /** How many runs have finished; a new number is a new result. */
  runs: number;
}

/**
 * The status hook's last result, or undefined before its first run has finished.
 * @example statusHookReport(actor.getSnapshot()) // { result: 'failed', message: 'exit code 1', runs: 3 }
 */
export function statusHookReport(snapshot: SnapshotFrom<typeof statusHookMachine>): StatusHookMachineReport | undefined {
  const { lastResult, lastMessage, lastOutput, runs } = snapshot.context;
  if (lastResult === undefined || runs === 0) return undefined;
  return {
    result: lastResult,
    ...(lastMessage === undefined ? {} : { message: lastMessage }),
    ...(lastOutput === undefined ? {} : { output: lastOutput }),
    runs,
  };
}
