// The Control Panel on a store that cannot be written, for real: the state dir is a tiny tmpfs mounted
// by the test (root only) and filled up, so SQLite itself answers SQLITE_FULL. Sign-in and an invite
// then answer 503 E_STORE_UNAVAILABLE with Retry-After, never a 400 or a 500 with the file's details,
// and reads (the session, the cluster) still work.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { PanelErrorBody, SessionInfo } from '../../src/api/panel-protocol.ts';
import { csrfHeaderName, sessionCookieName } from '../../src/api/panel-protocol.ts';
import type { PanelServer } from '../../src/api/panel-server.ts';
import { startPanelServer } from '../../src/api/panel-server.ts';
import { ensureServerCertificate } from '../../src/api/tls.ts';
import { createUserService } from '../../src/auth/users.ts';
import { systemClock } from '../../src/clock.ts';
import { openSqliteStore, storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, rejectUnauthorized: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes a file until the file system is full. */
function fillUp(file: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const password = 'violet-Anchor-meadow-73';

describe('panel server on a full disk (a real tmpfs)', function () {
  this.timeout(30_000);
  let stateDir: string;
  let tlsDir: string;
  let mounted = false;
  let store: SqliteStore | undefined;
  let server: PanelServer | undefined;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    (skipped: mounting a tmpfs needs root)');
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-panel-full-'));
    tlsDir = mkdtempSync(join(tmpdir(), 'gravity-panel-full-tls-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', stateDir], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      console.log(`    (skipped: cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0] ?? ''})`);
      this.skip();
    }
  });

  after(async () => {
    await server?.close();
    await store?.close();
    if (mounted) execFileSync('umount', [stateDir]);
    for (const dir of [stateDir, tlsDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('answers sign-in and an invite with 503 E_STORE_UNAVAILABLE, and still serves reads', async () => {
    store = openSqliteStore(stateDir);
    const service = createUserService({ users: store.users, clock: systemClock });
    const invite = await service.invite('ops@example.com', ['@teleadmin']);
    const session = await service.signup(invite.token, password);
    const csrf = (await service.session(session.id) as SessionInfo).csrfToken;
    const bus = new InspectionBus();
    server = await startPanelServer({
      host: '127.0.0.1',
      port: 0,
      tls: await ensureServerCertificate(tlsDir, { clusterName: 'c', hostnames: ['node-1'], ips: ['127.0.0.1'] }),
      assetsDir: join(tlsDir, 'no-pages'),
      users: store.users,
      publicUrl: (port) => `https://127.0.0.1:${port}`,
      sources: {
        status: () => ({ name: 'prod', status: 'running', nodes: [], time: 1 }),
        tree: () => Promise.resolve({ now: 0, root: { id: 'agent', path: 'agent', type: 'supervisor', thread: 'main', state: 'running', restart: 'permanent', restarts: 0 } }),
        operations: () => Promise.resolve({ operations: [] }),
        operationsJson: () => Promise.resolve('{"operations":[]}'),
        operationJson: () => Promise.resolve('{}'),
        storeVersion: () => (store as SqliteStore).dataVersion(),
        subscribe: (listener, filter) => bus.subscribe(listener, filter),
        history: () => Promise.resolve({ events: [] }),
        actorRecords: () => Promise.resolve([]),
      },
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    const origin = server.url;

    // Every page of the WAL written back and the WAL emptied: the next write needs new room on the disk.
    const checkpoint = new Database(storePath(stateDir));
    checkpoint.pragma('wal_checkpoint(TRUNCATE)');
    checkpoint.close();
    fillUp(join(stateDir, 'filler'));

    const login = await call(`${origin}/api/login`, 'POST', { 'content-type': 'application/json', origin }, JSON.stringify({ email: 'ops@example.com', password }));
    assert.equal(login.status, 503, login.body);
    const loginBody = JSON.parse(login.body) as PanelErrorBody;
    assert.equal(loginBody.code, 'E_STORE_UNAVAILABLE');
    assert.doesNotMatch(loginBody.message, /gravity\.db|SQLITE/u, 'the file and SQLite stay in the log');
    assert.ok(login.headers['retry-after'] !== undefined);

    const cookie = `${sessionCookieName}=${session.id}`;
    const invited = await call(
      `${origin}/api/users`,
      'POST',
      { 'content-type': 'application/json', origin, cookie, [csrfHeaderName]: csrf },
      JSON.stringify({ email: 'new@example.com', roles: ['viewer'] }),
    );
    assert.equal(invited.status, 503, invited.body);
    assert.equal((JSON.parse(invited.body) as PanelErrorBody).code, 'E_STORE_UNAVAILABLE');

    // Reads need no room.
    assert.equal((await call(`${origin}/api/session`, 'GET', { cookie })).status, 200);
    assert.equal((await call(`${origin}/api/cluster`, 'GET', { cookie })).status, 200);

    // Room again: sign-in works.
    rmSync(join(stateDir, 'filler'));
    const again = await call(`${origin}/api/login`, 'POST', { 'content-type': 'application/json', origin }, JSON.stringify({ email: 'ops@example.com', password }));
    assert.equal(again.status, 200, again.body);
  });
});
