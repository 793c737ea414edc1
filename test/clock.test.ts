// The system clock under sinon's fake timers: a delay past Node's 2^31−1 ms limit fires when it is
// due (Node alone would fire it after 1 ms), and clearing it stops it wherever its chain is.

import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { delay, maxTimerDelayMs, systemClock, xstateClock } from '../src/clock.ts';

const day = 86_400_000;

describe('clock', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => fake.restore());

  it('fires a 30-day timer after 30 days, not at once', async () => {
    let fired = 0;
    systemClock.setTimeout(() => (fired += 1), 30 * day);
    await fake.tickAsync(1000);
    assert.equal(fired, 0, 'fired after a second');
    await fake.tickAsync(30 * day - 1001);
    assert.equal(fired, 0, 'fired a millisecond early');
    await fake.tickAsync(1);
    assert.equal(fired, 1);
    await fake.tickAsync(60 * day);
    assert.equal(fired, 1, 'fired twice');
  });

  it('fires a timer of exactly the limit as Node would, and one of twice the limit on time', async () => {
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimeout(() => fired.push(Date.now() - start), maxTimerDelayMs);
    systemClock.setTimeout(() => fired.push(Date.now() - start), 2 * maxTimerDelayMs + 5);
    await fake.tickAsync(3 * maxTimerDelayMs);
    assert.deepEqual(fired, [maxTimerDelayMs, 2 * maxTimerDelayMs + 5]);
  });

  it('clears a chained timer before and after its first link fires', async () => {
    let fired = 0;
    const early = systemClock.setTimeout(() => (fired += 1), 60 * day);
    const late = systemClock.setTimeout(() => (fired += 1), 60 * day);
    systemClock.clearTimeout(early);
    await fake.tickAsync(maxTimerDelayMs + 1);
    systemClock.clearTimeout(late);
    await fake.tickAsync(120 * day);
    assert.equal(fired, 0);
    assert.equal(fake.countTimers(), 0, 'a link of a cleared chain is still armed');
  });

  it('keeps short timers plain Node timers', async () => {
    let fired = 0;
    const handle = systemClock.setTimeout(() => (fired += 1), 10);
    systemClock.clearTimeout(handle);
    const waited = delay(systemClock, 15);
    await fake.tickAsync(20);
    await waited;
    assert.equal(fired, 0);
  });

  it('gives XState a clock that chains too', async () => {
    const clock = xstateClock(systemClock);
    let fired = 0;
    const id: unknown = clock.setTimeout(() => (fired += 1), 40 * day);
    await fake.tickAsync(39 * day);
    assert.equal(fired, 0);
    await fake.tickAsync(day);
    assert.equal(fired, 1);
    const cleared: unknown = clock.setTimeout(() => (fired += 1), 40 * day);
    clock.clearTimeout(cleared);
    await fake.tickAsync(41 * day);
    assert.equal(fired, 1);
    assert.ok(id !== undefined);
  });
});
