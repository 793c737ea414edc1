// The secrets the users feature hands out, signup and reset tokens and session ids, and how long a
// token lives. A secret is 32 random bytes in base64url (what a URL and a cookie carry); the store
// keeps only its sha-256, so the database alone never lets anyone in. TTLs follow Gravity: a signup
// link lives 8h unless told otherwise and at most 48h, a reset link 8h and at most 24h, and the
// messages show them as Go prints durations (`1h0m0s`), as Gravity's do.

import { createHash, randomBytes } from 'node:crypto';
import { parseDuration } from '../duration.ts';
import { GravityError } from '../errors.ts';
import type { UserTokenKind } from '../store/types.ts';

/** Random bytes in every token and session id. */
export const secretBytes = 32;

const secretPattern = /^[A-Za-z0-9_-]{43}$/u;

/**
 * A new random secret: 32 bytes, base64url (43 characters, safe in a URL path and a cookie).
 * @example const token = newSecret(); // 'q3Jx...' (43 characters)
 */
export function newSecret(): string {
  return randomBytes(secretBytes).toString('base64url');
}

/** True if the text has the shape of a secret from newSecret (anything else was never issued). */
export function looksLikeSecret(text: string): boolean {
  return secretPattern.test(text);
}

/**
 * What the store keeps instead of a secret: its sha-256, in hex.
 * @example users.getToken(hashSecret(tokenFromUrl));
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface TokenTtlRule {
  defaultMs: number;
  maxMs: number;
  minMs: number;
}

const hour = 3_600_000;

/** How long each kind of token may live. */
export const tokenTtlRules: Readonly<Record<UserTokenKind, TokenTtlRule>> = {
  signup: { defaultMs: 8 * hour, maxMs: 48 * hour, minMs: 60_000 },
  reset: { defaultMs: 8 * hour, maxMs: 24 * hour, minMs: 60_000 },
};

/**
 * A duration as Go's time.Duration prints it: `1h0m0s`, `30m0s`, `1m30s`, `45s`, `1.5s`, `500ms`.
 * @example formatGoDuration(3_600_000) // '1h0m0s'
 */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  const sign = total < 0 ? '-' : '';
  let rest = Math.abs(total);
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / hour);
  rest -= hours * hour;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${Math.floor(rest / 1000)}${rest % 1000 === 0 ? '' : `.${String(rest % 1000).padStart(3, '0').replace(/0+$/u, '')}`}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/**
 * The TTL of a new token from what the user wrote (`--ttl`, or the invite's `ttl`): the default when
 * absent; E_TTL_INVALID when it is not a duration or is out of bounds.
 * @example parseTokenTtl('signup', '1h') // 3_600_000; parseTokenTtl('reset', undefined) // 28_800_000
 */
export function parseTokenTtl(kind: UserTokenKind, text: string | undefined): number {
  const rule = tokenTtlRules[kind];
  if (text === undefined) return rule.defaultMs;
  const ms = parseDuration(text);
  const what = kind === 'signup' ? 'a signup token' : 'a reset token';
  if (ms === undefined) {
    throw new GravityError('E_TTL_INVALID', `the TTL of ${what} must be a duration such as 30m, 1h or 1h30m, got ${JSON.stringify(text)}`);
  }
  if (ms < rule.minMs || ms > rule.maxMs) {
    throw new GravityError(
      'E_TTL_INVALID',
      `the TTL of ${what} must be from ${formatGoDuration(rule.minMs)} to ${formatGoDuration(rule.maxMs)}, got ${text} (${formatGoDuration(ms)})`,
      { hint: `give a --ttl from 1m to ${rule.maxMs / hour}h; without --ttl it is ${rule.defaultMs / hour}h` },
    );
  }
  return ms;
}
