// Durations as users write them: what parses, and what is refused instead of becoming a number no
// timer can honour.

import { strict as assert } from 'node:assert';
import { formatDuration, maxDurationMs, parseDuration } from '../src/duration.ts';

describe('duration', () => {
  const accepted: [string, number][] = [
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['7d', 7 * 86_400_000],
    ['3650d', maxDurationMs],
    [' 2h ', 7_200_000],
  ];
  for (const [text, ms] of accepted) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  const refused = ['', 'soon', '10', '-1s', '1e3s', '3651d', '3650d1ms', '9007199254740993s', `${'9'.repeat(400)}ms`, `1${'0'.repeat(20)}d`, `${'1s'.repeat(40)}`, '1.0000000001s'];
  for (const text of refused) {
    it(`refuses ${JSON.stringify(text.length > 30 ? `${text.slice(0, 30)}…` : text)}`, () => assert.equal(parseDuration(text), undefined));
  }

  it('formats limits in the largest whole unit', () => {
    assert.equal(formatDuration(86_400_000), '24h');
    assert.equal(formatDuration(7 * 86_400_000), '7d');
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(1), '1ms');
  });
});
