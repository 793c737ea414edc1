// The plan machine: one pass of an operation's plan, as the engine scheduled it: a list of steps,
// each step a list of units (a unit's items run in order) run up to `parallel` at a time, as a pool
// (a group's `parallel: N`); an item is a leaf, or a nested pool for a group inside it that has its
// own `parallel`. It stops at the first failure (a failed phase halts the operation, as in Gravity)
// and can be aborted. Pure: running a step (each leaf a phase machine) is the provided actor `runStep`.

import { assign, fromPromise, setup } from 'xstate';

/**
 * One step. The items of a unit run in order; up to `parallel` units run at the same time, each free
 * slot taking the next unit as soon as one ends (Gravity's pool of `num_parallel` workers). A leaf or
 * a group run in order is a step of one unit per leaf and `parallel: 1`.
 */
export interface PlanStep {
  units: PlanItem[][];
  parallel: number;
}

/**
 * What a unit runs: a leaf's id, or a nested pool, for a group with its own `parallel` inside a
 * parallel group (`/workers` with `parallel: 2` holding `/workers/rack-1` with `parallel: 3`): the
 * nested pool runs its own units `parallel` at a time, within the one slot of the outer pool.
 */
export type PlanItem = string | PlanStep;

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
        id: 'step',
        src: 'runStep',
        input: ({ context }) => ({ operationId: context.operationId, step: context.steps[context.index] ?? { units: [], parallel: 1 } }),
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
