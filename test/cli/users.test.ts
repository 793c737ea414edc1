// `gravity users add|reset|ls` as real processes on a temp state dir, while this process holds the
// same store open (as a running agent would): Gravity's sentences, URLs whose tokens work through the
// users service, JSON output, and every mistake refused with its code's exit status, one clear error
// and nothing written.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUserService } from '../../src/auth/users.ts';
import type { UserService } from '../../src/auth/users.ts';
import type { UserLinkJson } from '../../src/cli/users.ts';
import { systemClock } from '../../src/clock.ts';
import { ExitCode } from '../../src/errors.ts';
import { openSqliteStore, storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { Finished } from './run-cli.ts';
import { runCli } from './run-cli.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/mu;
const password = 'blue harbour lantern 42';

function assertUserError(result: Finished, pattern: RegExp): void {
  assert.equal(result.code, ExitCode.usage, result.stderr);
  assert.match(result.stderr, /^error: /u);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, stackLine);
  assert.equal(result.stdout, '');
}

describe('gravity users (real process)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let config: string;

  function users(...args: string[]): Promise<Finished> {
    return runCli(['users', ...args, '--state-dir', stateDir, '--config', config]);
  }

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-users-cli-'));
    config = join(stateDir, 'gravity.yaml');
    writeFileSync(config, ['node:', '  advertiseAddr: 10.0.0.1', 'panel:', '  listen: 0.0.0.0:3443', ''].join('\n'));
  });

  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('with the store open in another process', () => {
    let store: SqliteStore;
    let service: UserService;

    beforeEach(() => {
      store = openSqliteStore(stateDir);
      service = createUserService({ users: store.users, clock: systemClock });
    });

    afterEach(async () => {
      await store.close();
    });

    it('add prints the signup URL in Gravity words; its token signs the user up', async () => {
      const result = await users('add', 'Alice@Example.com', '--roles=@teleadmin', '--ttl=1h');
      assert.equal(result.code, 0, result.stderr);
      const match = /^Signup token has been created and is valid for 1h0m0s hours\. Share this URL with the user:\n(https:\/\/10\.0\.0\.1:3443\/web\/newuser\/([A-Za-z0-9_-]{43}))\n\nMake sure that 10\.0\.0\.1:3443 is accessible to the invited user\.\n$/u.exec(result.stdout);
      assert.ok(match?.[2] !== undefined, result.stdout);
      const token = match[2];
      const info = await service.checkToken(token);
      assert.equal(info.email, 'alice@example.com');
      assert.equal(info.kind, 'signup');
      assert.ok(Math.abs(info.expiresAt - (Date.now() + 3_600_000)) < 60_000);
      const started = await service.signup(token, password);
      assert.equal(started.info.admin, true);
      assert.deepEqual(started.info.roles, ['@teleadmin']);
    });

    it('reset prints the reset URL in Gravity words; its token sets a new password', async () => {
      const { token: signupToken } = await service.invite('alice@example.com', ['viewer']);
      await service.signup(signupToken, password);
      const result = await users('reset', 'alice@example.com', '--ttl=1h');
      assert.equal(result.code, 0, result.stderr);
      const match = /^Password reset token has been created and is valid for 1h0m0s\. Share this URL with the user:\n(https:\/\/10\.0\.0\.1:3443\/web\/reset\/([A-Za-z0-9_-]{43}))\n\nMake sure that 10\.0\.0\.1:3443 is accessible to the user\.\n$/u.exec(result.stdout);
      assert.ok(match?.[2] !== undefined, result.stdout);
      assert.equal((await service.checkToken(match[2], 'reset')).email, 'alice@example.com');
      await service.resetPassword(match[2], 'an entirely new phrase 8');
      assert.equal((await service.login('alice@example.com', 'an entirely new phrase 8')).info.email, 'alice@example.com');
    });

    it('--format json and --host, the 8h default, and ls in text and JSON', async () => {
      const [added, hosted] = await Promise.all([
        users('add', 'bob@example.com', '--roles=viewer,ops', '--format', 'json'),
        users('add', 'carol@example.com', '--roles', 'viewer', '--host', 'panel.example.com'),
      ]);
      assert.equal(added.code, 0, added.stderr);
      const link = JSON.parse(added.stdout) as UserLinkJson;
      assert.equal(link.email, 'bob@example.com');
      assert.equal(link.kind, 'signup');
      assert.deepEqual(link.roles, ['viewer', 'ops']);
      assert.equal(link.ttl, '8h0m0s');
      assert.match(link.url, /^https:\/\/10\.0\.0\.1:3443\/web\/newuser\/[A-Za-z0-9_-]{43}$/u);
      assert.equal((await service.checkToken(link.url.split('/').at(-1) ?? '')).expiresAt, link.expiresAt);
      assert.equal(hosted.code, 0, hosted.stderr);
      assert.match(hosted.stdout, /valid for 8h0m0s hours/u);
      assert.match(hosted.stdout, /^https:\/\/panel\.example\.com:3443\/web\/newuser\//mu);
      assert.match(hosted.stdout, /Make sure that panel\.example\.com:3443 is accessible/u);

      const { token } = await service.invite('alice@example.com', ['@teleadmin']);
      await service.signup(token, password);
      const listed = await users('ls');
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^Email\s+Roles\s+Created\s+Status$/u);
      assert.match(lines[1] ?? '', /^alice@example\.com\s+@teleadmin\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+active$/u);
      assert.match(lines[2] ?? '', /^bob@example\.com\s+viewer,ops\s+\S+\s+pending \(invite expires \S+Z\)$/u);
      assert.match(lines[3] ?? '', /^carol@example\.com\s+viewer\s+/u);
      assert.equal(lines.length, 4);

      const json = await users('ls', '--format', 'json');
      const parsed = JSON.parse(json.stdout) as { users: { email: string; status: string; roles: string[] }[] };
      assert.deepEqual(
        parsed.users.map((user) => [user.email, user.status]),
        [
          ['alice@example.com', 'active'],
          ['bob@example.com', 'pending'],
          ['carol@example.com', 'pending'],
        ],
      );
    });

    it('refuses to add an existing user and to reset an unknown one, writing nothing', async () => {
      const { token } = await service.invite('alice@example.com', ['@teleadmin']);
      await service.signup(token, password);
      await service.invite('bob@example.com', ['viewer']);
      const before = await service.list();
      const [exists, unknown, invited] = await Promise.all([
        users('add', 'alice@example.com', '--roles=viewer'),
        users('reset', 'nobody@example.com'),
        users('reset', 'bob@example.com'),
      ]);
      assertUserError(exists, /user alice@example\.com already exists/u);
      assert.match(exists.stderr, /hint: 'gravity users reset EMAIL'/u);
      assertUserError(unknown, /there is no user nobody@example\.com/u);
      assertUserError(invited, /has been invited but has not signed up yet/u);
      assert.deepEqual(await service.list(), before);
    });
  });

  it('refuses bad emails, roles and TTLs before touching the state dir', async () => {
    const results = await Promise.all([
      users('add', 'not-an-email', '--roles=@teleadmin'),
      users('add', 'bob@example.com', '--roles=bad role,<x>'),
      users('add', 'bob@example.com', '--roles=viewer', '--ttl=49h'),
      users('add', 'bob@example.com', '--roles=viewer', '--ttl=soon'),
      users('reset', 'bob@example.com', '--ttl=25h'),
      users('add', 'bob@example.com', '--roles=viewer', '--host', 'https://x.example.com'),
      users('reset', 'bob@example.com', '--host', 'x.example.com:8443'),
    ]);
    const [email, roles, ttl, soon, resetTtl, host, hostPort] = results;
    assertUserError(email, /"not-an-email" is not a valid email/u);
    assertUserError(roles, /invalid roles\n {2}"bad role": .*\n {2}"<x>": /u);
    assertUserError(ttl, /the TTL of a signup token must be from 1m0s to 48h0m0s, got 49h/u);
    assertUserError(soon, /must be a duration/u);
    assertUserError(resetTtl, /the TTL of a reset token must be from 1m0s to 24h0m0s, got 25h/u);
    assertUserError(host, /--host must be a host name or IP address/u);
    assertUserError(hostPort, /--host must be a host name or IP address/u);
    assert.equal(existsSync(storePath(stateDir)), false, 'no store was created');

    const noRoles = await users('add', 'bob@example.com');
    assert.equal(noRoles.code, ExitCode.usage);
    assert.match(noRoles.stderr, /required option '--roles <roles>' not specified/u);
  });

  it('ls on a state dir without a store lists nobody; a disabled panel is warned about', async () => {
    const empty = await users('ls');
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^No users yet\. Invite one with 'gravity users add EMAIL --roles=@teleadmin'\.\n$/u);
    writeFileSync(config, ['panel:', '  enabled: false', ''].join('\n'));
    const added = await users('add', 'alice@example.com', '--roles=@teleadmin');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^https:\/\/127\.0\.0\.1:3009\/web\/newuser\//mu);
    assert.match(added.stderr, /^warning: the Control Panel is disabled/u);
  });

  it('--help explains the commands', async () => {
    const help = await runCli(['users', 'add', '--help']);
    assert.equal(help.code, 0);
    const text = help.stdout.replace(/\s+/gu, ' ');
    for (const expected of ['--roles <roles>', '--ttl <duration>', '--host <host>', '--format <format>', 'default 8h, at most 48h', 'gravity users add alice@example.com --roles=@teleadmin --ttl=1h']) {
      assert.ok(text.includes(expected), expected);
    }
    const group = await runCli(['users', '--help']);
    for (const name of ['add', 'reset', 'ls']) assert.match(group.stdout, new RegExp(`^ {2}${name} `, 'mu'));
  });
});
