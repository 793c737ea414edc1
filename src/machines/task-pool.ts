// The task pool's life as a supervised child: the provided `pool` actor owns the worker threads for
// as long as the machine runs; SHUTDOWN asks it to drain and stop them (`closing`) and the machine ends
// once they are gone. A pool-level failure ends the machine with an error, so that its supervisor restarts it.
// The pool itself (piscina, threads, deadlines) is the provided actor, so this file stays pure.

import { assign, fromCallback, sendTo, setup } from 'xstate';

/** The pool's sizes, passed through to the provided actor. */
export interface TaskPoolMachineInput {
  minThreads: number;
  maxThreads: number;
  /** Milliseconds an idle thread above minThreads lives (the pool's default when absent). */
  idleTimeout?: number;
}

/** What the machine tells the pool actor. */
export type TaskPoolCommand = { type: 'CLOSE' };

export type TaskPoolEvent =
  | { type: 'SHUTDOWN' }
  /** From the pool actor: its threads have stopped after CLOSE. */
  | { type: 'POOL_CLOSED' }
  /** From the pool actor: an error that belongs to no task (a thread that cannot load, ...). */
  | { type: 'POOL_FAILED'; message: string };

export interface TaskPoolContext {
  input: TaskPoolMachineInput;
  error: string | undefined;
}

export const taskPoolMachine = setup({
  types: {
    input: {} as TaskPoolMachineInput,
    context: {} as TaskPoolContext,
    events: {} as TaskPoolEvent,
  },
  actors: {
    pool: fromCallback<TaskPoolCommand, TaskPoolMachineInput>(() => {
      throw new Error('pool is provided by the host (src/actors/task-pool-actor.ts)');
    }),
  },
}).createMachine({
  id: 'taskPool',
  context: ({ input }) => ({ input, error: undefined }),
  // The pool actor lives as long as the machine: it is stopped (its cleanup runs) when a final state ends the machine.
  invoke: { id: 'pool', src: 'pool', input: ({ context }) => context.input },
  initial: 'serving',
  output: ({ context }) => (context.error === undefined ? {} : { error: context.error }),
  on: { POOL_FAILED: { target: '.failed', actions: assign({ error: ({ event }) => event.message }) } },
  states: {
    serving: {
      on: { SHUTDOWN: { target: 'closing', actions: sendTo('pool', { type: 'CLOSE' } satisfies TaskPoolCommand) } },
    },
    closing: {
      on: { POOL_CLOSED: 'stopped' },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
});
