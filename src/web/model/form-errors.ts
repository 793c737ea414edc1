// What the sign-in, signup and reset forms say when the server refuses: a wrong password, too many
// attempts (and for how long), a link that is not valid, or every problem of a weak password. The
// server answers errors as PanelErrorBody; anything else it sends is read defensively.

import type { PanelErrorBody } from '../../api/panel-protocol.ts';

/** An error body as read: the contract's fields, and the problems list when the server adds one. */
export interface ErrorDetails {
  code?: string;
  message?: string;
  hint?: string;
  /** Every individual problem (a weak password's), when given. */
  details: string[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Reads whatever JSON an error response carried. */
export function readErrorBody(body: unknown): ErrorDetails {
  if (typeof body !== 'object' || body === null) return { details: [] };
  const fields = body as Partial<Record<keyof PanelErrorBody | 'hint' | 'details' | 'problems', unknown>>;
  const list = Array.isArray(fields.details) ? fields.details : Array.isArray(fields.problems) ? fields.problems : [];
  const out: ErrorDetails = { details: list.filter((item): item is string => typeof item === 'string') };
  const code = text(fields.code);
  // The server's message often ends with the problems joined; the form lists them one per line.
  const joined = `: ${out.details.join('; ')}`;
  const full = text(fields.message);
  const message = full !== undefined && out.details.length > 0 && full.endsWith(joined) ? full.slice(0, -joined.length) : full;
  const hint = text(fields.hint);
  if (code !== undefined) out.code = code;
  if (message !== undefined) out.message = message;
  if (hint !== undefined) out.hint = hint;
  return out;
}

/**
 * Seconds to wait from a Retry-After header (seconds, or an HTTP date), or undefined.
 * @example retryAfterSeconds('42', Date.now()) // 42
 */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/u.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** What a form shows for a refusal. */
export interface FormError {
  message: string;
  /** Individual problems, one per line. */
  details: string[];
}

/** The login form's error for a response status. */
export function loginError(status: number, body: unknown, retryAfter: string | null, now: number): FormError {
  const read = readErrorBody(body);
  if (status === 401) return { message: 'wrong email or password', details: [] };
  if (status === 429) {
    const seconds = retryAfterSeconds(retryAfter, now);
    const wait = seconds === undefined ? 'wait a minute, then try again' : `try again in ${seconds} s`;
    return { message: `too many failed sign-in attempts: ${wait}`, details: [] };
  }
  return { message: read.message ?? `sign-in failed (HTTP ${status})`, details: read.details };
}

/** The signup or reset form's error for a response status (weak password, bad link, ...). */
export function passwordError(status: number, body: unknown): FormError {
  const read = readErrorBody(body);
  const fallback =
    status === 401 ? 'this link is not valid' : status === 410 ? 'this link has expired or was already used' : `the request failed (HTTP ${status})`;
  const message = read.message ?? fallback;
  return { message: read.hint === undefined ? message : `${message}: ${read.hint}`, details: read.details };
}

/** The checks made before sending a new password: both fields filled in and equal. */
export function localPasswordError(password: string, confirm: string): FormError | undefined {
  if (password === '') return { message: 'enter a password', details: [] };
  if (password !== confirm) return { message: 'the two passwords differ', details: [] };
  return undefined;
}
