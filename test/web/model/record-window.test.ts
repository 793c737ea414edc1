// The actors page's record window: the live records stay bounded however many arrive, an older page
// is asked for with a cursor that loses nothing, shown in place of the live ones while these keep
// following, and "newest" returns to them.

import assert from 'node:assert/strict';
import type { InspectionRecord } from '../../../src/actors/inspection.ts';
import type { KeptRecord } from '../../../src/web/model/record-steps.ts';
import { liveCursor } from '../../../src/web/model/record-steps.ts';
import {
  appendLive,
  emptyRecordWindow,
  isReadingOlder,
  olderQuery,
  recordWindowSize,
  showNewest,
  showOlder,
  shownRecords,
  stepCursorFor,
} from '../../../src/web/model/record-window.ts';

function record(time: number): InspectionRecord {
  return { kind: 'event', path: 'agent/probes/probe:web', time, event: { type: 'xstate.after.timeout' } };
}

function kept(times: number[], firstSeq = 1): KeptRecord[] {
  return times.map((time, index) => ({ seq: firstSeq + index, record: record(time) }));
}

describe('web/record-window', () => {
  it('keeps at most the window size of the newest live records, however many arrive', () => {
    let window = emptyRecordWindow;
    for (let i = 0; i < 2_000; i++) window = appendLive(window, kept([1_000 + i], i + 1));
    assert.equal(window.live.length, recordWindowSize);
    assert.equal(shownRecords(window).length, recordWindowSize);
    assert.equal(shownRecords(window)[0]?.record.time, 1_000 + 2_000 - recordWindowSize);
    assert.equal(shownRecords(window).at(-1)?.record.time, 2_999);
  });

  it('asks for the page before the live window, its oldest millisecond included', () => {
    assert.equal(olderQuery(emptyRecordWindow), undefined);
    const window = appendLive(emptyRecordWindow, kept([5_000, 5_000, 6_000]));
    assert.deepEqual(olderQuery(window), { before: 5_001, limit: recordWindowSize });
    assert.deepEqual(olderQuery(window, 50), { before: 5_001, limit: 50 });
  });

  it('shows an older page instead of the live records, which keep following; newest returns to them', () => {
    let window = appendLive(emptyRecordWindow, kept([5_000, 6_000]));
    window = showOlder(window, { records: kept([3_000, 4_000, 5_000], 10), more: true });
    assert.equal(isReadingOlder(window), true);
    assert.deepEqual(
      shownRecords(window).map((entry) => entry.record.time),
      [3_000, 4_000, 5_000],
    );
    // The page ends on a whole millisecond: the next one starts strictly before it.
    assert.deepEqual(olderQuery(window), { before: 3_000, limit: recordWindowSize });
    window = appendLive(window, kept([7_000], 20));
    assert.deepEqual(
      shownRecords(window).map((entry) => entry.record.time),
      [3_000, 4_000, 5_000],
    );
    window = showNewest(window);
    assert.equal(isReadingOlder(window), false);
    assert.deepEqual(
      shownRecords(window).map((entry) => entry.record.time),
      [5_000, 6_000, 7_000],
    );
  });

  it('stops asking once the agent has nothing older', () => {
    let window = appendLive(emptyRecordWindow, kept([5_000]));
    window = showOlder(window, { records: kept([4_000], 5), more: false });
    assert.equal(olderQuery(window), undefined);
    window = showOlder(appendLive(emptyRecordWindow, kept([5_000])), { records: kept([4_000], 5), more: true });
    window = showOlder(window, { records: [], more: false });
    assert.deepEqual(
      shownRecords(window).map((entry) => entry.record.time),
      [4_000],
    );
    assert.equal(olderQuery(window), undefined);
  });

  it("parks a live step cursor on the older page's newest state while the page is read", () => {
    const state = (seq: number, time: number, value: string): KeptRecord => ({ seq, record: { kind: 'snapshot', path: 'p', time, status: 'active', value } });
    const live = appendLive(emptyRecordWindow, [state(9, 9_000, 'running')]);
    assert.deepEqual(stepCursorFor(live, liveCursor), liveCursor);
    const reading = showOlder(live, { records: [state(1, 1_000, 'starting'), state(2, 2_000, 'failed'), ...kept([3_000], 3)], more: false });
    assert.deepEqual(stepCursorFor(reading, liveCursor), { live: false, seq: 2 });
    assert.deepEqual(stepCursorFor(reading, { live: false, seq: 1 }), { live: false, seq: 1 });
    assert.deepEqual(stepCursorFor(showOlder(live, { records: kept([3_000], 3), more: false }), liveCursor), liveCursor, 'no state on the page');
  });
});
