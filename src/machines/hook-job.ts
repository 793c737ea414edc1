// The hook-job machine: one run of an application hook (status, pre-update, backup, ...) with the
// semantics of a Kubernetes Job. `activeDeadlineSeconds` bounds the whole job, every attempt and every
// wait between attempts included; `restartPolicy: OnFailure` retries a failed attempt up to
// `backoffLimit` times with exponential backoff (10 s, 20 s, 40 s, ... capped at 6 min); `Never` does
// not retry. A failed job is a result, not a crash: the final output carries `result` and `message`,
// never `error`. Pure: each attempt is the provided actor `runAttempt` (src/actors/hook-runner.ts runs
// it as a process group, killed when the attempt is stopped).

import { assign, fromPromise, setup } from 'xstate';
import type { HookJob } from '../config/types.ts';
import type { ProcessOutcome } from '../actors/run-process.ts';

/** The states, as `snapshot.value` shows them: `running` holds `attempting` or `waiting_to_retry`. */
export type HookJobStateValue = 'pending' | 'running' | 'succeeded' | 'failed' | 'deadline_exceeded';
export type HookJobRunningState = 'attempting' | 'waiting_to_retry';
export type HookJobResult = 'succeeded' | 'failed' | 'deadline_exceeded';

export const defaultBackoffBaseMs = 10_000;
export const defaultBackoffCapMs = 360_000;
/** The most output a job keeps from its last attempt, in bytes. */
export const maxHookOutputBytes = 4096;
/** setTimeout cannot wait longer than this. */
const maxTimerMs = 2_147_483_647;

export interface HookJobInput {
  /** The hook's name in the app manifest, e.g. `status`; used in messages. */
  name: string;
  job: HookJob;
  /** The first retry's delay; doubled for each further retry. 10 s by default, as Kubernetes. */
  backoffBaseMs?: number;
  /** The longest delay between attempts. 6 min by default, as Kubernetes. */
  backoffCapMs?: number;
  /** Start the first attempt at once (the default), or wait in `pending` for a START event. */
  autoStart?: boolean;
}

/** What `runAttempt` is given. */
export interface RunAttemptInput {
  name: string;
  job: HookJob;
  /** 1 for the first attempt. */
  attempt: number;
  /** What is left of the job's deadline; Infinity when the job has none. The attempt must end by then. */
  remainingMs: number;
}

export interface HookJobContext {
  name: string;
  job: HookJob;
  backoffBaseMs: number;
  backoffCapMs: number;
  autoStart: boolean;
  attempts: number;
  /** Time spent in attempts and waits so far, from the attempts' own durations and the backoff delays. */
  elapsedMs: number;
  lastExitCode: number | null;
  lastOutput: string;
  /** Why the last attempt failed, one line. */
  lastFailure: string | undefined;
  result: HookJobResult | undefined;
}

/** The final state's output. A failed job is a normal result: there is no `error` key. */
export interface HookJobOutput {
  name: string;
  result: HookJobResult;
  attempts: number;
  lastExitCode: number | null;
  /** The last attempt's output (stdout and stderr), at most 4 KiB. */
  lastOutput: string;
  /** One line for the operator, e.g. `hook status failed: exit code 1: disk full`. */
  message: string;
}

export type HookJobEvent = { type: 'START' };

/** The job's deadline in ms, or undefined when it has none. */
export function hookDeadlineMs(job: HookJob): number | undefined {
  const seconds = job.activeDeadlineSeconds;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * The delay before retry `retry` (1 for the first): base, 2×base, 4×base, ..., capped.
 * @example retryBackoffMs(3, 10_000, 360_000) === 40_000
 */
export function retryBackoffMs(retry: number, baseMs = defaultBackoffBaseMs, capMs = defaultBackoffCapMs): number {
  const exponent = Math.max(0, retry - 1);
  return Math.min(capMs, baseMs * 2 ** Math.min(exponent, 40));
}

/** Keeps the last `maxBytes` of UTF-8 text. */
export function tailText(text: string, maxBytes = maxHookOutputBytes): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return new TextDecoder().decode(bytes.subarray(start));
}

/** The last non-empty line of an output, shortened for a one-line message. */
export function lastLine(output: string, maxLength = 200): string | undefined {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== '…(truncated)');
  const line = lines[lines.length - 1];
  if (line === undefined) return undefined;
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

/** Why an attempt failed, one line, or undefined when it succeeded. */
export function describeAttemptFailure(outcome: ProcessOutcome): string | undefined {
  if (outcome.error !== undefined) return outcome.error;
  if (outcome.exitCode === 0 && !outcome.timedOut && !outcome.aborted) return undefined;
  let reason: string;
  if (outcome.timedOut) reason = 'timed out';
  else if (outcome.aborted) reason = 'aborted';
  else if (outcome.exitCode !== null) reason = `exit code ${outcome.exitCode}`;
  else if (outcome.signal !== null) reason = `killed by ${outcome.signal}`;
  else reason = 'ended without an exit code';
  const line = lastLine(outcome.output);
  return line === undefined ? reason : `${reason}: ${line}`;
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function remainingMs(context: HookJobContext): number {
  const deadline = hookDeadlineMs(context.job);
  return deadline === undefined ? Number.POSITIVE_INFINITY : Math.max(0, deadline - context.elapsedMs);
}

function buildOutput(context: HookJobContext): HookJobOutput {
  const result = context.result ?? 'failed';
  let message: string;
  if (result === 'succeeded') {
    message = context.attempts > 1 ? `hook ${context.name} succeeded after ${context.attempts} attempts` : `hook ${context.name} succeeded`;
  } else if (result === 'deadline_exceeded') {
    message = `hook ${context.name} exceeded its deadline of ${context.job.activeDeadlineSeconds}s`;
  } else {
    const after = context.attempts > 1 ? ` after ${context.attempts} attempts` : '';
    message = `hook ${context.name} failed${after}: ${context.lastFailure ?? 'unknown failure'}`;
  }
  return {
    name: context.name,
    result,
    attempts: context.attempts,
    lastExitCode: context.lastExitCode,
    lastOutput: context.lastOutput,
    message,
  };
}

/**
 * The hook-job machine. Its `runAttempt` placeholder fails every attempt; hosts provide the real one.
 * @example
 * const actor = createActor(hookJobMachine.provide({ actors: { runAttempt } }), {
 *   input: { name: 'status', job: { command: ['/app/status'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 } },
 * });
 */
export const hookJobMachine = setup({
  types: {
    input: {} as HookJobInput,
    context: {} as HookJobContext,
    events: {} as HookJobEvent,
    output: {} as HookJobOutput,
  },
  actors: {
    runAttempt: fromPromise<ProcessOutcome, RunAttemptInput>(() =>
      Promise.reject(new Error('no process runner was provided for hook attempts')),
    ),
  },
  delays: {
    activeDeadline: ({ context }) => Math.min(maxTimerMs, hookDeadlineMs(context.job) ?? maxTimerMs),
    retryBackoff: ({ context }) => retryBackoffMs(context.attempts, context.backoffBaseMs, context.backoffCapMs),
  },
  guards: {
    autoStart: ({ context }) => context.autoStart,
    hasDeadline: ({ context }) => hookDeadlineMs(context.job) !== undefined,
    canRetry: ({ context }) => context.job.restartPolicy === 'OnFailure' && context.attempts <= context.job.backoffLimit,
  },
  actions: {
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    recordOutcome: assign(({ context }, outcome: ProcessOutcome) => ({
      elapsedMs: context.elapsedMs + Math.max(0, outcome.durationMs),
      lastExitCode: outcome.exitCode,
      lastOutput: tailText(outcome.output),
      lastFailure: describeAttemptFailure(outcome),
    })),
    recordCrash: assign((_, crash: { message: string }) => ({
      lastExitCode: null,
      lastOutput: '',
      lastFailure: crash.message,
    })),
    recordWait: assign({
      elapsedMs: ({ context }) => context.elapsedMs + retryBackoffMs(context.attempts, context.backoffBaseMs, context.backoffCapMs),
    }),
    setResult: assign((_, result: HookJobResult) => ({ result })),
  },
}).createMachine({
  id: 'hookJob',
  context: ({ input }) => ({
    name: input.name,
    job: input.job,
    backoffBaseMs: input.backoffBaseMs ?? defaultBackoffBaseMs,
    backoffCapMs: input.backoffCapMs ?? defaultBackoffCapMs,
    autoStart: input.autoStart ?? true,
    attempts: 0,
    elapsedMs: 0,
    lastExitCode: null,
    lastOutput: '',
    lastFailure: undefined,
    result: undefined,
  }),
  initial: 'pending',
  states: {
    pending: {
      always: { guard: 'autoStart', target: 'running' },
      on: { START: 'running' },
    },
    running: {
      initial: 'attempting',
      after: {
        activeDeadline: {
          guard: 'hasDeadline',
          target: 'deadline_exceeded',
          actions: { type: 'setResult', params: 'deadline_exceeded' },
        },
      },
      states: {
        attempting: {
          entry: 'countAttempt',
          invoke: {
            // A stable id: the attempt's actor is `<job path>/attempt` in the inspection records and the tree.
            id: 'attempt',
            src: 'runAttempt',
            input: ({ context }) => ({
              name: context.name,
              job: context.job,
              attempt: context.attempts,
              remainingMs: remainingMs(context),
            }),
            onDone: [
              {
                guard: ({ event }) => describeAttemptFailure(event.output) === undefined,
                target: '#hookJob.succeeded',
                actions: [{ type: 'recordOutcome', params: ({ event }) => event.output }, { type: 'setResult', params: 'succeeded' }],
              },
              {
                // The runner's own deadline (the job's remaining time) fired before the machine's.
                guard: ({ event }) => event.output.timedOut,
                target: '#hookJob.deadline_exceeded',
                actions: [{ type: 'recordOutcome', params: ({ event }) => event.output }, { type: 'setResult', params: 'deadline_exceeded' }],
              },
              {
                guard: 'canRetry',
                target: 'waiting_to_retry',
                actions: { type: 'recordOutcome', params: ({ event }) => event.output },
              },
              {
                target: '#hookJob.failed',
                actions: [{ type: 'recordOutcome', params: ({ event }) => event.output }, { type: 'setResult', params: 'failed' }],
              },
            ],
            onError: [
              {
                guard: 'canRetry',
                target: 'waiting_to_retry',
                actions: { type: 'recordCrash', params: ({ event }) => ({ message: errorMessage(event.error) }) },
              },
              {
                target: '#hookJob.failed',
                actions: [{ type: 'recordCrash', params: ({ event }) => ({ message: errorMessage(event.error) }) }, { type: 'setResult', params: 'failed' }],
              },
            ],
          },
        },
        waiting_to_retry: {
          entry: 'recordWait',
          after: { retryBackoff: 'attempting' },
        },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    deadline_exceeded: { type: 'final' },
  },
  output: ({ context }) => buildOutput(context),
});
