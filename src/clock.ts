// Every timer in gravity goes through a Clock so that tests drive time with sinon's fake timers
// instead of sleeping. The system clock looks the globals up at call time, so a fake clock
// installed after import still takes effect.
//
// Node fires a timer of more than 2^31−1 ms (about 24.8 days) after 1 ms instead. The system clock
// never hands Node such a delay: a longer timer is a chain of shorter ones, each re-armed for what
// remains, behind one handle that clearTimeout cancels wherever the chain is.

export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic reading in milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The longest delay Node's setTimeout honours (2^31−1 ms). */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** One long timer: the Node timer armed now, and the milliseconds still to wait after it fires. */
class ChainedTimer {
  current: NodeJS.Timeout | undefined;

  constructor(callback: () => void, ms: number) {
    this.arm(callback, ms);
  }

  arm(callback: () => void, ms: number): void {
    const step = Math.min(ms, maxTimerDelayMs);
    this.current = setTimeout(() => {
      if (ms > step) this.arm(callback, ms - step);
      else {
        this.current = undefined;
        callback();
      }
    }, step);
  }

  clear(): void {
    if (this.current !== undefined) clearTimeout(this.current);
    this.current = undefined;
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => {
    if (ms > maxTimerDelayMs) return new ChainedTimer(callback, ms);
    return setTimeout(callback, ms);
  },
  clearTimeout: (handle) => {
    if (handle instanceof ChainedTimer) handle.clear();
    else clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/**
 * The clock in the shape XState's createActor takes, so that machines' delays go through it too.
 * @example createActor(logic, { clock: xstateClock(systemClock) })
 */
export function xstateClock(clock: Clock): { setTimeout: (fn: (...args: unknown[]) => void, ms: number) => TimerHandle; clearTimeout: (id: unknown) => void } {
  return {
    setTimeout: (fn, ms) => clock.setTimeout(() => fn(), ms),
    clearTimeout: (id) => clock.clearTimeout(id as TimerHandle),
  };
}

/** Resolves after `ms` on the given clock. */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
