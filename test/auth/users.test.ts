// The users service against a real SQLite store in a temp dir, with time on sinon's fake clock:
// invites and resets with their TTLs, redeeming tokens (weak passwords leave them usable, two
// concurrent redeems make one winner), sign-in without telling which emails exist, sessions that
// end after their lifetime, at logout or at a password reset, and the listing `gravity users ls` shows.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { expiredTokenMemoryMs, sessionLifetimeMs } from '../../src/auth/sessions.ts';
import { hashSecret } from '../../src/auth/tokens.ts';
import { createUserService } from '../../src/auth/users.ts';
import type { UserService } from '../../src/auth/users.ts';
import { systemClock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';
import type { ErrorCode, GravityError } from '../../src/errors.ts';
import { openSqliteStore, storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';

const t0 = Date.UTC(2020, 1, 18, 21, 36, 0);
const hour = 3_600_000;
const password = 'blue harbour lantern 42';
const cheap = { N: 2 ** 10, r: 8, p: 1 };

async function failure(work: () => unknown): Promise<GravityError> {
  try {
    await work();
  } catch (error) {
    assert.ok(isGravityError(error), String(error));
    return error;
  }
  assert.fail('expected an error');
}

async function assertCode(work: () => unknown, code: ErrorCode): Promise<GravityError> {
  const error = await failure(work);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('users service', function () {
  this.timeout(20_000);
  let stateDir: string;
  let store: SqliteStore;
  let clock: sinon.SinonFakeTimers;
  let service: UserService;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-users-service-'));
    // Only Date is faked: scrypt runs on libuv's threads and must keep its real callbacks.
    clock = sinon.useFakeTimers({ now: t0, toFake: ['Date'] });
    store = openSqliteStore(stateDir, { retentionMs: 365 * 24 * hour });
    service = createUserService({ users: store.users, clock: systemClock, scrypt: cheap });
  });

  afterEach(async () => {
    clock.restore();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function signedUp(email = 'alice@example.com', roles = ['@teleadmin']): Promise<string> {
    const { token } = await service.invite(email, roles);
    return (await service.signup(token, password)).id;
  }

  describe('invites and resets', () => {
    it('an invite is a signup token for the normalized email, 8h by default, stored only as its hash', async () => {
      const issued = await service.invite(' Alice@Example.com ', ['@teleadmin', 'viewer']);
      assert.equal(issued.email, 'alice@example.com');
      assert.equal(issued.kind, 'signup');
      assert.deepEqual(issued.roles, ['@teleadmin', 'viewer']);
      assert.equal(issued.ttlMs, 8 * hour);
      assert.equal(issued.expiresAt, t0 + 8 * hour);
      assert.deepEqual(await service.checkToken(issued.token), { email: 'alice@example.com', kind: 'signup', expiresAt: t0 + 8 * hour });
      assert.ok(await store.users.getToken(hashSecret(issued.token)) !== undefined);
      await store.close();
      for (const file of [storePath(stateDir), `${storePath(stateDir)}-wal`]) {
        let bytes: string;
        try {
          bytes = readFileSync(file, 'latin1');
        } catch {
          continue;
        }
        assert.ok(!bytes.includes(issued.token), `${file} does not hold the token`);
      }
    });

    it('takes a TTL and refuses one out of bounds, writing nothing', async () => {
      assert.equal((await service.invite('a@example.com', ['viewer'], '48h')).expiresAt, t0 + 48 * hour);
      await assertCode(() => service.invite('b@example.com', ['viewer'], '49h'), 'E_TTL_INVALID');
      await assertCode(() => service.invite('b@example.com', ['viewer'], 'soon'), 'E_TTL_INVALID');
      await assertCode(() => service.invite('not an email', ['viewer']), 'E_USER_INVALID');
      await assertCode(() => service.invite('b@example.com', ['bad role']), 'E_USER_INVALID');
      assert.deepEqual((await service.list()).map((user) => user.email), ['a@example.com']);
    });

    it('refuses to invite an existing user, and to reset someone who is not one (an invited user included)', async () => {
      await signedUp('alice@example.com');
      await assertCode(() => service.invite('ALICE@example.com', ['viewer']), 'E_USER_EXISTS');
      await assertCode(() => service.issueReset('bob@example.com'), 'E_USER_NOT_FOUND');
      await service.invite('carol@example.com', ['viewer']);
      const error = await assertCode(() => service.issueReset('carol@example.com'), 'E_USER_NOT_FOUND');
      assert.match(error.message, /invited but has not signed up/u);
      const reset = await service.issueReset('Alice@example.com', '24h');
      assert.equal(reset.expiresAt, t0 + 24 * hour);
      await assertCode(() => service.issueReset('alice@example.com', '25h'), 'E_TTL_INVALID');
    });
  });

  describe('redeeming tokens', () => {
    it('a signup creates the user with the invite roles and signs them in', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer']);
      const started = await service.signup(token, password);
      assert.deepEqual(started.info, { email: 'alice@example.com', roles: ['viewer'], admin: false, csrfToken: started.info.csrfToken, expiresAt: t0 + sessionLifetimeMs });
      assert.deepEqual(await service.session(started.id), started.info);
      assert.notEqual(started.id, started.info.csrfToken);
      await assertCode(() => service.signup(token, password), 'E_TOKEN_USED');
      await assertCode(() => service.checkToken(token), 'E_TOKEN_USED');
    });

    it('a weak password is refused with every problem, and the token still works', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer']);
      const error = await assertCode(() => service.signup(token, 'alice'), 'E_PASSWORD_WEAK');
      assert.ok(error.details.length >= 2, error.details.join('\n'));
      assert.equal((await service.checkToken(token)).email, 'alice@example.com');
      assert.equal((await service.signup(token, password)).info.email, 'alice@example.com');
    });

    it('a token expires after its TTL on the clock, and then reads as expired, not forged', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer'], '1h');
      clock.tick(hour - 1);
      assert.equal((await service.checkToken(token)).kind, 'signup');
      clock.tick(1);
      await assertCode(() => service.checkToken(token), 'E_TOKEN_EXPIRED');
      await assertCode(() => service.signup(token, password), 'E_TOKEN_EXPIRED');
      // Pruning (at every sign-in) forgets it only well after it expired.
      await signedUp('bob@example.com');
      await assertCode(() => service.checkToken(token), 'E_TOKEN_EXPIRED');
      clock.tick(expiredTokenMemoryMs + 1);
      await signedUp('carol@example.com');
      await assertCode(() => service.checkToken(token), 'E_TOKEN_INVALID');
    });

    it('a forged token, or one of the other kind, is not valid', async () => {
      await assertCode(() => service.checkToken('forged'), 'E_TOKEN_INVALID');
      await assertCode(() => service.checkToken('A'.repeat(43)), 'E_TOKEN_INVALID');
      const { token } = await service.invite('alice@example.com', ['viewer']);
      await assertCode(() => service.checkToken(token, 'reset'), 'E_TOKEN_INVALID');
      await assertCode(() => service.resetPassword(token, password), 'E_TOKEN_INVALID');
      assert.equal((await service.checkToken(token, 'signup')).kind, 'signup');
    });

    it('two concurrent signups with one token: exactly one wins', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer']);
      const results = await Promise.allSettled([service.signup(token, password), service.signup(token, `${password}!`)]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const rejected = results.find((result) => result.status === 'rejected');
      assert.ok(isGravityError(rejected?.reason, 'E_TOKEN_USED'), String(rejected?.reason));
      assert.equal((await store.users.list()).length, 1);
    });

    it('a reset sets the new password and ends every session the user had', async () => {
      const before = await signedUp('alice@example.com');
      const { token } = await service.issueReset('alice@example.com');
      const started = await service.resetPassword(token, 'a completely new phrase 7');
      assert.equal(await service.session(before), undefined);
      assert.ok(await service.session(started.id) !== undefined);
      await assertCode(() => service.login('alice@example.com', password), 'E_AUTH_FAILED');
      assert.equal((await service.login('alice@example.com', 'a completely new phrase 7')).info.email, 'alice@example.com');
    });
  });

  describe('sign-in and sessions', () => {
    it('signs in with the right password, whatever the case of the email', async () => {
      await signedUp('alice@example.com', ['@teleadmin']);
      const started = await service.login('Alice@Example.com', password);
      assert.equal(started.info.admin, true);
      assert.deepEqual(started.info.roles, ['@teleadmin']);
    });

    it('says the same for a wrong password and an unknown email', async () => {
      await signedUp('alice@example.com');
      const wrong = await assertCode(() => service.login('alice@example.com', 'not the password at all'), 'E_AUTH_FAILED');
      const unknown = await assertCode(() => service.login('nobody@example.com', password), 'E_AUTH_FAILED');
      const invalid = await assertCode(() => service.login('not an email', password), 'E_AUTH_FAILED');
      assert.equal(wrong.message, unknown.message);
      assert.equal(wrong.message, invalid.message);
      await assertCode(() => service.login('alice@example.com', 'x'.repeat(5000)), 'E_AUTH_FAILED');
    });

    it('a session lasts its lifetime from sign-in, then ends', async () => {
      const id = await signedUp();
      clock.tick(sessionLifetimeMs - 1);
      assert.ok(await service.session(id) !== undefined);
      clock.tick(1);
      assert.equal(await service.session(id), undefined);
    });

    it('logout ends the session on the server; unknown ids are no session', async () => {
      const id = await signedUp();
      const other = (await service.login('alice@example.com', password)).id;
      assert.equal(await service.logout(id), true);
      assert.equal(await service.session(id), undefined);
      assert.ok(await service.session(other) !== undefined);
      assert.equal(await service.logout(id), false);
      assert.equal(await service.session('garbage'), undefined);
      assert.equal(await service.logout('garbage'), false);
    });

    it('stores the session id only as its hash', async () => {
      const id = await signedUp();
      assert.ok(await store.users.getSession(hashSecret(id), Date.now()) !== undefined);
      assert.equal(await store.users.getSession(id, Date.now()), undefined);
    });
  });

  it('lists users and pending invites by email', async () => {
    await signedUp('carol@example.com', ['viewer']);
    clock.tick(1000);
    await service.invite('alice@example.com', ['@teleadmin'], '2h');
    await service.invite('bob@example.com', ['viewer'], '1h');
    assert.deepEqual(await service.list(), [
      { email: 'alice@example.com', roles: ['@teleadmin'], created: t0 + 1000, status: 'pending', inviteExpiresAt: t0 + 1000 + 2 * hour },
      { email: 'bob@example.com', roles: ['viewer'], created: t0 + 1000, status: 'pending', inviteExpiresAt: t0 + 1000 + hour },
      { email: 'carol@example.com', roles: ['viewer'], created: t0, status: 'active' },
    ]);
    clock.tick(hour);
    assert.deepEqual((await service.list()).map((user) => user.email), ['alice@example.com', 'carol@example.com']);
  });
});
