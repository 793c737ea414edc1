// The phase machine: one run of one phase's executor, forward (execute) or backward (rollback), with
// its state written to the store before the effect starts and after it ends, so that a crash at any
// instant leaves a plan that tells the truth (a phase killed mid-run reads `in_progress`). Pure: the
// store write (`record`) and the executor (`runPhase`) are provided actors.

import { assign, fromPromise, setup } from 'xstate';
import type { PhaseState } from '../plan/types.ts';

export type PhaseAction = 'execute' | 'rollback';

export interface PhaseMachineInput {
  phaseId: string;
  action: PhaseAction;
}

export interface RecordInput {
  phaseId: string;
  state: PhaseState;
  error?: string;
}

export interface PhaseMachineOutput {
  phaseId: string;
  state: 'completed' | 'rolled_back' | 'failed';
  error?: string;
}

interface PhaseContext extends PhaseMachineInput {
  error: string | undefined;
  succeeded: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const phaseMachine = setup({
  types: { input: {} as PhaseMachineInput, context: {} as PhaseContext, output: {} as PhaseMachineOutput },
  actors: {
    record: fromPromise<void, RecordInput>(() => Promise.reject(new Error('record is provided by the plan engine'))),
    runPhase: fromPromise<void, PhaseMachineInput>(() => Promise.reject(new Error('runPhase is provided by the plan engine'))),
  },
  actions: {
    keepError: assign({ error: ({ event }) => message((event as { error?: unknown }).error) }),
    succeed: assign({ succeeded: true }),
  },
}).createMachine({
  id: 'phase',
  context: ({ input }) => ({ ...input, error: undefined, succeeded: false }),
  initial: 'recordingStart',
  states: {
    recordingStart: {
      invoke: {
        id: 'record',
        src: 'record',
        input: ({ context }) => ({ phaseId: context.phaseId, state: 'in_progress' as const }),
        onDone: 'inProgress',
        // Nothing ran: the stored state is unchanged, the run fails.
        onError: { target: 'notStarted', actions: 'keepError' },
      },
    },
    inProgress: {
      invoke: {
        id: 'effect',
        src: 'runPhase',
        input: ({ context }) => ({ phaseId: context.phaseId, action: context.action }),
        onDone: 'recordingSuccess',
        onError: { target: 'recordingFailure', actions: 'keepError' },
      },
    },
    recordingSuccess: {
      invoke: {
        id: 'record',
        src: 'record',
        input: ({ context }) => ({ phaseId: context.phaseId, state: context.action === 'execute' ? ('completed' as const) : ('rolled_back' as const) }),
        onDone: { target: 'succeeded', actions: 'succeed' },
        onError: { target: 'notRecorded', actions: 'keepError' },
      },
    },
    recordingFailure: {
      invoke: {
        id: 'record',
        src: 'record',
        input: ({ context }) => ({ phaseId: context.phaseId, state: 'failed' as const, ...(context.error === undefined ? {} : { error: context.error }) }),
        onDone: 'failed',
        onError: { target: 'notRecorded', actions: 'keepError' },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    /** The store refused the first write: the phase never started. */
    notStarted: { type: 'final' },
    /** The effect ran but its end could not be stored: the phase reads in_progress (resume re-runs it). */
    notRecorded: { type: 'final' },
  },
  output: ({ context }) => {
    if (context.succeeded) return { phaseId: context.phaseId, state: context.action === 'execute' ? 'completed' : 'rolled_back' };
    return { phaseId: context.phaseId, state: 'failed', error: context.error ?? `phase ${context.phaseId} failed` };
  },
});
