// The watchdog's heartbeat: a timer on the agent's main thread every half of WATCHDOG_USEC, as
// sd_watchdog_enabled(3) advises, that sends WATCHDOG=1 only while the agent is healthy. Healthy
// means the root supervisor runs and the event loop is not stalling: a loop blocked for good cannot
// fire the timer at all, and a loop that is blocked most of the time fires it late or shows long
// stalls, so the ping is skipped either way and systemd restarts the agent once WatchdogSec passes
// without one. After a skip the next check comes sooner, so that one stall alone does not cost a
// restart. Time comes from the injected clock; the stall measure is injected too.

import type { Clock, TimerHandle } from '../clock.ts';

/** Longest event-loop stall since the last call, in ms (then starts measuring afresh). */
export interface LoopStallSource {
  takeMaxStallMs(): number;
}

/** Why a ping is withheld, or undefined when the agent is fit to ping. */
export type HealthVerdict = string | undefined;

export interface WatchdogOptions {
  /** WATCHDOG_USEC in ms. */
  watchdogMs: number;
  clock: Clock;
  /** Sends WATCHDOG=1. */
  ping(): void;
  /** Whether the supervision tree is fit: undefined when it is, else why not. */
  treeHealth(): HealthVerdict;
  stalls: LoopStallSource;
  /** Told when pings stop (with why) and when they resume. */
  onChange?(change: { pinging: false; reason: string } | { pinging: true }): void;
}

export interface Watchdog {
  readonly pings: number;
  stop(): void;
}

/** When a ping is due: every half of the watchdog timeout. */
export function pingIntervalMs(watchdogMs: number): number {
  return Math.max(1, Math.floor(watchdogMs / 2));
}

/**
 * A stall longer than this withholds the ping: a quarter of the timeout (at least 1 s, so that
 * garbage collection and a busy start do not count), which a loop stalling again and again cannot pass.
 */
export function stallLimitMs(watchdogMs: number): number {
  return Math.max(1000, Math.floor(watchdogMs / 4));
}

/** How soon the check comes again after a skipped ping. */
export function retryAfterSkipMs(watchdogMs: number): number {
  return Math.max(1, Math.floor(pingIntervalMs(watchdogMs) / 4));
}

/**
 * Pings at once, then every half of the timeout while healthy.
 * @example
 * const watchdog = startWatchdog({ watchdogMs: 30_000, clock, ping: () => send({ watchdog: true }),
 *   treeHealth: () => (root.state === 'running' ? undefined : `root supervisor is ${root.state}`), stalls });
 */
export function startWatchdog(options: WatchdogOptions): Watchdog {
  const { clock, watchdogMs } = options;
  const interval = pingIntervalMs(watchdogMs);
  const limit = stallLimitMs(watchdogMs);
  let timer: TimerHandle | undefined;
  let stopped = false;
  let pings = 0;
  let pinging = true;
  let dueAt = clock.monotonic();

  const schedule = (ms: number): void => {
    dueAt = clock.monotonic() + ms;
    timer = clock.setTimeout(tick, ms);
  };

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    // A timer that fires late means the loop was busy; the stall source sees shorter stalls too.
    const late = Math.max(0, clock.monotonic() - dueAt);
    const stall = Math.max(late, options.stalls.takeMaxStallMs());
    const reason = stall > limit ? `the event loop stalled for ${Math.round(stall)} ms (limit ${limit} ms)` : options.treeHealth();
    if (reason === undefined) {
      options.ping();
      pings++;
      if (!pinging) {
        pinging = true;
        options.onChange?.({ pinging: true });
      }
      schedule(interval);
      return;
    }
    if (pinging) {
      pinging = false;
      options.onChange?.({ pinging: false, reason });
    }
    schedule(retryAfterSkipMs(watchdogMs));
  }

  options.stalls.takeMaxStallMs();
  tick();
  return {
    get pings() {
      return pings;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
