// What the agent keeps on disk, behind one interface so that the embedded SQLite store and (later)
// etcd can both serve it: the status history, and operations with their plans, changelog and lock.

import type { Operation, OperationState, PhaseChange, PhaseSpec } from '../plan/types.ts';

/** The status history's event types, as `gravity status history` prints them. */
export type HistoryEventType =
  | 'Cluster Degraded'
  | 'Cluster Recovered'
  | 'Node Degraded'
  | 'Node Recovered'
  | 'Probe Failed'
  | 'Probe Succeeded';

export const historyEventTypes: readonly HistoryEventType[] = [
  'Cluster Degraded',
  'Cluster Recovered',
  'Node Degraded',
  'Node Recovered',
  'Probe Failed',
  'Probe Succeeded',
];

/** One status transition. `id` is unique cluster-wide (replication between masters uses it). */
export interface HistoryEvent {
  id: string;
  /** Epoch milliseconds. */
  time: number;
  type: HistoryEventType;
  node?: string;
  /** The probe's name (`checker=` in the output). */
  checker?: string;
  /** One line: the probe's error or the degraded reason, when there is one. */
  detail?: string;
}

export interface HistoryQuery {
  /** Only events at or after this time (epoch ms). */
  since?: number;
  node?: string;
  limit?: number;
}

export interface HistoryStore {
  /** Appends events; an id already stored is ignored. Returns how many were new. */
  append(events: readonly HistoryEvent[]): number;
  /** Oldest first. */
  list(query?: HistoryQuery): HistoryEvent[];
  /** Drops events older than `before` (epoch ms); returns how many were dropped. */
  evict(before: number): number;
}

/** An operation as stored: its definition and its own state; leaf states live in the changelog. */
export interface OperationRecord extends Omit<Operation, 'plan'> {
  /** The root of the plan as defined (id '/'). */
  plan: PhaseSpec;
}

/** Who holds the cluster's operation lock. */
export interface OperationLockHolder {
  operationId: string;
  pid: number;
  hostname: string;
  /** Epoch ms when it was taken. */
  since: number;
}

export type LockResult = { acquired: true } | { acquired: false; holder: OperationLockHolder };

export interface OperationStore {
  /** Stores a new operation (state in_progress); fails if the id exists. */
  create(record: Omit<OperationRecord, 'state' | 'updated'>): void;
  get(id: string): OperationRecord | undefined;
  /** The most recently created operation. */
  last(): OperationRecord | undefined;
  /** Newest first. */
  list(): OperationRecord[];
  /** Appends one leaf state change, durably (on disk when this returns). */
  appendChange(change: PhaseChange): void;
  /** Every change of the operation, oldest first (the plan is rebuilt from them). */
  changes(operationId: string): PhaseChange[];
  setState(operationId: string, state: OperationState, time: number, rolledBack?: boolean): void;
  /**
   * Takes the cluster's single operation lock for `holder`. A lock held by a process that is gone
   * (its pid no longer exists on this host) is taken over; a live holder is returned instead.
   */
  acquireLock(holder: OperationLockHolder): LockResult;
  /** Releases the lock if `operationId` and `pid` hold it. */
  releaseLock(operationId: string, pid: number): void;
  lockHolder(): OperationLockHolder | undefined;
}

export interface Store {
  readonly history: HistoryStore;
  readonly operations: OperationStore;
  close(): void;
}
