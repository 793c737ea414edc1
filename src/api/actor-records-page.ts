// One page of an actor's inspection records for GET /api/actor-records: the newest `limit` records
// older than `before`, so that the actors page can hold a bounded window of records and still page
// back through everything the agent remembers (its inspection history, a few hundred records for all
// actors together). Records carry no id, so the cursor is a time: a page never ends in the middle of
// a millisecond (it takes in every record of its oldest millisecond), and the next page asked with
// `before` set to that millisecond misses nothing and repeats nothing.

import type { InspectionRecord } from '../actors/inspection.ts';

/** How many records one answer holds when the query names no `limit`. */
export const defaultActorRecordsLimit = 200;
/** The largest `limit` a query may ask for. */
export const maxActorRecordsLimit = 500;

export interface ActorRecordsQuery {
  /** Only records older than this (epoch ms, exclusive). */
  before?: number;
  limit: number;
}

/**
 * Parses `before` and `limit` from a query string's params; a problem string for a bad one.
 * @example parseActorRecordsQuery({ before: '1700000000000', limit: '50' }) // { query: { before: 1700000000000, limit: 50 } }
 */
export function parseActorRecordsQuery(params: { before?: string | undefined; limit?: string | undefined }): { query: ActorRecordsQuery } | { problem: string } {
  const query: ActorRecordsQuery = { limit: defaultActorRecordsLimit };
  if (params.before !== undefined) {
    const before = Number(params.before);
    if (!Number.isSafeInteger(before) || before < 0) return { problem: `before must be a whole number (epoch ms), got ${JSON.stringify(params.before)}` };
    query.before = before;
  }
  if (params.limit !== undefined) {
    const limit = Number(params.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxActorRecordsLimit) {
      return { problem: `limit must be a whole number from 1 to ${maxActorRecordsLimit}, got ${JSON.stringify(params.limit)}` };
    }
    query.limit = limit;
  }
  return { query };
}

/**
 * The page of `records` (oldest first) the query asks for, oldest first, and whether older records
 * remain. The page may hold more than `limit` records only to finish its oldest millisecond.
 * @example pageActorRecords(records, { before: 1000, limit: 2 }) // the two newest before 1000 (and any sharing the older one's time)
 */
export function pageActorRecords(records: readonly InspectionRecord[], query: ActorRecordsQuery): { records: InspectionRecord[]; more: boolean } {
  const { before, limit } = query;
  let end = records.length;
  if (before !== undefined) while (end > 0 && (records[end - 1]?.time ?? 0) >= before) end--;
  let start = Math.max(0, end - limit);
  const oldestTime = records[start]?.time;
  while (start > 0 && oldestTime !== undefined && records[start - 1]?.time === oldestTime) start--;
  return { records: records.slice(start, end), more: start > 0 };
}
