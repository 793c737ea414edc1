// The operation machine: one request on an operation (execute a phase, resume, roll back, complete),
// as the actor `operation:<id>` of the operations subtree. It performs the request (the plan engine,
// whose plan machine and phases are its scoped children) and ends `finished` whatever the plan's
// outcome: a failed phase or a refusal is a normal end, answered to whoever asked. Only a fault of
// the host code (an error that is not one of gravity's) ends it `crashed`, with `error` in its output:
// its supervisor then restarts it (transient), and the new incarnation resumes from the changelog.
// SHUTDOWN asks the run to stop (running phases are killed and read failed) and waits for it to end.
// Pure: `perform` and `stopRun` are provided by the host (src/operations/operation-actor.ts).

import { assign, fromPromise, setup } from 'xstate';

/** What the operation actor is asked to do, as it crosses the control socket. */
export type OperationRequest =
  | { action: 'execute'; operationId: string; phase: string; force: boolean }
  | { action: 'resume'; operationId: string }
  | { action: 'rollback'; operationId: string; phase: string; force: boolean }
  | { action: 'rollback-all'; operationId: string }
  | { action: 'complete'; operationId: string };

export type OperationAction = OperationRequest['action'];
export const operationActions: readonly OperationAction[] = ['execute', 'resume', 'rollback', 'rollback-all', 'complete'];

export interface OperationMachineInput {
  request: OperationRequest;
}

/** How a request ended, as the machine records it (the answer itself goes to the requester). */
export interface PerformOutcome {
  result: 'succeeded' | 'failed';
}

export interface OperationMachineOutput {
  result: 'succeeded' | 'failed' | 'crashed';
  /** Only for `crashed`: the supervisor reads an output with `error` as an abnormal exit. */
  error?: string;
}

interface OperationContext extends OperationMachineInput {
  result: OperationMachineOutput['result'];
  error: string | undefined;
  /** SHUTDOWN came: the run was asked to stop, and the machine ends once it has. */
  stopping: boolean;
}

export type OperationEvent = { type: 'SHUTDOWN' };

export const operationMachine = setup({
  types: {
    input: {} as OperationMachineInput,
    context: {} as OperationContext,
    events: {} as OperationEvent,
    output: {} as OperationMachineOutput,
  },
  actors: {
    perform: fromPromise<PerformOutcome, OperationMachineInput>(() => Promise.reject(new Error('perform is provided by the operations subtree'))),
  },
  actions: {
    // Provided by the host: ask the engine to stop (its phases are aborted, their processes killed).
    stopRun: () => undefined,
  },
  guards: {
    notStopping: ({ context }) => !context.stopping,
  },
}).createMachine({
  id: 'operation',
  context: ({ input }) => ({ ...input, result: 'failed' as const, error: undefined, stopping: false }),
  initial: 'running',
  states: {
    running: {
      invoke: {
        id: 'perform',
        src: 'perform',
        input: ({ context }) => ({ request: context.request }),
        onDone: { target: 'finished', actions: assign({ result: ({ event }) => event.output.result }) },
        onError: {
          target: 'crashed',
          actions: assign({ result: 'crashed' as const, error: ({ event }) => (event.error instanceof Error ? event.error.message : String(event.error)) }),
        },
      },
      // The run is asked to stop once; it ends once its phases have (their end is recorded).
      on: { SHUTDOWN: { guard: 'notStopping', actions: ['stopRun', assign({ stopping: true })] } },
    },
    finished: { type: 'final' },
    crashed: { type: 'final' },
  },
  output: ({ context }) => ({ result: context.result, ...(context.error === undefined ? {} : { error: context.error }) }),
});
