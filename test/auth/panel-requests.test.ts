// The sign-in and invite bodies: exactly the fields of their protocol types, every problem listed.

import assert from 'node:assert/strict';
import { parseInviteRequest, parseLoginRequest, parsePasswordRequest } from '../../src/auth/panel-requests.ts';
import { isGravityError } from '../../src/errors.ts';

function problems(work: () => unknown): readonly string[] {
  try {
    work();
  } catch (error) {
    assert.ok(isGravityError(error, 'E_REQUEST_INVALID'), String(error));
    return error.details;
  }
  assert.fail('expected E_REQUEST_INVALID');
}

describe('panel request bodies', () => {
  it('reads valid bodies', () => {
    assert.deepEqual(parseLoginRequest({ email: 'a@example.com', password: 'p' }), { email: 'a@example.com', password: 'p' });
    assert.deepEqual(parsePasswordRequest({ token: 't', password: 'p' }), { token: 't', password: 'p' });
    assert.deepEqual(parseInviteRequest({ email: 'a@example.com', roles: ['viewer'] }), { email: 'a@example.com', roles: ['viewer'] });
    assert.deepEqual(parseInviteRequest({ email: 'a@example.com', roles: [], ttl: '1h' }), { email: 'a@example.com', roles: [], ttl: '1h' });
  });

  it('lists every problem of a bad body', () => {
    assert.deepEqual(problems(() => parseLoginRequest({ password: 1, extra: true })), [
      'extra: unknown field (known: email, password)',
      'email: required',
      'password: must be a string, got a number',
    ]);
    assert.deepEqual(problems(() => parseInviteRequest({ email: 'a@example.com', roles: ['x', 2] })), ['roles: must be an array of strings, got an array']);
    for (const body of [null, undefined, 'text', 42, ['a']]) problems(() => parsePasswordRequest(body));
  });
});
