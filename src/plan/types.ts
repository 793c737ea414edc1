// Operation plans, as Gravity models them: an operation owns a tree of phases with absolute slash
// ids, requirements between them, and a state per phase. Leaf states are stored; a group's state is
// derived from its children (phase-state.ts). These are plain data: what is stored, shown and sent.

/** A leaf's state, with Gravity's names. */
export type PhaseState = 'unstarted' | 'in_progress' | 'completed' | 'failed' | 'rolled_back';
export const phaseStates: readonly PhaseState[] = ['unstarted', 'in_progress', 'completed', 'failed', 'rolled_back'];

export type OperationType = 'custom' | 'update' | 'expand' | 'shrink' | 'gc' | 'backup' | 'restore';
/** An operation's state, with Gravity's names in JSON. */
export type OperationState = 'in_progress' | 'completed' | 'failed';

/** How a leaf does its work; a group has none. */
export type PhaseExecutor =
  | {
      kind: 'run';
      argv: string[];
      rollback?: string[];
      env: Record<string, string>;
      workingDir?: string;
      /** Passed through `sh -c` only when the plan says `shell: true`. */
      shell: boolean;
      timeoutMs: number;
      retries: number;
      /** Delay before the first retry; doubles each time. */
      retryBackoffMs: number;
      /** What to do with this phase's command still running from an earlier run: `kill` (absent) or `wait`. */
      onSurvivor?: SurvivorPolicy;
    }
  | { kind: 'hook'; hook: string }
  | { kind: 'waitHealthy'; timeoutMs: number };

/**
 * What a phase does, before it runs, with its process group left running by an earlier run whose
 * runner died (`kill -9`, a power cut of the runner only): end it, or wait for it to end.
 */
export type SurvivorPolicy = 'kill' | 'wait';
export const survivorPolicies: readonly SurvivorPolicy[] = ['kill', 'wait'];

/** One phase as defined (before any state): what a plan file or a builder produces. */
export interface PhaseSpec {
  /** Absolute: `/masters/node-1/drain`. */
  id: string;
  description: string;
  /** Absolute ids of phases that must be completed first. */
  requires: string[];
  node?: string;
  /** Groups: how many children run at once (1 = in order). */
  parallel?: number;
  /** Leaves only. */
  executor?: PhaseExecutor;
  phases: PhaseSpec[];
}

/** A phase with its state, as shown: leaves from the store, groups derived. */
export interface Phase extends Omit<PhaseSpec, 'phases'> {
  state: PhaseState;
  /** Epoch ms of the last change (a group: the latest of its children), if any. */
  updated?: number;
  error?: string;
  phases: Phase[];
}

export interface Operation {
  /** A UUID. */
  id: string;
  type: OperationType;
  description: string;
  state: OperationState;
  /** Epoch ms. */
  created: number;
  updated: number;
  /** Set when the operation ends failed after a rollback (Gravity's "rolled back"). */
  rolledBack?: boolean;
  plan: Phase;
}

/** One stored state change of a leaf (the changelog, append-only). */
export interface PhaseChange {
  operationId: string;
  phaseId: string;
  state: PhaseState;
  time: number;
  error?: string;
}

/**
 * A phase's process group while its command runs, stored before the command starts and cleared once
 * nothing of the group is left: after a crash of whatever ran the phase, the next run finds it.
 */
export interface PhaseProcess {
  operationId: string;
  phaseId: string;
  /** The process group id: the pid of the command's first process. */
  pgid: number;
  /** That process's start time, in clock ticks since boot (/proc/<pid>/stat): a reused pid does not match. Absent when unknown. */
  startTime?: number;
  /** The host it runs on: a pid means something only there. */
  hostname: string;
  /** Epoch ms when it started. */
  since: number;
}
