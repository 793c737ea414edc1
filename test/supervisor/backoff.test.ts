import { strict as assert } from 'node:assert';
import { nextConsecutive, restartDelay } from '../../src/supervisor/backoff.ts';
import type { BackoffSpec } from '../../src/supervisor/spec.ts';

const spec: BackoffSpec = { baseMs: 100, factor: 2, capMs: 1000, jitter: 0, resetAfterMs: 30_000 };

describe('supervisor/backoff', () => {
  const delays: [number, number][] = [
    [0, 0],
    [1, 0],
    [2, 100],
    [3, 200],
    [4, 400],
    [5, 800],
    [6, 1000],
    [20, 1000],
  ];
  for (const [consecutive, expected] of delays) {
    it(`restart #${consecutive} waits ${expected} ms`, () => {
      assert.equal(restartDelay(consecutive, spec), expected);
    });
  }

  it('jitter spreads the delay within [1 - j, 1 + j] and never past the cap', () => {
    const jittered = { ...spec, jitter: 0.5 };
    assert.equal(restartDelay(3, jittered, () => 0), 100);
    assert.equal(restartDelay(3, jittered, () => 0.5), 200);
    assert.equal(restartDelay(3, jittered, () => 0.999999), 300);
    assert.equal(restartDelay(10, jittered, () => 0.999999), 1000);
  });

  it('a stable run resets the count, an unstable one increments it', () => {
    assert.equal(nextConsecutive(4, 30_000, spec), 1);
    assert.equal(nextConsecutive(4, 29_999, spec), 5);
    assert.equal(nextConsecutive(0, 10, spec), 1);
  });

  it('stays a number after thousands of restarts: the cap with a base, nothing without one', () => {
    for (const consecutive of [1100, 5000, 1_000_000]) {
      assert.equal(restartDelay(consecutive, spec), spec.capMs);
      assert.equal(restartDelay(consecutive, { ...spec, baseMs: 0 }), 0);
      assert.equal(restartDelay(consecutive, { ...spec, baseMs: 0, jitter: 0.5 }, () => 0.9), 0);
    }
  });
});
