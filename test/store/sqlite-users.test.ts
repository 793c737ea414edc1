// Users in the embedded store, against real SQLite files in temp dirs: the schema upgrade from a file
// before the user tables, tokens (issue, replace, refuse), redeeming them exactly once (two
// connections, and two processes racing for the same tokens), expiry on the caller's clock, sessions,
// pruning, pending invites, the read-only view, and damaged rows.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { isGravityError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { migrate, migrations, schemaVersion, userVersion } from '../../src/store/sqlite-migrations.ts';
import { usersSchemaVersion } from '../../src/store/sqlite-users.ts';
import { storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { SessionRecord, Store, UserStore, UserTokenKind, UserTokenRecord } from '../../src/store/types.ts';
import type { RedeemRacerMessage } from '../auth/fixtures/redeem-racer.ts';
import { repoRoot } from '../cli/run-cli.ts';
import { storeTracker } from '../helpers/store-tracker.ts';

const racerScript = fileURLToPath(new URL('../auth/fixtures/redeem-racer.ts', import.meta.url));
const t0 = Date.UTC(2020, 1, 18, 21, 36, 0);
const hour = 3_600_000;

function token(tokenHash: string, email: string, kind: UserTokenKind = 'signup', created = t0, ttl = hour): UserTokenRecord {
  return { tokenHash, email, kind, roles: kind === 'signup' ? ['@teleadmin'] : [], created, expiresAt: created + ttl };
}

function session(idHash: string, email: string, created = t0, lifetime = 12 * hour): SessionRecord {
  return { idHash, email, csrfToken: `csrf-${idHash}`, created, expiresAt: created + lifetime };
}

async function assertCode(work: () => unknown, code: ErrorCode): Promise<void> {
  // A store method rejects; opening a store throws at once: both are checked.
  await assert.rejects(async () => {
    await work();
  }, (error: unknown) => {
    assert.ok(isGravityError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  });
}

describe('store/sqlite users', function () {
  this.timeout(30_000);
  let stateDir: string;
  const stores = storeTracker();
  const open = (dir = stateDir): SqliteStore => stores.open(dir);
  const openReadOnly = (dir = stateDir): Store => stores.openReadOnly(dir);

  /** A user, signed up through a token as the service does. */
  async function addUser(users: UserStore, email: string, now = t0): Promise<void> {
    await users.issueToken(token(`signup-${email}`, email, 'signup', now));
    const result = await users.redeemToken({ tokenHash: `signup-${email}`, kind: 'signup', passwordHash: `hash-of-${email}`, now });
    assert.equal(result.redeemed, true);
  }

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-users-'));
  });

  afterEach(() => {
    stores.closeAll();
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('schema', () => {
    it('adds the user tables to a file from before them, keeping what it holds', async () => {
      const db = new Database(storePath(stateDir));
      try {
        db.pragma('journal_mode = WAL');
        migrate(db, storePath(stateDir), migrations.filter((migration) => migration.version < usersSchemaVersion));
        db.prepare('INSERT INTO history (id, time, type, node) VALUES (?, ?, ?, ?)').run('e1', Date.now(), 'Node Degraded', 'node-1');
      } finally {
        db.close();
      }
      // Read-only, the old file has no users (and no error).
      assert.deepEqual(await openReadOnly().users.list(), []);

      const store = open();
      assert.deepEqual((await store.history.list()).map((event) => event.id), ['e1']);
      await addUser(store.users, 'alice@example.com');
      assert.deepEqual((await store.users.list()).map((user) => user.email), ['alice@example.com']);
      const check = new Database(storePath(stateDir), { readonly: true });
      try {
        assert.equal(userVersion(check), schemaVersion);
        assert.ok(schemaVersion >= usersSchemaVersion);
        const names = check.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").all().map((row) => row.name);
        for (const name of ['users', 'user_tokens', 'sessions', 'user_tokens_email', 'user_tokens_expires', 'sessions_email', 'sessions_expires']) assert.ok(names.includes(name), name);
      } finally {
        check.close();
      }
    });
  });

  describe('tokens', () => {
    it('stores a token by its hash and reads it back', async () => {
      const { users } = open();
      await users.issueToken(token('h1', 'alice@example.com'));
      assert.deepEqual(await users.getToken('h1'), token('h1', 'alice@example.com'));
      assert.equal(await users.getToken('h2'), undefined);
    });

    it('replaces an unused token of the same kind for the same email: the newest link is the one that works', async () => {
      const { users } = open();
      await users.issueToken(token('old', 'alice@example.com'));
      await users.issueToken(token('new', 'alice@example.com', 'signup', t0 + 1000));
      assert.equal(await users.getToken('old'), undefined);
      assert.ok(await users.getToken('new') !== undefined);
    });

    it('refuses a signup token for an existing user, and a reset token for someone who is not one; nothing is written', async () => {
      const { users } = open();
      await addUser(users, 'alice@example.com');
      await users.issueToken(token('reset-1', 'alice@example.com', 'reset'));
      await assertCode(() => users.issueToken(token('again', 'alice@example.com')), 'E_USER_EXISTS');
      await assertCode(() => users.issueToken(token('r2', 'bob@example.com', 'reset')), 'E_USER_NOT_FOUND');
      assert.equal(await users.getToken('again'), undefined);
      assert.equal(await users.getToken('r2'), undefined);
      // The refused signup did not drop alice's reset token either.
      assert.ok(await users.getToken('reset-1') !== undefined);
    });

    it('redeems a signup token once: it creates the user with the token roles', async () => {
      const { users } = open();
      await users.issueToken({ ...token('h1', 'alice@example.com'), roles: ['@teleadmin', 'viewer'] });
      const result = await users.redeemToken({ tokenHash: 'h1', kind: 'signup', passwordHash: 'scrypt$hash', now: t0 + 10 });
      assert.deepEqual(result, {
        redeemed: true,
        user: { email: 'alice@example.com', roles: ['@teleadmin', 'viewer'], passwordHash: 'scrypt$hash', created: t0 + 10, updated: t0 + 10 },
      });
      assert.equal((await users.getToken('h1'))?.usedAt, t0 + 10);
      assert.deepEqual(await users.redeemToken({ tokenHash: 'h1', kind: 'signup', passwordHash: 'other', now: t0 + 20 }), { redeemed: false, reason: 'used' });
      assert.equal((await users.get('alice@example.com'))?.passwordHash, 'scrypt$hash');
    });

    it('refuses unknown, expired and other-kind tokens, changing nothing', async () => {
      const { users } = open();
      await users.issueToken(token('h1', 'alice@example.com', 'signup', t0, hour));
      assert.deepEqual(await users.redeemToken({ tokenHash: 'nope', kind: 'signup', passwordHash: 'x', now: t0 }), { redeemed: false, reason: 'unknown' });
      assert.deepEqual(await users.redeemToken({ tokenHash: 'h1', kind: 'reset', passwordHash: 'x', now: t0 }), { redeemed: false, reason: 'unknown' });
      // The token works strictly before its expiry, on the caller's clock.
      assert.deepEqual(await users.redeemToken({ tokenHash: 'h1', kind: 'signup', passwordHash: 'x', now: t0 + hour }), { redeemed: false, reason: 'expired' });
      assert.equal((await users.getToken('h1'))?.usedAt, undefined);
      assert.deepEqual(await users.list(), []);
      assert.equal((await users.redeemToken({ tokenHash: 'h1', kind: 'signup', passwordHash: 'x', now: t0 + hour - 1 })).redeemed, true);
    });

    it('a reset sets the password and ends every session of the user, and only theirs', async () => {
      const { users } = open();
      await addUser(users, 'alice@example.com');
      await addUser(users, 'bob@example.com');
      await users.createSession(session('s-alice-1', 'alice@example.com'));
      await users.createSession(session('s-alice-2', 'alice@example.com'));
      await users.createSession(session('s-bob', 'bob@example.com'));
      await users.issueToken(token('r1', 'alice@example.com', 'reset', t0 + 5));
      const result = await users.redeemToken({ tokenHash: 'r1', kind: 'reset', passwordHash: 'new-hash', now: t0 + 10 });
      assert.ok(result.redeemed);
      assert.equal(result.user.passwordHash, 'new-hash');
      assert.equal(result.user.updated, t0 + 10);
      assert.equal(result.user.created, t0);
      assert.equal(await users.getSession('s-alice-1', t0 + 20), undefined);
      assert.equal(await users.getSession('s-alice-2', t0 + 20), undefined);
      assert.ok(await users.getSession('s-bob', t0 + 20) !== undefined);
    });

    it('two connections redeeming the same tokens: each token is redeemed exactly once', async () => {
      const first = open();
      const second = open();
      const hashes = Array.from({ length: 50 }, (_, index) => `token-${index}`);
      for (const [index, hash] of hashes.entries()) await first.users.issueToken(token(hash, `user${index}@example.com`));
      let wins = 0;
      for (const hash of hashes) {
        const results = [await first.users.redeemToken({ tokenHash: hash, kind: 'signup', passwordHash: 'h', now: t0 + 1 }), await second.users.redeemToken({ tokenHash: hash, kind: 'signup', passwordHash: 'h', now: t0 + 1 })];
        assert.equal(results.filter((result) => result.redeemed).length, 1, hash);
        assert.deepEqual(results.find((result) => !result.redeemed), { redeemed: false, reason: 'used' });
        wins += 1;
      }
      assert.equal(wins, 50);
      assert.equal((await first.users.list()).length, 50);
    });

    it('two processes racing for the same 300 tokens: each token is won by exactly one', async () => {
      const store = open();
      const hashes = Array.from({ length: 300 }, (_, index) => `race-${index}`);
      const now = Date.now();
      for (const [index, hash] of hashes.entries()) await store.users.issueToken(token(hash, `racer${index}@example.com`, 'signup', now, hour));
      const racers = [0, 1].map(() => {
        const child = spawn(process.execPath, ['--import', 'tsx', racerScript, stateDir], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        const messages: RedeemRacerMessage[] = [];
        const done = new Promise<void>((resolve, reject) => {
          child.on('message', (message: RedeemRacerMessage) => {
            messages.push(message);
            if (message.kind === 'won' || message.kind === 'error') resolve();
          });
          child.once('exit', () => resolve());
          child.once('error', reject);
        });
        const ready = new Promise<void>((resolve) => child.on('message', (message: RedeemRacerMessage) => message.kind === 'ready' && resolve()));
        return { child, messages, done, ready };
      });
      await Promise.all(racers.map((racer) => racer.ready));
      // Both get every token, in opposite orders, so that they collide all along.
      racers[0]?.child.send({ tokenHashes: hashes });
      racers[1]?.child.send({ tokenHashes: [...hashes].reverse() });
      await Promise.all(racers.map((racer) => racer.done));
      const won = racers.map((racer) => {
        const result = racer.messages.find((message) => message.kind !== 'ready');
        assert.ok(result?.kind === 'won', JSON.stringify(racer.messages));
        return result.tokenHashes;
      });
      const all = [...(won[0] ?? []), ...(won[1] ?? [])];
      assert.equal(all.length, hashes.length, 'every token won once in total');
      assert.equal(new Set(all).size, hashes.length, 'no token won twice');
      assert.equal((await store.users.list()).length, hashes.length);
    });
  });

  describe('sessions', () => {
    it('reads a session until it expires, and ends it on delete', async () => {
      const { users } = open();
      await users.createSession(session('s1', 'alice@example.com', t0, hour));
      assert.deepEqual(await users.getSession('s1', t0 + hour - 1), session('s1', 'alice@example.com', t0, hour));
      assert.equal(await users.getSession('s1', t0 + hour), undefined);
      assert.equal(await users.getSession('other', t0), undefined);
      assert.equal(await users.deleteSession('s1'), true);
      assert.equal(await users.deleteSession('s1'), false);
      assert.equal(await users.getSession('s1', t0), undefined);
    });

    it('prunes expired sessions, and tokens expired before their own cutoff', async () => {
      const { users } = open();
      await users.createSession(session('old', 'a@example.com', t0, hour));
      await users.createSession(session('live', 'a@example.com', t0, 3 * hour));
      await users.issueToken(token('t-old', 'a@example.com', 'signup', t0, hour));
      await users.issueToken(token('t-live', 'b@example.com', 'signup', t0, 3 * hour));
      assert.deepEqual(await users.prune({ sessionsExpiredBefore: t0 + 2 * hour, tokensExpiredBefore: t0 + 2 * hour }), { sessions: 1, tokens: 1 });
      assert.ok(await users.getSession('live', t0) !== undefined);
      assert.equal(await users.getToken('t-old'), undefined);
      assert.ok(await users.getToken('t-live') !== undefined);
      assert.deepEqual(await users.prune({ sessionsExpiredBefore: t0 + 2 * hour, tokensExpiredBefore: t0 + 2 * hour }), { sessions: 0, tokens: 0 });
    });
  });

  describe('pending invites', () => {
    it('lists unused, unexpired invites of emails that are not users, the newest per email', async () => {
      const { users } = open();
      await users.issueToken({ ...token('a1', 'alice@example.com', 'signup', t0, hour), roles: ['viewer'] });
      await users.issueToken(token('b1', 'bob@example.com', 'signup', t0, 2 * hour));
      await users.issueToken(token('c1', 'carol@example.com', 'signup', t0, hour));
      await users.redeemToken({ tokenHash: 'c1', kind: 'signup', passwordHash: 'h', now: t0 + 1 });
      await users.issueToken(token('c-reset', 'carol@example.com', 'reset', t0 + 2, hour));
      assert.deepEqual(await users.pendingInvites(t0 + 10), [
        { email: 'alice@example.com', roles: ['viewer'], created: t0, expiresAt: t0 + hour },
        { email: 'bob@example.com', roles: ['@teleadmin'], created: t0, expiresAt: t0 + 2 * hour },
      ]);
      assert.deepEqual((await users.pendingInvites(t0 + hour)).map((invite) => invite.email), ['bob@example.com']);
    });
  });

  describe('the read-only view', () => {
    it('reads users, tokens and sessions, and refuses every write with E_STORE', async () => {
      const store = open();
      await addUser(store.users, 'alice@example.com');
      await store.users.createSession(session('s1', 'alice@example.com'));
      await store.users.issueToken(token('b1', 'bob@example.com'));
      const view = openReadOnly();
      assert.deepEqual((await view.users.list()).map((user) => user.email), ['alice@example.com']);
      assert.equal((await view.users.get('alice@example.com'))?.passwordHash, 'hash-of-alice@example.com');
      assert.ok(await view.users.getToken('b1') !== undefined);
      assert.ok(await view.users.getSession('s1', t0) !== undefined);
      assert.deepEqual((await view.users.pendingInvites(t0)).map((invite) => invite.email), ['bob@example.com']);
      await assertCode(() => view.users.issueToken(token('x', 'x@example.com')), 'E_STORE');
      await assertCode(() => view.users.redeemToken({ tokenHash: 'b1', kind: 'signup', passwordHash: 'h', now: t0 }), 'E_STORE');
      await assertCode(() => view.users.createSession(session('s2', 'alice@example.com')), 'E_STORE');
      await assertCode(() => view.users.deleteSession('s1'), 'E_STORE');
      await assertCode(() => view.users.prune({ sessionsExpiredBefore: t0, tokensExpiredBefore: t0 }), 'E_STORE');
    });

    it('a state dir without a store reads as no users', async () => {
      const view = openReadOnly(join(stateDir, 'never-created'));
      assert.deepEqual(await view.users.list(), []);
      assert.deepEqual(await view.users.pendingInvites(t0), []);
      assert.equal(await view.users.get('alice@example.com'), undefined);
      await assertCode(() => view.users.issueToken(token('x', 'x@example.com')), 'E_STORE');
    });
  });

  it('reports roles damaged by hand as E_STORE', async () => {
    const store = open();
    await addUser(store.users, 'alice@example.com');
    const db = new Database(storePath(stateDir));
    try {
      db.prepare("UPDATE users SET roles = '{\"not\":\"a list\"}'").run();
    } finally {
      db.close();
    }
    await assertCode(() => store.users.get('alice@example.com'), 'E_STORE');
  });
});
