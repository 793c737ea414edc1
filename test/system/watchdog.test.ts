// The watchdog's heartbeat under a fake clock: a ping at once and then every half of WATCHDOG_USEC;
// none while the tree is unhealthy or after the event loop stalled (measured, or seen as a late
// timer), a sooner re-check after a skip, and nothing at all for a loop that keeps stalling.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Clock } from '../../src/clock.ts';
import { systemClock } from '../../src/clock.ts';
import { pingIntervalMs, retryAfterSkipMs, stallLimitMs, startWatchdog } from '../../src/system/watchdog.ts';
import type { HealthVerdict, Watchdog } from '../../src/system/watchdog.ts';

describe('system/watchdog', () => {
  let fake: sinon.SinonFakeTimers;
  let watchdog: Watchdog | undefined;
  let pings: number[];
  let changes: string[];
  let stall: number;
  let health: HealthVerdict;
  /** Added to the monotonic clock: a jump makes the next timer look late. */
  let jump: number;
  let clock: Clock;

  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    pings = [];
    changes = [];
    stall = 0;
    health = undefined;
    jump = 0;
    clock = { ...systemClock, monotonic: () => systemClock.monotonic() + jump };
  });
  afterEach(() => {
    watchdog?.stop();
    watchdog = undefined;
    fake.restore();
  });

  const start = (watchdogMs: number): Watchdog =>
    (watchdog = startWatchdog({
      watchdogMs,
      clock,
      ping: () => pings.push(Date.now() - 1_000_000),
      treeHealth: () => health,
      stalls: {
        takeMaxStallMs: () => {
          const value = stall;
          stall = 0;
          return value;
        },
      },
      onChange: (change) => changes.push(change.pinging ? 'resumed' : `withheld: ${change.reason}`),
    }));

  it('derives its cadence from WATCHDOG_USEC: every half, a stall limit of a quarter (at least 1 s), re-check at an eighth', () => {
    assert.equal(pingIntervalMs(30_000), 15_000);
    assert.equal(stallLimitMs(30_000), 7_500);
    assert.equal(stallLimitMs(2_000), 1_000);
    assert.equal(retryAfterSkipMs(30_000), 3_750);
  });

  it('pings at once and then every half of the timeout', async () => {
    start(2000);
    await fake.tickAsync(3000);
    assert.deepEqual(pings, [0, 1000, 2000, 3000]);
    assert.equal(watchdog?.pings, 4);
    assert.deepEqual(changes, []);
  });

  it('withholds the ping after a measured stall, re-checks sooner, and resumes when the loop is calm', async () => {
    start(4000); // every 2000 ms; limit 1000 ms; re-check after 500 ms
    await fake.tickAsync(1999);
    stall = 1500;
    await fake.tickAsync(1);
    assert.deepEqual(pings, [0], 'the ping at 2000 ms is withheld');
    assert.match(changes[0] ?? '', /^withheld: the event loop stalled for 1500 ms \(limit 1000 ms\)$/);
    await fake.tickAsync(500);
    assert.deepEqual(pings, [0, 2500]);
    assert.deepEqual(changes.slice(1), ['resumed']);
    await fake.tickAsync(2000);
    assert.deepEqual(pings, [0, 2500, 4500]);
  });

  it('treats a late timer as a stall (the loop was blocked when it was due)', async () => {
    start(4000);
    await fake.tickAsync(1000);
    jump = 1200; // the next timer fires 1200 ms after it was due
    await fake.tickAsync(1000);
    assert.deepEqual(pings, [0]);
    assert.match(changes[0] ?? '', /stalled for 1200 ms/);
  });

  it('sends nothing at all while the loop keeps stalling, so systemd restarts the agent', async () => {
    start(4000);
    const keepStalling = setInterval(() => (stall = 1500), 100);
    try {
      await fake.tickAsync(20_000);
    } finally {
      clearInterval(keepStalling);
    }
    assert.deepEqual(pings, [0]);
    assert.equal(changes.length, 1, 'said once, not at every re-check');
  });

  it('withholds pings while the tree is unhealthy, and resumes after', async () => {
    start(2000);
    health = 'the root supervisor is failed';
    await fake.tickAsync(5000);
    assert.deepEqual(pings, [0]);
    assert.deepEqual(changes, ['withheld: the root supervisor is failed']);
    health = undefined;
    await fake.tickAsync(250);
    assert.deepEqual(pings, [0, 5250]);
    assert.deepEqual(changes.slice(1), ['resumed']);
  });

  it('stops', async () => {
    start(2000).stop();
    await fake.tickAsync(10_000);
    assert.deepEqual(pings, [0]);
  });
});
