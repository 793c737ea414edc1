// How the pages write times and durations: one fixed, sortable form in the browser's time zone, and
// durations in the two largest units, as `gravity status` writes them.

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * An instant as `YYYY-MM-DD HH:MM:SS`, local time.
 * @example formatTime(Date.UTC(2026, 10, 25, 15, 45, 49)) // '2026-11-25 15:45:49' in UTC
 */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The time of day only, `HH:MM:SS.mmm`, for event lists. */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * A duration in its two largest units.
 * @example formatDuration(3_723_000) // '1h 2m'
 */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
