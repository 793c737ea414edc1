// What the sign-in forms say for each refusal: a wrong password, rate limiting with the wait from
// Retry-After, bad links, and a weak password's problems one per line.

import assert from 'node:assert/strict';
import { localPasswordError, loginError, passwordError, readErrorBody, retryAfterSeconds } from '../../../src/web/model/form-errors.ts';

describe('web/form-errors', () => {
  it('says a wrong email or password for a 401', () => {
    assert.equal(loginError(401, { code: 'E_AUTH_FAILED', message: 'wrong email or password' }, null, 0).message, 'wrong email or password');
  });

  it('says how long to wait when rate-limited', () => {
    assert.match(loginError(429, { code: 'E_RATE_LIMITED', message: 'too many' }, '42', 0).message, /try again in 42 s/u);
    const now = Date.parse('2026-11-25T10:00:00Z');
    assert.equal(retryAfterSeconds('Wed, 25 Nov 2026 10:01:30 GMT', now), 90);
    assert.equal(retryAfterSeconds(null, now), undefined);
    assert.match(loginError(429, undefined, null, now).message, /wait a minute/u);
  });

  it('lists a weak password’s problems', () => {
    const body = { code: 'E_PASSWORD_WEAK', message: 'the password is too weak', details: ['at least 12 characters', 'not the email'] };
    assert.deepEqual(passwordError(400, body), { message: 'the password is too weak', details: ['at least 12 characters', 'not the email'] });
    assert.deepEqual(passwordError(410, undefined).details, []);
    assert.match(passwordError(410, undefined).message, /expired/u);
    assert.match(passwordError(401, 'not json').message, /not valid/u);
  });

  it('does not repeat the problems the message already joins', () => {
    const body = { code: 'E_PASSWORD_WEAK', message: 'the password is too weak: too short; too common', details: ['too short', 'too common'] };
    assert.deepEqual(passwordError(400, body), { message: 'the password is too weak', details: ['too short', 'too common'] });
  });

  it('adds the hint when the server gives one', () => {
    assert.equal(passwordError(410, { message: 'this link has expired', hint: 'ask for a new one' }).message, 'this link has expired: ask for a new one');
  });

  it('reads any body defensively', () => {
    assert.deepEqual(readErrorBody(null), { details: [] });
    assert.deepEqual(readErrorBody({ message: 5, problems: ['a', 3] }), { details: ['a'] });
  });

  it('checks the two password fields before sending', () => {
    assert.match(localPasswordError('a', 'b')?.message ?? '', /differ/u);
    assert.ok(localPasswordError('', '') !== undefined);
    assert.equal(localPasswordError('same', 'same'), undefined);
  });
});
