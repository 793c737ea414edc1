// The state dir's secrets against another local user, for real: a throwaway user tries to read the
// store (with its WAL files) and the TLS key, and a state dir that user owns, or that its group or
// everyone may write, is refused before anything is written into it.

import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureServerCertificate } from '../../src/api/tls.ts';
import { isGravityError } from '../../src/errors.ts';
import { openSqliteStore, storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { ensureStateDir } from '../../src/supervisor/state-dir.ts';
import { runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import type { ThrowawayUser } from '../helpers/throwaway-user.ts';
import { canCreateUsers, createThrowawayUser, readAs, removeUser } from '../helpers/throwaway-user.ts';

describe('supervisor/state-dir: permissions against another user (real user)', function () {
  this.timeout(60_000);
  let user: ThrowawayUser | undefined;
  let dir: string;
  let store: SqliteStore | undefined;

  before(function () {
    if (!canCreateUsers) {
      // useradd and switching users need root; nothing here can be checked without a second user.
      this.skip();
    }
    user = createThrowawayUser();
  });
  after(() => removeUser(user));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-perms-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const other = (): ThrowawayUser => {
    if (user === undefined) throw new Error('no throwaway user');
    return user;
  };

  it('the store, its -wal and -shm, the TLS key and the cluster CA key are unreadable by another user, even in a state dir that was 0755', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    ensureStateDir(stateDir);
    store = openSqliteStore(stateDir);
    await store.history.append([{ id: 'e1', time: Date.now(), type: 'Probe Failed', node: 'node-1', checker: 'web' }]);
    const certificate = await ensureServerCertificate(stateDir, { clusterName: 'c', hostnames: ['node-1'], ips: [] });
    const secrets = [storePath(stateDir), `${storePath(stateDir)}-wal`, `${storePath(stateDir)}-shm`, certificate.keyPath, join(stateDir, 'pki', 'ca-key.pem')];

    assert.equal(statSync(stateDir).mode & 0o777, 0o700, 'the state dir is tightened to 0700');
    for (const file of secrets) assert.equal(readAs(other(), file), 'EACCES', file);
    // The files themselves are private too, not only the directory around them.
    chmodSync(dir, 0o755);
    chmodSync(stateDir, 0o755);
    chmodSync(join(stateDir, 'tls'), 0o755);
    chmodSync(join(stateDir, 'pki'), 0o755);
    for (const file of secrets) {
      assert.equal(statSync(file).mode & 0o777, 0o600, file);
      assert.equal(readAs(other(), file), 'EACCES', file);
    }
  });

  it('a real agent started in a 0755 state dir: another user can read none of its secrets', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    const agent = await startConfiguredAgent(stateDir, ['cluster: { name: c }', 'node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { listen: "127.0.0.1:0" }']);
    try {
      const db = storePath(stateDir);
      const secrets = [db, `${db}-wal`, `${db}-shm`, join(stateDir, 'tls', 'server.key')];
      await waitFor(() => secrets.every((file) => existsSync(file)), 10_000, 'the store, its WAL files and the TLS key');
      assert.equal(statSync(stateDir).mode & 0o777, 0o700);
      for (const file of secrets) assert.equal(readAs(other(), file), 'EACCES', file);
      // Even with every directory opened up, the files themselves stay private.
      for (const folder of [dir, stateDir, join(stateDir, 'tls')]) chmodSync(folder, 0o755);
      for (const file of secrets) {
        assert.equal(statSync(file).mode & 0o777, 0o600, file);
        assert.equal(readAs(other(), file), 'EACCES', file);
      }
    } finally {
      agent.child.kill('SIGKILL');
      await agent.finished;
    }
  });

  it('a store left readable by an older gravity is made private when it is opened', () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const file = storePath(stateDir);
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE leftover (x)');
    for (const path of [file, `${file}-wal`, `${file}-shm`]) chmodSync(path, 0o644);
    ensureStateDir(stateDir);
    store = openSqliteStore(stateDir);
    old.close();
    for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(path).mode & 0o777, 0o600, path);
  });

  it('refuses a state dir owned by another user: E_STATE_DIR, with the fix in the hint', () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, other().uid, other().gid);
    assert.throws(
      () => ensureStateDir(stateDir),
      (error: unknown) => isGravityError(error, 'E_STATE_DIR') && /owned by uid/.test(error.message) && /chown/.test(error.hint ?? ''),
    );
  });

  for (const mode of [0o777, 0o775, 0o770, 0o757]) {
    it(`refuses a state dir of mode 0${mode.toString(8)}: E_STATE_DIR, hint 'chmod go-w'`, () => {
      const stateDir = join(dir, 'state');
      mkdirSync(stateDir);
      chmodSync(stateDir, mode);
      assert.throws(
        () => ensureStateDir(stateDir),
        (error: unknown) => isGravityError(error, 'E_STATE_DIR') && error.hint === `chmod go-w ${stateDir} (gravity itself keeps it 0700), or point --state-dir at a private directory`,
      );
      assert.equal(statSync(stateDir).mode & 0o777, mode, 'left as it was');
    });
  }

  it('refuses a state dir inside a directory everyone may write (no sticky bit)', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => ensureStateDir(join(open, 'state')), (error: unknown) => isGravityError(error, 'E_STATE_DIR') && /chmod o-w/.test(error.hint ?? ''));
  });

  it('gravity start refuses a world-writable state dir: exit 2, E_STATE_DIR message and hint, nothing written', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o777);
    writeFileSync(join(dir, 'gravity.yaml'), 'cluster: { name: c }\n');
    const result = await runCli(['start', '--foreground', '--state-dir', stateDir, '--config', join(dir, 'gravity.yaml')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /error: state dir .* is writable by its group and other users \(mode 0777\)/);
    assert.match(result.stderr, new RegExp(`hint: chmod go-w ${stateDir}`));
    assert.throws(() => statSync(storePath(stateDir)), /ENOENT/);
  });
});
