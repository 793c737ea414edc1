// The counters behind the sign-in rate limit, kept where @fastify/rate-limit keeps its counts (its
// `store` option) but on gravity's injected clock, so that tests move time instead of waiting. One
// fixed window per key. The rate-limit plugin counts every request it is asked about; sign-in asks it
// once per attempt, before checking the password, and gives the count back with `refund` when the
// password was right: what remains counted are the failures (and attempts still being checked, so
// that a burst of parallel guesses is counted as it arrives).

import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Clock } from '../clock.ts';

interface Counter {
  count: number;
  start: number;
  windowMs: number;
}

export interface AttemptCounters {
  /** For `fastify.register(rateLimit, { store })`. */
  readonly store: FastifyRateLimitStoreCtor;
  /** Takes one attempt back from a key's count (a sign-in that succeeded). */
  refund(key: string): void;
  /** The current count of a key (0 once its window has passed). */
  count(key: string): number;
}

/**
 * @example
 * const counters = attemptCounters(clock);
 * await app.register(rateLimit, { global: false, store: counters.store });
 * const limit = app.createRateLimit({ max: 5, timeWindow: 60_000, keyGenerator: (request) => request.ip });
 */
export function attemptCounters(clock: Pick<Clock, 'now'>, capacity = 10_000): AttemptCounters {
  const counters = new Map<string, Counter>();
  const live = (counter: Counter | undefined, now: number): counter is Counter => counter !== undefined && now < counter.start + counter.windowMs;

  // Bounded: a flood of distinct keys drops the expired ones first, then the oldest.
  const makeRoom = (now: number): void => {
    if (counters.size < capacity) return;
    for (const [key, counter] of counters) if (!live(counter, now)) counters.delete(key);
    for (const key of counters.keys()) {
      if (counters.size < capacity) break;
      counters.delete(key);
    }
  };

  const store: FastifyRateLimitStore = {
    incr(key, callback, timeWindow) {
      const now = clock.now();
      let counter = counters.get(key);
      if (!live(counter, now)) {
        makeRoom(now);
        counter = { count: 0, start: now, windowMs: timeWindow };
        counters.set(key, counter);
      }
      counter.count += 1;
      callback(null, { current: counter.count, ttl: counter.start + counter.windowMs - now });
    },
    child: () => store,
  };

  // The plugin constructs its store with `new`; a constructor that returns an object yields that object.
  const Store = function AttemptStore(): FastifyRateLimitStore {
    return store;
  } as unknown as FastifyRateLimitStoreCtor;

  return {
    store: Store,
    refund(key) {
      const counter = counters.get(key);
      if (counter !== undefined && counter.count > 0) counter.count -= 1;
    },
    count(key) {
      const counter = counters.get(key);
      return live(counter, clock.now()) ? counter.count : 0;
    },
  };
}
