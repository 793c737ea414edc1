// Paging an actor's records: the newest `limit` before a time, never cutting a millisecond in two,
// whether older ones remain, and the query's bounds.

import assert from 'node:assert/strict';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { maxActorRecordsLimit, pageActorRecords, parseActorRecordsQuery } from '../../src/api/actor-records-page.ts';

function record(time: number, type = 'tick'): InspectionRecord {
  return { kind: 'event', path: 'agent/probes/probe:web', time, event: { type } };
}

const times = (page: { records: InspectionRecord[] }): number[] => page.records.map((entry) => entry.time);

describe('api/actor-records-page', () => {
  const records = [record(1), record(2), record(3), record(3, 'tock'), record(4), record(5)];

  it('answers the newest `limit` records, and whether older ones remain', () => {
    assert.deepEqual(times(pageActorRecords(records, { limit: 2 })), [4, 5]);
    assert.equal(pageActorRecords(records, { limit: 2 }).more, true);
    assert.deepEqual(pageActorRecords(records, { limit: 10 }), { records, more: false });
  });

  it('pages back from `before` (exclusive), finishing the oldest millisecond, and misses nothing', () => {
    const first = pageActorRecords(records, { before: 5, limit: 2 });
    assert.deepEqual(times(first), [3, 3, 4], 'both records of millisecond 3');
    const second = pageActorRecords(records, { before: 3, limit: 2 });
    assert.deepEqual(second, { records: [record(1), record(2)], more: false });
    assert.deepEqual(pageActorRecords(records, { before: 1, limit: 2 }), { records: [], more: false });
  });

  it('takes `before` and `limit` within bounds, and refuses the rest', () => {
    assert.deepEqual(parseActorRecordsQuery({}), { query: { limit: 200 } });
    assert.deepEqual(parseActorRecordsQuery({ before: '1700000000000', limit: '50' }), { query: { before: 1_700_000_000_000, limit: 50 } });
    for (const limit of ['0', '-1', 'x', '1.5', String(maxActorRecordsLimit + 1)]) assert.ok('problem' in parseActorRecordsQuery({ limit }), limit);
    assert.ok('problem' in parseActorRecordsQuery({ before: 'yesterday' }));
  });
});
