// The `http` checker: a URL answers with an expected status (200-399 by default, Consul's passing
// range widened to redirects) and, optionally, a body that contains a text or matches a /regex/.
// TLS verification is on unless `tlsVerify: false`; a private CA can be given with `caFile`.

import { KeyReader } from './support/keys.ts';
import { httpRequest } from './support/http-request.ts';
import type { TlsFiles } from './support/http-request.ts';
import {
  bodySnippet,
  formatStatusRanges,
  parseStatusRanges,
  readTls,
  requestLabel,
  statusInRanges,
  tlsKeys,
} from './support/http-keys.ts';
import type { StatusRanges } from './support/http-keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const httpCheckerId = 'http';

/** A body match as plain data (compiled configs cross thread boundaries). */
export type BodyMatch = { kind: 'substring'; text: string } | { kind: 'regex'; source: string; flags: string };

export interface HttpConfig {
  url: string;
  method: 'GET' | 'HEAD';
  expectedStatus: StatusRanges;
  body?: BodyMatch;
  headers: Record<string, string>;
  tls: TlsFiles;
}

export const httpDefaults = { method: 'GET' as const, expectedStatus: '200-399' };

/** `/re/flags` is a regular expression; anything else a substring. `{ error }` when the regex is bad. */
export function parseBodyMatch(text: string): BodyMatch | { error: string } {
  const match = /^\/(.+)\/([dgimsuvy]*)$/s.exec(text);
  if (match === null) return { kind: 'substring', text };
  const source = match[1] ?? '';
  try {
    new RegExp(source, match[2]);
  } catch (error) {
    return { error: (error as Error).message };
  }
  // A global or sticky regex would carry lastIndex from one test to the next.
  return { kind: 'regex', source, flags: (match[2] ?? '').replace(/[gy]/g, '') };
}

export function describeBodyMatch(match: BodyMatch): string {
  return match.kind === 'substring' ? `contain ${JSON.stringify(match.text)}` : `match /${match.source}/${match.flags}`;
}

export function bodyMatches(body: string, match: BodyMatch): boolean {
  return match.kind === 'substring' ? body.includes(match.text) : new RegExp(match.source, match.flags).test(body);
}

/**
 * @example probes: [{ checker: http, url: 'https://127.0.0.1:8443/healthz', expectedStatus: '200-299', body: ok, tlsVerify: false }]
 */
export const httpChecker: Checker<HttpConfig> = {
  id: httpCheckerId,
  description: 'an HTTP(S) GET of url answers with an expected status (default 200-399) and, optionally, a matching body',
  keys: ['url', 'method', 'expectedStatus', 'body', 'headers', ...tlsKeys],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const url = keys.url('url', { required: true });
    const method = keys.oneOf('method', ['GET', 'HEAD'] as const, httpDefaults.method);
    let expectedStatus = parseStatusRanges(httpDefaults.expectedStatus);
    if (raw.expectedStatus !== undefined) {
      expectedStatus = parseStatusRanges(raw.expectedStatus);
      if (expectedStatus === undefined) {
        keys.problem('expectedStatus', `must be a status or range of statuses from 100 to 599 such as 200, 200-299 or 200-299,304, got ${JSON.stringify(raw.expectedStatus)}`);
      }
    }
    let body: BodyMatch | undefined;
    let bodyOk = true;
    const bodyText = keys.string('body', { what: 'a text the body must contain, or a /regular expression/' });
    if (keys.has('body') && bodyText === undefined) bodyOk = false;
    if (bodyText !== undefined) {
      const parsed = parseBodyMatch(bodyText);
      if ('error' in parsed) {
        keys.problem('body', `invalid regular expression ${bodyText}: ${parsed.error}`);
        bodyOk = false;
      } else {
        body = parsed;
        if (method === 'HEAD') {
          keys.problem('body', 'a body match needs method GET (a HEAD response has no body)');
          bodyOk = false;
        }
      }
    }
    const headers: Record<string, string> = {};
    let headersOk = true;
    if (raw.headers !== undefined) {
      const value = raw.headers;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        keys.problem('headers', `must be a mapping of header names to strings, got ${JSON.stringify(value)}`);
        headersOk = false;
      } else {
        for (const [name, headerValue] of Object.entries(value as Record<string, unknown>)) {
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || typeof headerValue !== 'string' || /[\r\n]/.test(headerValue)) {
            keys.problem(`headers.${name}`, `must be a header name with a one-line string value, got ${JSON.stringify(headerValue)}`);
            headersOk = false;
          } else headers[name] = headerValue;
        }
      }
    }
    const tls = readTls(keys);
    if (url === undefined || method === undefined || expectedStatus === undefined || !bodyOk || !headersOk || tls === undefined) return undefined;
    return { url, method, expectedStatus, headers, tls, ...(body === undefined ? {} : { body }) };
  },
  async check(config: HttpConfig, context: CheckContext): Promise<CheckResult> {
    const label = requestLabel(config.method, config.url);
    const outcome = await httpRequest({
      url: config.url,
      method: config.method,
      headers: config.headers,
      tls: config.tls,
      signal: context.signal,
      timeoutMs: context.timeoutMs,
    });
    if (!outcome.ok) return { status: 'failed', error: `${label}: ${outcome.error}` };
    const status = `${outcome.status} ${outcome.statusText}`.trim();
    if (!statusInRanges(outcome.status, config.expectedStatus)) {
      const body = outcome.body === '' ? '' : ` (body: ${bodySnippet(outcome.body)})`;
      return { status: 'failed', error: `${label}: status ${status}, expected ${formatStatusRanges(config.expectedStatus)}${body}` };
    }
    if (config.body !== undefined && !bodyMatches(outcome.body, config.body)) {
      return {
        status: 'failed',
        error: `${label}: status ${status} but the body does not ${describeBodyMatch(config.body)} (body: ${bodySnippet(outcome.body)})`,
      };
    }
    return { status: 'running' };
  },
};
