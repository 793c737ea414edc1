// OTP's restart intensity as a pure function: a supervisor may restart at most `intensity` times in
// any `period` seconds. The history is a list of restart timestamps; the caller owns the clock.

export interface IntensityLimit {
  intensity: number;
  /** Seconds. */
  period: number;
}

export interface IntensityVerdict {
  /** False when this restart would exceed the limit: the supervisor must give up. */
  allowed: boolean;
  /** Timestamps still inside the period, including `now` (keep it for the next call). */
  history: number[];
}

/**
 * Records a restart at `now` and says whether it is within the limit. A restart older than
 * `period` seconds no longer counts; one exactly `period` old does not count either.
 * @example recordRestart([], 1000, { intensity: 1, period: 5 }) // { allowed: true, history: [1000] }
 */
export function recordRestart(history: readonly number[], now: number, limit: IntensityLimit): IntensityVerdict {
  const periodMs = limit.period * 1000;
  const recent = history.filter((time) => now - time < periodMs);
  recent.push(now);
  return { allowed: recent.length <= limit.intensity, history: recent };
}
