// The pages' one way to call the panel's JSON API: same-origin requests with the session cookie,
// the CSRF token on every state-changing request, and a lost session (401) sending the user to the
// login page, wherever the call was made.

import { csrfHeaderName } from '../../api/panel-protocol.ts';

/** A refused or failed API call, with what the server said. */
export class ApiError extends Error {
  readonly status: number;
  /** The parsed JSON body, when there was one. */
  readonly body: unknown;
  readonly retryAfter: string | null;

  constructor(status: number, body: unknown, retryAfter: string | null) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

export interface RequestOptions {
  /** A 401 is an answer the caller handles (wrong password, bad link), not a lost session. */
  expectUnauthorized?: boolean;
  signal?: AbortSignal;
}

let csrfToken: string | undefined;
let unauthorized: (() => void) | undefined;

/** The session's CSRF token, sent with every POST from now on (undefined after sign-out). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** What to do when a call finds the session gone: the app sends the user to the login page. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function call(method: 'GET' | 'POST', path: string, body: unknown, options: RequestOptions): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken !== undefined) headers[csrfHeaderName] = csrfToken;
  }
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') init.body = JSON.stringify(body ?? {});
  if (options.signal !== undefined) init.signal = options.signal;
  const response = await fetch(path, init);
  const parsed = await readBody(response);
  if (response.ok) return parsed;
  if (response.status === 401 && options.expectUnauthorized !== true) unauthorized?.();
  throw new ApiError(response.status, parsed, response.headers.get('retry-after'));
}

/**
 * GETs a JSON answer; the type is the contract's for that route.
 * @example const report = await getJson<ClusterReport>(panelRoutes.cluster);
 */
export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await call('GET', path, undefined, options)) as T;
}

/**
 * POSTs a JSON body with the CSRF token; resolves with the answer's JSON, if any.
 * @example await postJson(panelRoutes.logout, {});
 */
export async function postJson<T = unknown>(path: string, body: unknown, options: RequestOptions = {}): Promise<T | undefined> {
  return (await call('POST', path, body, options)) as T | undefined;
}

/** Whether an error is the request being aborted (the page moved on), which nobody needs to see. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
