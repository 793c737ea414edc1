// The history page's filter in its three forms: the form's fields, the page's own URL (so that a
// filtered view can be reloaded or shared) and the query of /api/history, which uses the same names.

import type { HistoryFilter } from '../../api/panel-protocol.ts';
import { historyEventTypes } from '../../store/types.ts';
import type { HistoryEventType } from '../../store/types.ts';

/** The form's fields as the inputs hold them; `from`/`to` are `datetime-local` values. */
export interface HistoryFormValues {
  node: string;
  checker: string;
  /** A HistoryEventType, or '' for any. */
  type: string;
  from: string;
  to: string;
}

export const emptyHistoryForm: HistoryFormValues = { node: '', checker: '', type: '', from: '', to: '' };

/** The `datetime-local` inputs have minute precision: `to` covers its whole minute. */
const minuteMs = 60_000;

function isEventType(value: string): value is HistoryEventType {
  return (historyEventTypes as readonly string[]).includes(value);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * A `datetime-local` input's value for an instant, in the browser's time zone, to the minute.
 * @example localInputValue(Date.UTC(2026, 0, 2, 3, 4)) // '2026-01-02T03:04' in UTC
 */
export function localInputValue(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The instant of a `datetime-local` value (local time), or undefined when empty or not a date. */
export function parseLocalInput(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/u.exec(value.trim());
  if (match === null) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const ms = new Date(year ?? 0, (month ?? 1) - 1, day ?? 1, hours ?? 0, minutes ?? 0, seconds ?? 0).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

function positiveInteger(value: string | null): number | undefined {
  if (value === null || !/^\d+$/u.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/** The filter the form describes; empty fields are left out. */
export function historyFilterFromForm(values: HistoryFormValues): HistoryFilter {
  const filter: HistoryFilter = {};
  const node = values.node.trim();
  const checker = values.checker.trim();
  if (node !== '') filter.node = node;
  if (checker !== '') filter.checker = checker;
  if (isEventType(values.type)) filter.type = values.type;
  const since = parseLocalInput(values.from);
  const until = parseLocalInput(values.to);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until + minuteMs - 1;
  return filter;
}

/** The form's fields for a filter. */
export function historyFormValues(filter: HistoryFilter): HistoryFormValues {
  return {
    node: filter.node ?? '',
    checker: filter.checker ?? '',
    type: filter.type ?? '',
    from: filter.since === undefined ? '' : localInputValue(filter.since),
    to: filter.until === undefined ? '' : localInputValue(filter.until),
  };
}

/**
 * The query string of a filter (`?node=n1&since=...`), or '' for no filter: the page's URL and the
 * /api/history request use the same one.
 * @example historyQueryString({ node: 'n1', type: 'Probe Failed' }) // '?node=n1&type=Probe+Failed'
 */
export function historyQueryString(filter: HistoryFilter): string {
  const params = new URLSearchParams();
  if (filter.node !== undefined) params.set('node', filter.node);
  if (filter.checker !== undefined) params.set('checker', filter.checker);
  if (filter.type !== undefined) params.set('type', filter.type);
  if (filter.since !== undefined) params.set('since', String(filter.since));
  if (filter.until !== undefined) params.set('until', String(filter.until));
  if (filter.limit !== undefined) params.set('limit', String(filter.limit));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The filter of a query string; unknown or malformed parameters are dropped. */
export function historyFilterFromQuery(search: string): HistoryFilter {
  const params = new URLSearchParams(search);
  const filter: HistoryFilter = {};
  const node = params.get('node');
  const checker = params.get('checker');
  const type = params.get('type');
  if (node !== null && node !== '') filter.node = node;
  if (checker !== null && checker !== '') filter.checker = checker;
  if (type !== null && isEventType(type)) filter.type = type;
  const since = positiveInteger(params.get('since'));
  const until = positiveInteger(params.get('until'));
  const limit = positiveInteger(params.get('limit'));
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (limit !== undefined && limit > 0) filter.limit = limit;
  return filter;
}
