// The actors page's window on an actor's records. The page never holds more than a bounded number
// of them, however long it stays open: the live window keeps only the newest (older ones drop off as
// new ones arrive), and reading further back fetches an older page from the agent on demand, shown
// in place of the live window until "newest" returns to it. The live window keeps following the
// stream meanwhile, so returning costs no fetch.

import type { KeptRecord, StepCursor } from './record-steps.ts';
import { keepRecords, snapshots } from './record-steps.ts';

/** How many records the window holds: the live ones, and one older page. */
export const recordWindowSize = 200;

export interface RecordWindow {
  /** The newest records, oldest first, at most `recordWindowSize`. */
  live: KeptRecord[];
  /** An older page being read instead of the live records; absent while following live. */
  older?: { records: KeptRecord[]; more: boolean };
}

export const emptyRecordWindow: RecordWindow = { live: [] };

/** The window with newly arrived records appended to the live ones, the oldest dropped beyond the size. */
export function appendLive(window: RecordWindow, more: readonly KeptRecord[], size = recordWindowSize): RecordWindow {
  return { ...window, live: keepRecords(window.live, more, size) };
}

/** The records shown: the older page being read, or the live ones. */
export function shownRecords(window: RecordWindow): KeptRecord[] {
  return window.older?.records ?? window.live;
}

export function isReadingOlder(window: RecordWindow): boolean {
  return window.older !== undefined;
}

/**
 * What to ask the agent for the page before the shown records: `before` is exclusive, so from an
 * older page (which always ends on a whole millisecond) it is that page's oldest time; from the live
 * window (which may have lost part of its oldest millisecond) it is one past it, so that the part
 * lost comes back. Undefined when nothing older can be asked for.
 * @example olderQuery({ live: [{ seq: 1, record: { ...r, time: 5000 } }] }) // { before: 5001, limit: 200 }
 */
export function olderQuery(window: RecordWindow, limit = recordWindowSize): { before: number; limit: number } | undefined {
  if (window.older !== undefined) {
    const oldest = window.older.records[0];
    return window.older.more && oldest !== undefined ? { before: oldest.record.time, limit } : undefined;
  }
  const oldest = window.live[0];
  return oldest === undefined ? undefined : { before: oldest.record.time + 1, limit };
}

/**
 * The window reading `page`, fetched with `olderQuery` (so bounded by its limit, past it only by the
 * rest of its oldest millisecond). An empty page while reading older ones keeps the page shown, with
 * nothing older to ask for.
 */
export function showOlder(window: RecordWindow, page: { records: readonly KeptRecord[]; more: boolean }): RecordWindow {
  if (page.records.length === 0 && window.older !== undefined) return { live: window.live, older: { ...window.older, more: false } };
  return { live: window.live, older: { records: [...page.records], more: page.more } };
}

/** Back to the live records. */
export function showNewest(window: RecordWindow): RecordWindow {
  return { live: window.live };
}

/**
 * The step cursor as the shown records see it: while an older page is read, a live cursor (which
 * follows the present, not on the page) stands on the page's newest snapshot instead.
 * @example stepCursorFor(windowReadingOlder, liveCursor) // { live: false, seq: <the page's newest snapshot> }
 */
export function stepCursorFor(window: RecordWindow, cursor: StepCursor): StepCursor {
  if (!cursor.live || window.older === undefined) return cursor;
  const newest = snapshots(window.older.records).at(-1);
  return newest === undefined ? cursor : { live: false, seq: newest.seq };
}
