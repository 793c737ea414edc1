// The actor page's recorded steps: the inspection records kept for the selected actor, and a cursor
// that is either live (following the newest snapshot) or parked on one recorded snapshot, moved with
// step-back and step-forward. Records carry an arrival number so the cursor survives the oldest
// records being dropped.

import type { InspectionRecord } from '../../actors/inspection.ts';

export interface KeptRecord {
  /** Arrival order, unique per page. */
  seq: number;
  record: InspectionRecord;
}

export type SnapshotRecord = Extract<InspectionRecord, { kind: 'snapshot' }>;

export type StepCursor = { live: true } | { live: false; seq: number };

export const liveCursor: StepCursor = { live: true };

/** How many records the page keeps per actor. */
export const maxKeptRecords = 200;

/** The records with `more` appended, the oldest dropped beyond `max`. */
export function keepRecords(kept: readonly KeptRecord[], more: readonly KeptRecord[], max = maxKeptRecords): KeptRecord[] {
  const all = [...kept, ...more];
  return all.length > max ? all.slice(all.length - max) : all;
}

/** The kept snapshots, oldest first. */
export function snapshots(kept: readonly KeptRecord[]): { seq: number; record: SnapshotRecord }[] {
  const out: { seq: number; record: SnapshotRecord }[] = [];
  for (const { seq, record } of kept) if (record.kind === 'snapshot') out.push({ seq, record });
  return out;
}

/** The position of the cursor among the snapshots (the newest when live, or when its snapshot is gone: the oldest); -1 with none. */
export function cursorPosition(cursor: StepCursor, kept: readonly KeptRecord[]): number {
  const steps = snapshots(kept);
  if (steps.length === 0) return -1;
  if (cursor.live) return steps.length - 1;
  const position = steps.findIndex((step) => step.seq === cursor.seq);
  if (position >= 0) return position;
  // Its snapshot was dropped (older than everything kept): the oldest kept one is the nearest.
  return 0;
}

/** One snapshot back; from live, the one before the newest. Stays at the oldest. */
export function stepBack(cursor: StepCursor, kept: readonly KeptRecord[]): StepCursor {
  const steps = snapshots(kept);
  const position = cursorPosition(cursor, kept);
  const target = steps[Math.max(0, position - 1)];
  return target === undefined ? cursor : { live: false, seq: target.seq };
}

/** One snapshot forward; stays at the newest (use `liveCursor` to follow new ones again). */
export function stepForward(cursor: StepCursor, kept: readonly KeptRecord[]): StepCursor {
  if (cursor.live) return cursor;
  const steps = snapshots(kept);
  const position = cursorPosition(cursor, kept);
  const target = steps[Math.min(steps.length - 1, position + 1)];
  return target === undefined ? cursor : { live: false, seq: target.seq };
}

export function canStepBack(cursor: StepCursor, kept: readonly KeptRecord[]): boolean {
  return cursorPosition(cursor, kept) > 0;
}

export function canStepForward(cursor: StepCursor, kept: readonly KeptRecord[]): boolean {
  if (cursor.live) return false;
  const position = cursorPosition(cursor, kept);
  return position >= 0 && position < snapshots(kept).length - 1;
}

/** The snapshot the cursor selects, if any. */
export function selectedSnapshot(cursor: StepCursor, kept: readonly KeptRecord[]): { seq: number; record: SnapshotRecord } | undefined {
  return snapshots(kept)[cursorPosition(cursor, kept)];
}

/** The snapshot just before the selected one, to know what the selected step changed. */
export function previousSnapshot(cursor: StepCursor, kept: readonly KeptRecord[]): { seq: number; record: SnapshotRecord } | undefined {
  const position = cursorPosition(cursor, kept);
  return position > 0 ? snapshots(kept)[position - 1] : undefined;
}

/**
 * The type of the event that led to the snapshot `seq`: the last event record between it and the
 * snapshot before it.
 */
export function eventBefore(kept: readonly KeptRecord[], seq: number): string | undefined {
  const index = kept.findIndex((entry) => entry.seq === seq);
  for (let i = index - 1; i >= 0; i--) {
    const record = kept[i]?.record;
    if (record === undefined || record.kind === 'snapshot') return undefined;
    if (record.kind === 'event') return record.event.type;
  }
  return undefined;
}

/**
 * The records fetched for an actor followed by those that arrived live while fetching, without the
 * ones both contain.
 */
export function mergeRecords(fetched: readonly InspectionRecord[], arrived: readonly InspectionRecord[]): InspectionRecord[] {
  const seen = new Set(fetched.map((record) => JSON.stringify(record)));
  return [...fetched, ...arrived.filter((record) => !seen.has(JSON.stringify(record)))];
}
