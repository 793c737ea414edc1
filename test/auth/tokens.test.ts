// Tokens and their TTLs: random 32-byte base64url secrets, stored as sha-256, TTLs within Gravity's
// bounds (signup 8h default, 48h max; reset 8h default, 24h max; 1m min), shown as Go shows them.

import assert from 'node:assert/strict';
import { formatGoDuration, hashSecret, looksLikeSecret, newSecret, parseTokenTtl, tokenTtlRules } from '../../src/auth/tokens.ts';
import { isGravityError } from '../../src/errors.ts';

const hour = 3_600_000;

function ttlCode(kind: 'signup' | 'reset', text: string): string | undefined {
  try {
    parseTokenTtl(kind, text);
    return undefined;
  } catch (error) {
    assert.ok(isGravityError(error), String(error));
    return error.code;
  }
}

describe('tokens', () => {
  it('makes 32 random bytes in base64url, different every time', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newSecret()));
    assert.equal(tokens.size, 200);
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_-]{43}$/u);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      assert.ok(looksLikeSecret(token));
    }
    assert.equal(looksLikeSecret('not-a-token'), false);
    assert.equal(looksLikeSecret(`${newSecret()}x`), false);
  });

  it('hashes with sha-256 in hex', () => {
    assert.equal(hashSecret('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = newSecret();
    assert.equal(hashSecret(token), hashSecret(token));
    assert.notEqual(hashSecret(token), token);
  });

  it('formats durations as Go does', () => {
    assert.equal(formatGoDuration(hour), '1h0m0s');
    assert.equal(formatGoDuration(8 * hour), '8h0m0s');
    assert.equal(formatGoDuration(90 * 60_000), '1h30m0s');
    assert.equal(formatGoDuration(30 * 60_000), '30m0s');
    assert.equal(formatGoDuration(90_000), '1m30s');
    assert.equal(formatGoDuration(45_000), '45s');
    assert.equal(formatGoDuration(1500), '1.5s');
    assert.equal(formatGoDuration(61_250), '1m1.25s');
    assert.equal(formatGoDuration(500), '500ms');
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(48 * hour), '48h0m0s');
  });

  it('defaults, bounds and parses TTLs per kind', () => {
    assert.equal(parseTokenTtl('signup', undefined), 8 * hour);
    assert.equal(parseTokenTtl('reset', undefined), 8 * hour);
    assert.equal(parseTokenTtl('signup', '1h'), hour);
    assert.equal(parseTokenTtl('signup', '1h30m'), 90 * 60_000);
    assert.equal(parseTokenTtl('signup', '48h'), 48 * hour);
    assert.equal(parseTokenTtl('signup', '2d'), 48 * hour);
    assert.equal(parseTokenTtl('reset', '24h'), 24 * hour);
    assert.equal(parseTokenTtl('reset', '1m'), 60_000);
    assert.deepEqual(tokenTtlRules.signup, { defaultMs: 8 * hour, maxMs: 48 * hour, minMs: 60_000 });
    assert.deepEqual(tokenTtlRules.reset, { defaultMs: 8 * hour, maxMs: 24 * hour, minMs: 60_000 });
  });

  it('refuses TTLs that are not durations or out of bounds with E_TTL_INVALID', () => {
    for (const text of ['', 'soon', '1', '-1h', '1h-', '1y']) assert.equal(ttlCode('signup', text), 'E_TTL_INVALID', text);
    assert.equal(ttlCode('signup', '48h1s'), 'E_TTL_INVALID');
    assert.equal(ttlCode('signup', '3d'), 'E_TTL_INVALID');
    assert.equal(ttlCode('reset', '25h'), 'E_TTL_INVALID');
    assert.equal(ttlCode('reset', '59s'), 'E_TTL_INVALID');
    assert.equal(ttlCode('signup', '30m'), undefined);
  });
});
