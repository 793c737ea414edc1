// Stepping through an actor's recorded snapshots: from live one back, forward to the newest and no
// further, a cursor that survives old records being dropped, the event behind each step, and the
// merge of fetched and live records.

import assert from 'node:assert/strict';
import type { InspectionRecord } from '../../../src/actors/inspection.ts';
import {
  canStepBack,
  canStepForward,
  cursorPosition,
  eventBefore,
  keepRecords,
  liveCursor,
  mergeRecords,
  previousSnapshot,
  selectedSnapshot,
  stepBack,
  stepForward,
} from '../../../src/web/model/record-steps.ts';
import type { KeptRecord, StepCursor } from '../../../src/web/model/record-steps.ts';

const path = 'agent/node:n1';

function snapshot(value: string, time: number): InspectionRecord {
  return { kind: 'snapshot', path, time, status: 'active', value };
}

function event(type: string, time: number): InspectionRecord {
  return { kind: 'event', path, time, event: { type } };
}

function numbered(records: InspectionRecord[], first = 1): KeptRecord[] {
  return records.map((record, index) => ({ seq: first + index, record }));
}

const records = numbered([
  snapshot('starting', 1),
  event('PROBE_RESULT', 2),
  snapshot('running', 3),
  { kind: 'supervisor', path, time: 4, child: 'x', reason: 'r', action: 'start' },
  event('PROBE_RESULT', 5),
  snapshot('degraded', 6),
]);

function valueAt(cursor: StepCursor, kept: KeptRecord[] = records): unknown {
  return selectedSnapshot(cursor, kept)?.record.value;
}

describe('web/record-steps', () => {
  it('shows the newest snapshot live, and steps back from it', () => {
    assert.equal(valueAt(liveCursor), 'degraded');
    assert.equal(canStepForward(liveCursor, records), false);
    const back = stepBack(liveCursor, records);
    assert.deepEqual(back, { live: false, seq: 3 });
    assert.equal(valueAt(back), 'running');
    const oldest = stepBack(back, records);
    assert.equal(valueAt(oldest), 'starting');
    assert.equal(canStepBack(oldest, records), false);
    assert.deepEqual(stepBack(oldest, records), oldest);
  });

  it('steps forward up to the newest, then stays', () => {
    const oldest: StepCursor = { live: false, seq: 1 };
    const middle = stepForward(oldest, records);
    assert.equal(valueAt(middle), 'running');
    const newest = stepForward(middle, records);
    assert.equal(valueAt(newest), 'degraded');
    assert.equal(newest.live, false);
    assert.equal(canStepForward(newest, records), false);
    assert.deepEqual(stepForward(newest, records), newest);
  });

  it('keeps a parked cursor on its snapshot while new records arrive and old ones go', () => {
    const parked: StepCursor = { live: false, seq: 3 };
    const more = keepRecords(records, numbered([event('PROBE_RESULT', 7), snapshot('running', 8)], 7), 6);
    assert.equal(more.length, 6);
    assert.equal(valueAt(parked, more), 'running');
    assert.equal(cursorPosition(parked, more), 0);
    assert.equal(valueAt(liveCursor, more), 'running');
    const dropped = keepRecords(more, numbered([snapshot('degraded', 9)], 9), 3);
    assert.equal(cursorPosition(parked, dropped), 0, 'a dropped snapshot parks the cursor on the oldest kept');
  });

  it('names the event behind a snapshot, and the snapshot before it', () => {
    assert.equal(eventBefore(records, 6), 'PROBE_RESULT');
    assert.equal(eventBefore(records, 1), undefined);
    assert.equal(previousSnapshot({ live: false, seq: 6 }, records)?.record.value, 'running');
    assert.equal(previousSnapshot({ live: false, seq: 1 }, records), undefined);
  });

  it('has nothing to step through without snapshots', () => {
    assert.equal(cursorPosition(liveCursor, []), -1);
    assert.equal(selectedSnapshot(liveCursor, []), undefined);
    assert.deepEqual(stepBack(liveCursor, []), liveCursor);
    assert.equal(canStepBack(liveCursor, []), false);
  });

  it('merges fetched and live records without doubles', () => {
    const fetched = [snapshot('starting', 1), snapshot('running', 3)];
    const live = [snapshot('running', 3), snapshot('degraded', 6)];
    assert.deepEqual(mergeRecords(fetched, live), [snapshot('starting', 1), snapshot('running', 3), snapshot('degraded', 6)]);
  });
});
