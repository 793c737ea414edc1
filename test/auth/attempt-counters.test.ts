// The sign-in counters behind @fastify/rate-limit: fixed windows on the injected clock, refunds for
// successful sign-ins, and a bounded number of keys.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { attemptCounters } from '../../src/auth/attempt-counters.ts';
import { systemClock } from '../../src/clock.ts';

function incr(store: { incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void }, key: string): { current: number; ttl: number } {
  let result: { current: number; ttl: number } | undefined;
  store.incr(key, (error, value) => {
    assert.equal(error, null);
    result = value;
  }, 60_000, 5);
  assert.ok(result !== undefined);
  return result;
}

describe('sign-in attempt counters', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
  });

  afterEach(() => {
    clock.restore();
  });

  it('counts per key in a fixed window on the clock, and refunds', () => {
    const counters = attemptCounters(systemClock);
    const store = new counters.store({});
    assert.deepEqual(incr(store, 'a'), { current: 1, ttl: 60_000 });
    clock.tick(10_000);
    assert.deepEqual(incr(store, 'a'), { current: 2, ttl: 50_000 });
    assert.deepEqual(incr(store, 'b'), { current: 1, ttl: 60_000 });
    counters.refund('a');
    assert.equal(counters.count('a'), 1);
    counters.refund('a');
    counters.refund('a');
    assert.equal(counters.count('a'), 0);
    clock.tick(50_000);
    assert.equal(counters.count('b'), 1);
    assert.deepEqual(incr(store, 'a'), { current: 1, ttl: 60_000 }, 'a new window');
    // Every store the plugin makes (one per limit) shares the counters.
    assert.equal(store.child({} as never), store);
  });

  it('keeps at most `capacity` keys, dropping expired ones first, then the oldest', () => {
    const counters = attemptCounters(systemClock, 3);
    const store = new counters.store({});
    incr(store, 'old');
    clock.tick(60_000);
    incr(store, 'k1');
    incr(store, 'k2');
    incr(store, 'k3');
    incr(store, 'k4');
    assert.equal(counters.count('old'), 0);
    assert.equal(counters.count('k1'), 0, 'the oldest live key made room');
    assert.equal(counters.count('k4'), 1);
  });
});
