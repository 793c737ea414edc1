// The agent's short memory of its inspection bus, and the reading of it that `gravity debug inspect`
// asks for over the control socket. The memory is a ring buffer of the most recent records that flow
// anyway (it subscribes passively, so keeping it costs no worker thread a single extra message). A
// follow adds a real subscription with the reader's filter for as long as the reader stays, so that
// the records it asks for start flowing, and stop again once it has gone.

import { GravityError } from '../errors.ts';
import type { InspectionBus, InspectionFilter, InspectionKind, InspectionRecord } from './inspection.ts';
import { matchesFilter } from './inspection.ts';

/** How many records the agent keeps by default. */
export const defaultInspectionHistoryCapacity = 500;

/** Most records a follower may fall behind by before its stream is ended. */
export const maxFollowLag = 10_000;

/**
 * A bounded buffer of the most recent inspection records: once full, each new record drops the
 * oldest.
 * @example
 * const history = new InspectionHistory(500);
 * const detach = history.attach(bus);
 * history.list({ pathPrefix: 'agent/probes' }, 20); // the last 20 records at or below agent/probes
 */
export class InspectionHistory {
  private readonly records: (InspectionRecord | undefined)[];
  /** Where the next record goes. */
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number = defaultInspectionHistoryCapacity) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`inspection history capacity must be a positive integer, not ${capacity}`);
    this.records = new Array<InspectionRecord | undefined>(capacity).fill(undefined);
  }

  /** How many records are kept now (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  push(record: InspectionRecord): void {
    this.records[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The kept records that match `filter`, oldest first; with `limit`, only the most recent `limit` of them. */
  list(filter?: InspectionFilter, limit?: number): InspectionRecord[] {
    const matching: InspectionRecord[] = [];
    const oldest = (this.next - this.count + this.capacity) % this.capacity;
    for (let offset = 0; offset < this.count; offset++) {
      const record = this.records[(oldest + offset) % this.capacity];
      if (record !== undefined && matchesFilter(record, filter)) matching.push(record);
    }
    return limit === undefined ? matching : matching.slice(Math.max(0, matching.length - limit));
  }

  /** Keeps every record the bus carries from now on, without asking for more; returns the detach function. */
  attach(bus: InspectionBus): () => void {
    return bus.subscribe((record) => this.push(record), undefined, { passive: true });
  }
}

/** What a reader asks for. */
export interface InspectionQuery {
  /** Only records of this actor and of the actors below it (an actor path such as `agent/probes`). */
  pathPrefix?: string;
  /** Only records of these kinds (all kinds when absent). */
  kinds?: InspectionKind[];
  /** After the backlog, go on with each new matching record until the reader goes away. */
  follow: boolean;
  /** At most this many buffered records first (the most recent ones); all buffered matches when absent. */
  backlog?: number;
}

/** How a reading ended. */
export interface InspectionReadEnd {
  /** Records sent, backlog included. */
  records: number;
}

/**
 * Reads the history, then (with `follow`) the bus, until `signal` aborts. While it follows, it holds a
 * subscription with the query's filter, which makes worker threads forward those records; it drops
 * the subscription when it ends, whichever way it ends. Throws when the reader falls more than
 * `maxFollowLag` records behind.
 * @example
 * for await (const record of readInspection(bus, history, { pathPrefix: 'agent/probes', follow: true }, signal)) print(record);
 */
export async function* readInspection(
  bus: InspectionBus,
  history: InspectionHistory,
  query: InspectionQuery,
  signal: AbortSignal,
): AsyncGenerator<InspectionRecord, InspectionReadEnd, undefined> {
  const filter: InspectionFilter = {
    ...(query.pathPrefix === undefined ? {} : { pathPrefix: query.pathPrefix }),
    ...(query.kinds === undefined ? {} : { kinds: query.kinds }),
  };
  let sent = 0;
  if (!query.follow) {
    for (const record of history.list(filter, query.backlog)) {
      if (signal.aborted) break;
      sent++;
      yield record;
    }
    return { records: sent };
  }

  // Subscribed and read in the same turn: publishing is synchronous, so no record is missed between
  // the backlog and the live ones, and none comes twice.
  const queue: InspectionRecord[] = history.list(filter, query.backlog);
  let overflowed = false;
  let wake: (() => void) | undefined;
  const unsubscribe = bus.subscribe((record) => {
    if (queue.length >= maxFollowLag) {
      overflowed = true;
    } else {
      queue.push(record);
    }
    wake?.();
  }, filter);
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      if (overflowed) throw new GravityError('E_CONTROL_REQUEST', `the reader fell more than ${maxFollowLag} records behind; follow with a narrower filter`);
      const record = queue.shift();
      if (record === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      sent++;
      yield record;
    }
    return { records: sent };
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
