// How `gravity status history` prints the status history: one line per event, in the seed's layout,
// so that what operators already grep for keeps working. Pure: events in, text out.

import type { HistoryEvent } from '../store/types.ts';
import { terminalLine } from './terminal-text.ts';

export type HistoryFormat = 'text' | 'json';

/** What an empty history prints, as Gravity. */
export const emptyHistoryText = 'No status history available to display.';

/**
 * Width of the bracketed type column: `[Probe Succeeded]` and three spaces, as in the seed. The column
 * is fixed (not sized to the events shown) so that `node=` is at the same place in every output;
 * a wider type (`[Cluster Recovered]`) keeps at least one space.
 */
export const typeColumnWidth = '[Probe Succeeded]'.length + 3;

/** RFC 3339 in UTC to the second: `2020-02-18T21:37:07Z`. */
export function formatEventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * One event as one line (no newline).
 * @example formatHistoryLine({ id: 'x', time: Date.UTC(2020, 1, 18, 21, 37, 7), type: 'Probe Failed', node: 'node-1', checker: 'kube-apiserver' })
 * // '2020-02-18T21:37:07Z [Probe Failed]      node=node-1 checker=kube-apiserver'
 */
export function formatHistoryLine(event: HistoryEvent): string {
  const type = `[${terminalLine(event.type)}]`;
  const fields: string[] = [];
  if (event.node !== undefined) fields.push(`node=${terminalLine(event.node)}`);
  if (event.checker !== undefined) fields.push(`checker=${terminalLine(event.checker)}`);
  // JSON quoting keeps the line one line whatever the error says. A probe's detail is its error; a
  // cluster's is the reason it is degraded.
  const label = event.type.startsWith('Cluster') ? 'reason' : 'error';
  if (event.detail !== undefined && event.detail !== '') fields.push(`${label}=${terminalLine(JSON.stringify(event.detail))}`);
  const head = `${formatEventTime(event.time)} ${type}`;
  if (fields.length === 0) return head;
  return `${head}${' '.repeat(Math.max(1, typeColumnWidth - type.length))}${fields.join(' ')}`;
}

/**
 * The whole history in a format, ending with a newline.
 * @example output.out(formatHistory(events, 'text'));
 */
export function formatHistory(events: readonly HistoryEvent[], format: HistoryFormat): string {
  if (format === 'json') return `${JSON.stringify(events, null, 2)}\n`;
  if (events.length === 0) return `${emptyHistoryText}\n`;
  return events.map((event) => `${formatHistoryLine(event)}\n`).join('');
}
