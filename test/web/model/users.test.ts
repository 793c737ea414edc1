// The users page's view model: the invite request built from the form as typed, the refusals the
// form shows, and how roles, statuses and counts read in the list.

import assert from 'node:assert/strict';
import { formatTime } from '../../../src/web/model/format.ts';
import { emptyInviteForm, inviteError, inviteRequest, resetLinkError, rolesText, splitRoles, statusText, userLinkTitle, usersCountText } from '../../../src/web/model/users.ts';

describe('web/users', () => {
  it('splits comma-separated roles, dropping blanks and repeats', () => {
    assert.deepEqual(splitRoles(' viewer, ops,,viewer '), ['viewer', 'ops']);
    assert.deepEqual(splitRoles('@teleadmin'), ['@teleadmin']);
    assert.deepEqual(splitRoles(' , '), []);
  });

  it('builds the invite request, leaving the TTL to the server when empty', () => {
    assert.deepEqual(inviteRequest({ email: ' bob@example.com ', roles: 'viewer', ttl: ' ' }), { email: 'bob@example.com', roles: ['viewer'] });
    assert.deepEqual(inviteRequest({ email: 'bob@example.com', roles: '@teleadmin, ops', ttl: '2h' }), {
      email: 'bob@example.com',
      roles: ['@teleadmin', 'ops'],
      ttl: '2h',
    });
    assert.deepEqual(inviteRequest(emptyInviteForm), { email: '', roles: [] });
  });

  it("shows the server's message and every problem it lists", () => {
    const body = {
      code: 'E_USER_INVALID',
      message: 'invalid roles',
      details: ['"bad role": a role is @teleadmin or a name', '"x y": a role is @teleadmin or a name'],
    };
    assert.deepEqual(inviteError(400, body), { message: 'invalid roles', details: body.details });
    assert.deepEqual(inviteError(409, { code: 'E_USER_EXISTS', message: 'user bob@example.com already exists' }), {
      message: 'user bob@example.com already exists',
      details: [],
    });
    assert.match(inviteError(403, undefined).message, /@teleadmin/u);
    assert.match(inviteError(502, 'Bad Gateway').message, /HTTP 502/u);
  });

  it("says why a reset link was refused, the server's message first", () => {
    assert.deepEqual(resetLinkError('bob@example.com', 404, { code: 'E_USER_NOT_FOUND', message: 'bob@example.com has been invited but has not signed up yet' }), {
      message: 'bob@example.com has been invited but has not signed up yet',
      details: [],
    });
    assert.equal(resetLinkError('bob@example.com', 404, undefined).message, 'bob@example.com has no password to reset');
    assert.match(resetLinkError('bob@example.com', 403, 'Forbidden').message, /@teleadmin/u);
    assert.equal(resetLinkError('bob@example.com', 500, undefined).message, 'the reset link for bob@example.com failed (HTTP 500)');
    assert.equal(userLinkTitle('signup'), 'Signup link');
    assert.equal(userLinkTitle('reset'), 'Password reset link');
  });

  it('writes roles, statuses and counts as the list shows them', () => {
    assert.equal(rolesText(['@teleadmin', 'ops']), '@teleadmin, ops');
    assert.equal(rolesText([]), '—');
    const expires = Date.UTC(2026, 10, 25, 18, 0, 0);
    assert.equal(statusText({ status: 'active' }), 'active');
    assert.equal(statusText({ status: 'pending', inviteExpiresAt: expires }), `pending (invite expires ${formatTime(expires)})`);
    assert.equal(statusText({ status: 'pending' }), 'pending');
    assert.equal(usersCountText([{ status: 'active' }]), '1 user');
    assert.equal(usersCountText([{ status: 'active' }, { status: 'active' }, { status: 'pending' }]), '2 users, 1 pending invite');
    assert.equal(usersCountText([]), '0 users');
  });
});
