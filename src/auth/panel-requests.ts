// The JSON bodies the panel's sign-in and user routes accept, checked before anything is done with
// them: each must be an object with exactly the fields its type in panel-protocol.ts names, of the
// right types. A bad body is one E_REQUEST_INVALID listing every problem, never a crash further in.

import type { InviteRequest, LoginRequest, PasswordRequest, ResetLinkRequest } from '../api/panel-protocol.ts';
import { GravityError } from '../errors.ts';

type FieldKind = 'string' | 'string[]';

interface FieldSpec {
  kind: FieldKind;
  required: boolean;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fits(value: unknown, kind: FieldKind): boolean {
  if (kind === 'string') return typeof value === 'string';
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function parseBody(body: unknown, what: string, fields: Record<string, FieldSpec>): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GravityError('E_REQUEST_INVALID', `${what} must be a JSON object, got ${describe(body)}`, {
      hint: 'send Content-Type: application/json with a JSON object',
    });
  }
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!(key in fields)) problems.push(`${key}: unknown field (known: ${Object.keys(fields).join(', ')})`);
  }
  for (const [key, spec] of Object.entries(fields)) {
    const value = record[key];
    if (value === undefined) {
      if (spec.required) problems.push(`${key}: required`);
    } else if (!fits(value, spec.kind)) {
      problems.push(`${key}: must be ${spec.kind === 'string' ? 'a string' : 'an array of strings'}, got ${describe(value)}`);
    }
  }
  if (problems.length > 0) throw new GravityError('E_REQUEST_INVALID', `${what} is not valid: ${problems.join('; ')}`, { details: problems });
  return record;
}

/**
 * @example const { email, password } = parseLoginRequest(request.body);
 */
export function parseLoginRequest(body: unknown): LoginRequest {
  const record = parseBody(body, 'the sign-in request', { email: { kind: 'string', required: true }, password: { kind: 'string', required: true } });
  return { email: record.email as string, password: record.password as string };
}

/**
 * @example const { token, password } = parsePasswordRequest(request.body);
 */
export function parsePasswordRequest(body: unknown): PasswordRequest {
  const record = parseBody(body, 'the password request', { token: { kind: 'string', required: true }, password: { kind: 'string', required: true } });
  return { token: record.token as string, password: record.password as string };
}

/**
 * @example const { email, roles, ttl } = parseInviteRequest(request.body);
 */
export function parseInviteRequest(body: unknown): InviteRequest {
  const record = parseBody(body, 'the invite request', {
    email: { kind: 'string', required: true },
    roles: { kind: 'string[]', required: true },
    ttl: { kind: 'string', required: false },
  });
  const request: InviteRequest = { email: record.email as string, roles: record.roles as string[] };
  if (record.ttl !== undefined) request.ttl = record.ttl as string;
  return request;
}

/**
 * @example const { email, ttl } = parseResetLinkRequest(request.body);
 */
export function parseResetLinkRequest(body: unknown): ResetLinkRequest {
  const record = parseBody(body, 'the reset link request', { email: { kind: 'string', required: true }, ttl: { kind: 'string', required: false } });
  const request: ResetLinkRequest = { email: record.email as string };
  if (record.ttl !== undefined) request.ttl = record.ttl as string;
  return request;
}
