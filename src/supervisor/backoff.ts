// Restart delays: the first restart after a stable run is immediate (as OTP, so a one-off crash costs
// nothing); repeated restarts back off exponentially, with jitter so that siblings do not restart in
// lock-step, capped. A child that ran stably for `resetAfterMs` starts from the beginning again.

import type { BackoffSpec } from './spec.ts';

/**
 * Delay before restart number `consecutive` (1 = first restart since the child was last stable).
 * `random` returns a number in [0, 1), as Math.random.
 * @example restartDelay(3, { baseMs: 100, factor: 2, capMs: 30000, jitter: 0, resetAfterMs: 30000 }) // 200
 */
export function restartDelay(consecutive: number, spec: BackoffSpec, random: () => number = Math.random): number {
  if (consecutive <= 1 || spec.baseMs === 0) return 0;
  // The exponent is bounded: a child restarted thousands of times would make factor ** n Infinity
  // (and 0 × Infinity NaN); past the cap the delay is the cap anyway.
  const raw = Math.min(spec.capMs, spec.baseMs * spec.factor ** Math.min(consecutive - 2, 1024));
  if (spec.jitter === 0 || raw === 0) return raw;
  const spread = 1 - spec.jitter + 2 * spec.jitter * random();
  return Math.min(spec.capMs, Math.round(raw * spread));
}

/**
 * The consecutive-restart count after an exit: reset when the child ran at least resetAfterMs.
 * @example nextConsecutive(2, 40_000, spec) // 1 when resetAfterMs is 30_000
 */
export function nextConsecutive(previous: number, ranForMs: number, spec: BackoffSpec): number {
  return ranForMs >= spec.resetAfterMs ? 1 : previous + 1;
}
