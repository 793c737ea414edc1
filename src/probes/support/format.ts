// Sizes and percentages in probe errors, written the same way by every checker (`46.1 GiB`, `92.1 %`).

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** @example formatBytes(49_500_000_000) // '46.1 GiB' */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** @example formatPercent(92.14) // '92.1 %' */
export function formatPercent(percent: number): string {
  return `${Number(percent.toFixed(1))} %`;
}
