// What the agent keeps on disk, behind one interface so that the embedded SQLite store and (later)
// etcd can both serve it. Today: the status history.

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

export interface Store {
  readonly history: HistoryStore;
  close(): void;
}
