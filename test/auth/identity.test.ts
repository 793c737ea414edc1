// Emails and roles: emails are kept trimmed and in lower case; roles are @teleadmin or names of
// letters, digits and -_@.; every mistake is E_USER_INVALID.

import assert from 'node:assert/strict';
import { isAdmin, normalizeEmail, parseEmail, parseRoleList, parseRoles } from '../../src/auth/identity.ts';
import { isGravityError } from '../../src/errors.ts';
import type { GravityError } from '../../src/errors.ts';

function failure(work: () => unknown): GravityError {
  try {
    work();
  } catch (error) {
    assert.ok(isGravityError(error), String(error));
    return error;
  }
  assert.fail('expected an error');
}

describe('emails and roles', () => {
  it('keeps emails trimmed and in lower case', () => {
    assert.equal(parseEmail(' Alice@Example.COM '), 'alice@example.com');
    assert.equal(parseEmail('ops+gravity@node-1.cluster.local'), 'ops+gravity@node-1.cluster.local');
    assert.equal(parseEmail('admin@localhost'), 'admin@localhost');
    assert.equal(normalizeEmail('Bob@Example.com'), 'bob@example.com');
    assert.equal(normalizeEmail('bob'), undefined);
  });

  it('refuses what is not an email', () => {
    for (const text of ['', 'alice', '@example.com', 'alice@', 'al ice@example.com', 'alice@exa_mple.com', 'alice@-example.com', '.alice@example.com', 'al..ice@example.com', `${'a'.repeat(250)}@example.com`, 'alice@example.com<script>']) {
      assert.equal(failure(() => parseEmail(text)).code, 'E_USER_INVALID', text);
    }
  });

  it('takes roles from a comma-separated list, without repeats', () => {
    assert.deepEqual(parseRoleList('@teleadmin'), ['@teleadmin']);
    assert.deepEqual(parseRoleList('@teleadmin, viewer,ops.team_1,viewer'), ['@teleadmin', 'viewer', 'ops.team_1']);
    assert.deepEqual(parseRoles(['reader']), ['reader']);
  });

  it('refuses no role, and lists every bad role', () => {
    assert.equal(failure(() => parseRoleList('')).code, 'E_USER_INVALID');
    assert.equal(failure(() => parseRoleList(' , ')).code, 'E_USER_INVALID');
    const error = failure(() => parseRoleList('good,bad role,<b>,x'.concat(',', 'r'.repeat(65))));
    assert.equal(error.code, 'E_USER_INVALID');
    assert.equal(error.details.length, 3);
  });

  it('knows @teleadmin is the admin role', () => {
    assert.equal(isAdmin(['viewer', '@teleadmin']), true);
    assert.equal(isAdmin(['viewer']), false);
    assert.equal(isAdmin([]), false);
  });
});
