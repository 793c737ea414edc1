// The plan machine: one pass of an operation's plan, as the engine scheduled it: a list of steps,
// each step a set of slots that run at the same time (a group's `parallel: N`), each slot a list of
// leaves that run in order. It stops at the first failure (a failed phase halts the operation, as in
// Gravity) and can be aborted. Pure: running a step (each leaf a phase machine) is the provided
// actor `runStep`.

import { assign, fromPromise, setup } from 'xstate';

/** Leaves run in order within a slot; the slots of a step run at the same time. */
export type PlanStep = string[][];

export interface PlanMachineInput {
  operationId: string;
  steps: PlanStep[];
}

export interface PlanMachineOutput {
  result: 'completed' | 'failed' | 'aborted';
  /** Steps finished. */
  done: number;
  error?: string;
}

interface PlanContext extends PlanMachineInput {
  index: number;
  error: string | undefined;
  result: PlanMachineOutput['result'];
}

export type PlanEvent = { type: 'ABORT' };

export const planMachine = setup({
  types: { input: {} as PlanMachineInput, context: {} as PlanContext, events: {} as PlanEvent, output: {} as PlanMachineOutput },
  actors: {
    runStep: fromPromise<void, { operationId: string; step: PlanStep }>(() => Promise.reject(new Error('runStep is provided by the plan engine'))),
  },
  guards: {
    allDone: ({ context }) => context.index >= context.steps.length,
  },
}).createMachine({
  id: 'plan',
  context: ({ input }) => ({ ...input, index: 0, error: undefined, result: 'failed' as const }),
  initial: 'next',
  on: { ABORT: { target: '.aborted', actions: assign({ result: 'aborted' as const }) } },
  states: {
    next: {
      always: [{ guard: 'allDone', target: 'completed', actions: assign({ result: 'completed' as const }) }, { target: 'running' }],
    },
    running: {
      invoke: {
        src: 'runStep',
        input: ({ context }) => ({ operationId: context.operationId, step: context.steps[context.index] ?? [] }),
        onDone: { target: 'next', actions: assign({ index: ({ context }) => context.index + 1 }) },
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => (event.error instanceof Error ? event.error.message : String(event.error)) }),
        },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
  output: ({ context }) => ({ result: context.result, done: context.index, ...(context.error === undefined ? {} : { error: context.error }) }),
});
