// The keys the HTTP-speaking checkers share (TLS verification and files, expected status ranges,
// body matches), read the same way everywhere, and the Go-like `Get <url>: <reason>` error prefix
// the seed's probe errors use.

import type { KeyReader } from './keys.ts';
import type { TlsFiles } from './http-request.ts';
import { oneLine } from './describe-error.ts';

/** `tlsVerify`, `caFile`, `certFile`, `keyFile` (TLS verification on by default). */
export const tlsKeys = ['tlsVerify', 'caFile', 'certFile', 'keyFile'] as const;

export function readTls(keys: KeyReader, tlsVerifyDefault = true): TlsFiles | undefined {
  const tlsVerify = keys.boolean('tlsVerify', tlsVerifyDefault);
  const files: Partial<Record<'caFile' | 'certFile' | 'keyFile', string>> = {};
  let ok = tlsVerify !== undefined;
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    if (!keys.has(key)) continue;
    const path = keys.string(key, { what: 'the path of a PEM file' });
    if (path === undefined) ok = false;
    else files[key] = path;
  }
  if (keys.has('certFile') !== keys.has('keyFile')) {
    keys.problem(keys.has('certFile') ? 'keyFile' : 'certFile', 'required with the other: a client certificate needs both certFile and keyFile');
    ok = false;
  }
  if (!ok || tlsVerify === undefined) return undefined;
  return { tlsVerify, ...files };
}

/** Inclusive status ranges, e.g. `200-399` → [[200, 399]]. */
export type StatusRanges = [number, number][];

/** Parses `200-399`, `200`, `200-299,304` (or a number); undefined when malformed. */
export function parseStatusRanges(value: unknown): StatusRanges | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const ranges: StatusRanges = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (match === null) return undefined;
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    if (low < 100 || high > 599 || low > high) return undefined;
    ranges.push([low, high]);
  }
  return ranges;
}

export function formatStatusRanges(ranges: StatusRanges): string {
  return ranges.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(',');
}

export function statusInRanges(status: number, ranges: StatusRanges): boolean {
  return ranges.some(([low, high]) => status >= low && status <= high);
}

/** `Get http://host/path` as Go's client starts its errors. */
export function requestLabel(method: string, url: string): string {
  return `${method.charAt(0)}${method.slice(1).toLowerCase()} ${url}`;
}

/** The start of a response body for an error line: one line, at most `max` characters, quoted. */
export function bodySnippet(body: string, max = 200): string {
  const line = oneLine(body);
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}

/** A response body that must be a JSON object; `{ error }` says why it is not. */
export function parseJsonObject(body: string): { value: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { error: `the answer is not JSON (${(error as Error).message}): ${bodySnippet(body)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: `the answer is not a JSON object: ${bodySnippet(body)}` };
  }
  return { value: value as Record<string, unknown> };
}
