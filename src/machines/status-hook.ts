// The status hook's schedule: run the application's `status` hook job, note whether it passed, wait
// the interval, run it again. The job itself (a hook-job machine running a local process with its
// deadline and retries) is the provided actor `runHook`. Pure.

import { assign, fromPromise, setup } from 'xstate';
import type { HookJob } from '../config/types.ts';

export interface StatusHookInput {
  job: HookJob;
  intervalMs: number;
}

/** What a hook run ends with (a hook-job machine's output). */
export interface HookRunOutput {
  result: 'succeeded' | 'failed' | 'deadline_exceeded';
  message?: string;
}

export interface StatusHookContext extends StatusHookInput {
  lastResult: 'passed' | 'failed' | undefined;
  lastMessage: string | undefined;
  runs: number;
}

export type StatusHookEvent = { type: 'SHUTDOWN' } | { type: 'RUN_NOW' };

export const statusHookMachine = setup({
  types: { input: {} as StatusHookInput, context: {} as StatusHookContext, events: {} as StatusHookEvent },
  actors: {
    runHook: fromPromise<HookRunOutput, HookJob>(() => Promise.reject(new Error('runHook is provided by the host (src/actors/status-hook-actor.ts)'))),
  },
  delays: { interval: ({ context }) => context.intervalMs },
  actions: {
    record: assign(({ context }, output: HookRunOutput) => ({
      lastResult: output.result === 'succeeded' ? ('passed' as const) : ('failed' as const),
      lastMessage: output.result === 'succeeded' ? undefined : (output.message ?? `status hook ${output.result}`),
      runs: context.runs + 1,
    })),
  },
}).createMachine({
  id: 'status-hook',
  context: ({ input }) => ({ ...input, lastResult: undefined, lastMessage: undefined, runs: 0 }),
  initial: 'running',
  on: { SHUTDOWN: '.stopped' },
  states: {
    running: {
      invoke: {
        src: 'runHook',
        input: ({ context }) => context.job,
        onDone: { target: 'waiting', actions: { type: 'record', params: ({ event }) => event.output } },
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
