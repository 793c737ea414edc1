// The embedded store against real SQLite files in temp dirs: the schema and its version, appends that
// ignore duplicates and expired events, list filters, eviction, reopening, the read-only view the CLI
// uses while the agent is down, clear errors for damaged or unusable files, and a reader on a second
// connection (and in a second process) while a writer writes.

import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isGravityError } from '../../src/errors.ts';
import { migrate, migrations, schemaVersion, userVersion } from '../../src/store/sqlite-migrations.ts';
import {
  defaultHistoryRetentionMs,
  openSqliteStore,
  openSqliteStoreReadOnly,
  storeFileName,
  storePath,
} from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { HistoryEvent, HistoryEventType, Store } from '../../src/store/types.ts';
import { spawnTs } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { storeTracker } from '../helpers/store-tracker.ts';

const day = 24 * 60 * 60 * 1000;
const t0 = Date.UTC(2020, 1, 18, 21, 36, 0);

function event(id: string, time: number, type: HistoryEventType, node?: string, checker?: string, detail?: string): HistoryEvent {
  return {
    id,
    time,
    type,
    ...(node === undefined ? {} : { node }),
    ...(checker === undefined ? {} : { checker }),
    ...(detail === undefined ? {} : { detail }),
  };
}

async function assertStoreError(work: () => unknown, pattern: RegExp): Promise<void> {
  // A store method rejects; opening a store throws at once: both are checked.
  await assert.rejects(async () => {
    await work();
  }, (error: unknown) => {
    assert.ok(isGravityError(error, 'E_STORE'), `expected E_STORE, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(error.hint !== undefined && error.hint !== '', 'the error has a hint');
    return true;
  });
}

describe('store/sqlite', function () {
  this.timeout(20_000);
  let stateDir: string;
  let now: number;
  const clock = { now: () => now };
  const stores = storeTracker();
  const open = (options: { retentionMs?: number } = {}): SqliteStore => stores.open(stateDir, { clock, ...options });
  const openReadOnly = (): Store => stores.openReadOnly(stateDir);

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-store-'));
    now = t0 + 60_000;
  });
  afterEach(() => {
    stores.closeAll();
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('schema', () => {
    it('creates gravity.db in WAL mode at the current schema version, and migrates only once', async () => {
      const store = open();
      assert.equal(store.file, join(stateDir, storeFileName));
      assert.equal(storePath(stateDir), store.file);
      await store.close();

      const db = new Database(store.file);
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(userVersion(db), schemaVersion);
        assert.ok(schemaVersion >= 1);
        const index = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'").all();
        assert.ok(index.some((row) => row.name === 'history_time'), 'history has an index on time');
        assert.deepEqual(migrate(db, store.file), [], 'nothing left to run on an up-to-date file');
      } finally {
        db.close();
      }
    });

    it('runs the migrations a file has not had, in order, and records the version', () => {
      const file = storePath(stateDir);
      const db = new Database(file);
      try {
        const next = schemaVersion + 1;
        const extra = { version: next, description: 'test', up: (target: Database.Database) => target.exec('CREATE TABLE extra (x INTEGER)') };
        assert.deepEqual(migrate(db, file, [extra, ...migrations]), [...migrations.map((migration) => migration.version), next]);
        assert.equal(userVersion(db), next);
        assert.deepEqual(migrate(db, file, [extra, ...migrations]), []);
      } finally {
        db.close();
      }
    });

    it('a migration that fails leaves the file as it was', () => {
      const file = storePath(stateDir);
      const db = new Database(file);
      try {
        const broken = { version: schemaVersion + 1, description: 'broken', up: (target: Database.Database) => target.exec('CREATE TABLE nope (') };
        assert.throws(() => migrate(db, file, [...migrations, broken]));
        assert.equal(userVersion(db), 0);
        assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'history'").pluck().get(), 0);
      } finally {
        db.close();
      }
    });

    it('refuses a file written by a newer gravity, writable or read-only', async () => {
      await open().close();
      const db = new Database(storePath(stateDir));
      db.pragma(`user_version = ${schemaVersion + 1}`);
      db.close();
      await assertStoreError(() => open(), /newer than this gravity knows/);
      await assertStoreError(() => openReadOnly(), /newer than this gravity knows/);
    });
  });

  describe('history', () => {
    it('dataVersion moves with a commit of another connection and with one of its own, not with reads', async () => {
      const store = open();
      const other = open();
      const start = store.dataVersion();
      await store.history.list();
      assert.equal(store.dataVersion(), start);
      await store.history.append([event('own', t0 + 1000, 'Probe Failed', 'node-1', 'web')]);
      const afterOwn = store.dataVersion();
      assert.ok(afterOwn > start);
      await other.history.append([event('theirs', t0 + 2000, 'Probe Succeeded', 'node-1', 'web')]);
      assert.ok(store.dataVersion() > afterOwn);
    });

    it('appends, ignores ids it already has, and lists oldest first with every field kept', async () => {
      const store = open();
      const events = [
        event('b', t0 + 2000, 'Node Degraded', 'node-1'),
        event('a', t0 + 1000, 'Probe Failed', 'node-1', 'web', 'dial tcp 127.0.0.1:8080: connect: connection refused'),
        event('c', t0 + 3000, 'Cluster Degraded', undefined, undefined, 'application status check failed'),
      ];
      assert.equal(await store.history.append(events), 3);
      assert.equal(await store.history.append([events[0] as HistoryEvent, event('d', t0 + 4000, 'Probe Succeeded', 'node-1', 'web')]), 1);
      assert.equal(await store.history.append([event('a', t0 + 9000, 'Probe Succeeded', 'node-9')]), 0, 'the stored event wins over a duplicate id');
      assert.equal(await store.history.append([event('e', t0 + 5000, 'Node Recovered', 'node-1'), event('e', t0 + 5000, 'Node Recovered', 'node-1')]), 1);
      assert.equal(await store.history.append([]), 0);

      assert.deepEqual(await store.history.list(), [
        event('a', t0 + 1000, 'Probe Failed', 'node-1', 'web', 'dial tcp 127.0.0.1:8080: connect: connection refused'),
        event('b', t0 + 2000, 'Node Degraded', 'node-1'),
        event('c', t0 + 3000, 'Cluster Degraded', undefined, undefined, 'application status check failed'),
        event('d', t0 + 4000, 'Probe Succeeded', 'node-1', 'web'),
        event('e', t0 + 5000, 'Node Recovered', 'node-1'),
      ]);
    });

    it('keeps events of the same millisecond in the order they were appended', async () => {
      const store = open();
      await store.history.append([event('z', t0, 'Probe Failed', 'node-1', 'web'), event('y', t0, 'Node Degraded', 'node-1')]);
      await store.history.append([event('x', t0, 'Cluster Degraded')]);
      assert.deepEqual(
        (await store.history.list()).map((item) => item.id),
        ['z', 'y', 'x'],
      );
    });

    it('filters by since (inclusive) and node, and limits to the oldest N', async () => {
      const store = open();
      await store.history.append([
        event('1', t0 + 1000, 'Probe Failed', 'node-1', 'web'),
        event('2', t0 + 2000, 'Probe Failed', 'node-2', 'web'),
        event('3', t0 + 3000, 'Node Degraded', 'node-1'),
        event('4', t0 + 4000, 'Cluster Degraded'),
        event('5', t0 + 5000, 'Node Degraded', 'node-2'),
      ]);
      const ids = async (query: Parameters<typeof store.history.list>[0]) => (await store.history.list(query)).map((item) => item.id);
      assert.deepEqual(await ids({}), ['1', '2', '3', '4', '5']);
      assert.deepEqual(await ids({ since: t0 + 3000 }), ['3', '4', '5']);
      assert.deepEqual(await ids({ node: 'node-1' }), ['1', '3']);
      assert.deepEqual(await ids({ node: 'node-2', since: t0 + 2500 }), ['5']);
      assert.deepEqual(await ids({ limit: 2 }), ['1', '2']);
      assert.deepEqual(await ids({ since: t0 + 2000, limit: 2 }), ['2', '3']);
      assert.deepEqual(await ids({ limit: 0 }), []);
      assert.deepEqual(await ids({ node: 'node-3' }), []);
      assert.deepEqual(await ids({ since: t0 + 6000 }), []);
    });

    it('filters by until (inclusive), checker and type, and keeps the newest N with last', async () => {
      const store = open();
      await store.history.append([
        event('1', t0 + 1000, 'Probe Failed', 'node-1', 'web'),
        event('2', t0 + 2000, 'Probe Failed', 'node-2', 'db'),
        event('3', t0 + 3000, 'Node Degraded', 'node-1'),
        event('4', t0 + 3000, 'Probe Succeeded', 'node-1', 'web'),
        event('5', t0 + 5000, 'Node Degraded', 'node-2'),
      ]);
      const ids = async (query: Parameters<typeof store.history.list>[0]) => (await store.history.list(query)).map((item) => item.id);
      assert.deepEqual(await ids({ until: t0 + 3000 }), ['1', '2', '3', '4']);
      assert.deepEqual(await ids({ checker: 'web' }), ['1', '4']);
      assert.deepEqual(await ids({ type: 'Node Degraded' }), ['3', '5']);
      assert.deepEqual(await ids({ since: t0 + 2000, until: t0 + 3000, node: 'node-1' }), ['3', '4']);
      assert.deepEqual(await ids({ last: 2 }), ['4', '5'], 'the newest two, oldest first');
      assert.deepEqual(await ids({ last: 2, until: t0 + 3000 }), ['3', '4'], 'same-millisecond events keep their order');
      assert.deepEqual(await ids({ last: 0 }), []);
    });

    it('evicts events older than a time, and only those', async () => {
      const store = open();
      await store.history.append([event('1', t0 + 1000, 'Probe Failed', 'n'), event('2', t0 + 2000, 'Probe Failed', 'n'), event('3', t0 + 3000, 'Probe Failed', 'n')]);
      assert.equal(await store.history.evict(t0 + 2000), 1);
      assert.deepEqual(
        (await store.history.list()).map((item) => item.id),
        ['2', '3'],
      );
      assert.equal(await store.history.evict(t0), 0);
      assert.equal(await store.history.evict(t0 + 10_000), 2);
      assert.deepEqual(await store.history.list(), []);
    });

    it('append is one transaction: an event that cannot be stored takes the whole batch with it', async () => {
      const store = open();
      const bad = { id: 'bad', time: t0, type: null } as unknown as HistoryEvent;
      await assert.rejects(async () => await store.history.append([event('ok', t0, 'Probe Failed', 'n'), bad]));
      assert.deepEqual(await store.history.list(), []);
    });

    it('latest: the newest event of each node and of each (node, checker), cluster events left out, in the read-only view too', async () => {
      const store = open();
      await store.history.append([
        event('1', t0 + 1000, 'Probe Failed', 'node-1', 'web'),
        event('2', t0 + 2000, 'Node Degraded', 'node-1'),
        event('3', t0 + 3000, 'Probe Succeeded', 'node-1', 'web'),
        event('4', t0 + 3000, 'Probe Failed', 'node-1', 'db'),
        event('5', t0 + 3000, 'Probe Removed', 'node-1', 'db'),
        event('6', t0 + 4000, 'Cluster Degraded'),
        event('7', t0 + 500, 'Probe Failed', 'node-0', 'web'),
      ]);
      const expected = ['7', '2', '3', '5'];
      assert.deepEqual((await store.history.latest()).map((item) => item.id), expected);
      assert.deepEqual((await openReadOnly().history.latest()).map((item) => item.id), expected);
    });
  });

  describe('retention', () => {
    it('is 7 days by default', () => {
      assert.equal(defaultHistoryRetentionMs, 7 * day);
      assert.equal(open().retentionMs, 7 * day);
    });

    it('refuses events already older than the retention on append', async () => {
      now = t0 + 10 * day;
      const store = open();
      assert.equal(
        await store.history.append([event('old', t0, 'Probe Failed', 'n'), event('edge', now - 7 * day, 'Probe Failed', 'n'), event('new', now - day, 'Probe Failed', 'n')]),
        2,
      );
      assert.deepEqual(
        (await store.history.list()).map((item) => item.id),
        ['edge', 'new'],
      );
    });

    it('evictExpired drops what the clock has moved past, and so does opening the store', async () => {
      const store = open({ retentionMs: 60_000 });
      await store.history.append([event('1', now - 50_000, 'Probe Failed', 'n'), event('2', now - 10_000, 'Probe Failed', 'n')]);
      now += 20_000;
      assert.equal(await store.evictExpired(), 1);
      assert.deepEqual(
        (await store.history.list()).map((item) => item.id),
        ['2'],
      );
      await store.close();

      now += 60_000;
      const reopened = open({ retentionMs: 60_000 });
      assert.deepEqual(await reopened.history.list(), []);
    });

    it('refuses a retention that is not a positive duration', () => {
      for (const retentionMs of [0, -1, Number.NaN]) assert.throws(() => open({ retentionMs }), RangeError);
    });
  });

  describe('durability and the read-only view', () => {
    it('what was appended survives closing and reopening, and the read-only view sees it', async () => {
      const events = [event('1', t0 + 1000, 'Probe Failed', 'node-1', 'web', 'refused'), event('2', t0 + 2000, 'Node Degraded', 'node-1')];
      const store = open();
      await store.history.append(events);
      await store.close();
      await store.close(); // closing twice is harmless

      assert.deepEqual(await open().history.list(), events);
      assert.deepEqual(await openReadOnly().history.list({ node: 'node-1', since: t0 + 1500 }), [events[1]]);
    });

    it('a state dir without a store (or without a state dir at all) reads as an empty history', async () => {
      assert.deepEqual(await openReadOnly().history.list(), []);
      const missing = openSqliteStoreReadOnly(join(stateDir, 'never-created'));
      assert.deepEqual(await missing.history.list({ node: 'node-1' }), []);
      await missing.close();
    });

    it('an empty file (created, never set up) reads as an empty history', async () => {
      writeFileSync(storePath(stateDir), '');
      assert.deepEqual(await openReadOnly().history.list(), []);
    });

    it('the read-only view refuses to write', async () => {
      await open().close();
      const readOnly = openReadOnly();
      await assert.rejects(async () => await readOnly.history.append([event('1', now, 'Probe Failed')]), (error: unknown) => isGravityError(error, 'E_INTERNAL'));
      await assert.rejects(async () => await readOnly.history.evict(now), (error: unknown) => isGravityError(error, 'E_INTERNAL'));
      await assert.rejects(async () => await openReadOnly().history.append([]), (error: unknown) => isGravityError(error, 'E_INTERNAL'));
    });
  });

  describe('damaged and unusable files', () => {
    it('a file that is not a database: E_STORE naming the file, with a hint, for the agent and the CLI', async () => {
      writeFileSync(storePath(stateDir), 'this is not a SQLite database\n'.repeat(200));
      const pattern = new RegExp(`${storePath(stateDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a usable SQLite database \\(file is not a database\\)`);
      await assertStoreError(() => open(), pattern);
      await assertStoreError(() => openReadOnly(), pattern);
    });

    it('a database whose pages are damaged: E_STORE when it is read', async () => {
      const store = open();
      for (let batch = 0; batch < 20; batch++) {
        await store.history.append(Array.from({ length: 50 }, (_, index) => event(`${batch}-${index}`, now - index, 'Probe Failed', 'node-1', 'web', 'x'.repeat(200))));
      }
      await store.close();
      const file = storePath(stateDir);
      const db = new Database(file);
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.close();
      // Overwrite every page after the first with garbage: the header stays valid, the tables do not.
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, Buffer.alloc(pageSize * 40, 0xa5), 0, pageSize * 40, pageSize);
      } finally {
        closeSync(fd);
      }
      await assert.rejects(
        async () => {
          const reopened = open();
          await reopened.history.list();
        },
        (error: unknown) => isGravityError(error, 'E_STORE'),
      );
    });

    it('a directory where the file should be: E_STORE, with a hint', async () => {
      mkdirSync(storePath(stateDir));
      await assertStoreError(() => open(), /cannot open .*gravity\.db: it is not a regular file/);
      await assertStoreError(() => openReadOnly(), /cannot open .*gravity\.db: it is not a regular file/);
    });

    it('a state dir the store cannot be created in: E_STORE, with a hint', async () => {
      const notADir = join(stateDir, 'plain-file');
      writeFileSync(notADir, 'x');
      await assertStoreError(() => openSqliteStore(notADir), /cannot open .*gravity\.db: the state dir .* does not exist or is not a directory/);
      await assertStoreError(() => openSqliteStore(join(stateDir, 'missing')), /does not exist or is not a directory/);
    });
  });

  describe('a reader beside a writer', () => {
    it('reads committed events while another connection holds a write transaction, without waiting', async () => {
      const store = open();
      await store.history.append([event('committed', now, 'Probe Failed', 'node-1', 'web')]);
      const writer = new Database(store.file, { timeout: 100 });
      try {
        writer.exec('BEGIN IMMEDIATE');
        writer.prepare('INSERT INTO history (id, time, type, node) VALUES (?, ?, ?, ?)').run('pending', now + 1, 'Node Degraded', 'node-1');
        const reader = openReadOnly();
        const started = Date.now();
        assert.deepEqual(
          (await reader.history.list()).map((item) => item.id),
          ['committed'],
        );
        assert.deepEqual(
          (await store.history.list()).map((item) => item.id),
          ['committed'],
        );
        assert.ok(Date.now() - started < 1000, 'the read did not wait for the writer');
        writer.exec('COMMIT');
        assert.deepEqual(
          (await reader.history.list()).map((item) => item.id),
          ['committed', 'pending'],
        );
      } finally {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        writer.close();
      }
    });

    it('a second process writes while this one reads: every read succeeds and sees a growing prefix', async () => {
      const count = 300;
      await open().close(); // the schema exists before either side starts
      const writer = spawnTs(join(import.meta.dirname, '../fixtures/history-writer.ts'), [stateDir, String(count)]);
      let exited = false;
      void writer.finished.then(() => (exited = true));
      await waitFor(() => writer.stdout().includes('started') || exited, 15_000, 'the writer to start');
      const reader = openReadOnly();
      const seen: number[] = [];
      while (!exited) {
        const events = await reader.history.list();
        // Each read is one snapshot: the first N events the writer wrote, in order.
        assert.deepEqual(
          events.map((item) => item.id),
          Array.from({ length: events.length }, (_, index) => `writer-${index}`),
        );
        seen.push(events.length);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const result = await writer.finished;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`done ${count}`));
      assert.ok(seen.length > 1, 'read more than once while the writer ran');
      for (let index = 1; index < seen.length; index++) assert.ok((seen[index] ?? 0) >= (seen[index - 1] ?? 0), 'never goes back');
      assert.equal((await reader.history.list()).length, count);
    });
  });
});
