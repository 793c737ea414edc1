// Durations as users write them in config files and flags (`500ms`, `1s`, `2m`, `1h30m`, `7d`), as Go
// and Kubernetes spell them. (The short form for display is formatUptime in src/cli/format-tree.ts.)
// A duration is a whole number of milliseconds from 0 to maxDurationMs; anything longer, or written
// with absurd numbers, is not a duration. Each use narrows the range further (docs/configuration.md).

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^(\d{1,15}(?:\.\d{1,9})?)(ms|s|m|h|d)/u;

/** The longest duration parseDuration accepts: 3650 days (about ten years). */
export const maxDurationMs = 3650 * 86_400_000;
/** The longest text parseDuration reads (`1d2h3m4s5ms` and the like are far shorter). */
export const maxDurationTextLength = 64;

/**
 * Milliseconds in a duration; undefined when it is not one (or is longer than maxDurationMs).
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(text: string): number | undefined {
  if (text.length > maxDurationTextLength) return undefined;
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const match = pattern.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * (units[match[2] ?? ''] ?? Number.NaN);
    if (!(total <= maxDurationMs)) return undefined;
    rest = rest.slice(match[0].length);
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) && ms <= maxDurationMs ? ms : undefined;
}

/**
 * A duration in the largest unit that writes it whole, for messages about limits.
 * @example formatDuration(86_400_000) // '24h'; formatDuration(7 * 86_400_000) // '7d'; formatDuration(90_000) // '90s'
 */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    // A day reads better as 24h; days are for longer spans (7d).
    if (ms >= size && ms % size === 0 && !(unit === 'd' && ms === size)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
