// Durations as users write them in config files and flags (`500ms`, `1s`, `2m`, `1h30m`, `7d`), as Go
// and Kubernetes spell them. (The short form for display is formatUptime in src/cli/format-tree.ts.)

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;

/**
 * Milliseconds in a duration; undefined when it is not one.
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const match = pattern.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * (units[match[2] ?? ''] ?? Number.NaN);
    rest = rest.slice(match[0].length);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
