// Times and durations as the pages write them.

import assert from 'node:assert/strict';
import { formatClock, formatDuration, formatTime } from '../../../src/web/model/format.ts';

describe('web/format', () => {
  it('writes local times in one sortable form', () => {
    const time = new Date(2026, 10, 25, 9, 5, 7, 42).getTime();
    assert.equal(formatTime(time), '2026-11-25 09:05:07');
    assert.equal(formatClock(time), '09:05:07.042');
  });

  it('writes durations in their two largest units', () => {
    assert.equal(formatDuration(-5), '0s');
    assert.equal(formatDuration(59_999), '59s');
    assert.equal(formatDuration(61_000), '1m 1s');
    assert.equal(formatDuration(3_723_000), '1h 2m');
    assert.equal(formatDuration(90_000_000), '1d 1h');
  });
});
