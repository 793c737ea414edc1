// Operations in the embedded store, against real SQLite files in temp dirs: records with their plans,
// ordering, the append-only changelog, operation states, reopening, the read-only view, the upgrade
// of a file from before the operation tables (and of one from before the lock's start time), and the
// operation lock: refusal with the holder, release, takeover from a dead process and from one whose pid
// was reused (its start time differs), reading a start time from /proc/<pid>/stat, two processes
// racing for it, and a change that survives a SIGKILL; the process groups of running phases, recorded,
// listed and cleared, and the upgrade of a file from before them.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import sinon from 'sinon';
import { isGravityError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';
import type { PhaseChange, PhaseProcess, PhaseSpec } from '../../src/plan/types.ts';
import { migrate, migrations, schemaVersion, userVersion } from '../../src/store/sqlite-migrations.ts';
import { lockStartTimeSchemaVersion, operationsSchemaVersion, phaseProcessesSchemaVersion } from '../../src/store/sqlite-operations.ts';
import { parseProcStatStartTime, processAlive, processStartTime } from '../../src/processes.ts';
import { lockHolderAlive } from '../../src/store/lock-holder.ts';
import { storePath } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { OperationLockHolder, OperationRecord, Store } from '../../src/store/types.ts';
import type { RacerMessage } from '../fixtures/operation-lock-racer.ts';
import { repoRoot } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { storeTracker } from '../helpers/store-tracker.ts';

const racerScript = fileURLToPath(new URL('../fixtures/operation-lock-racer.ts', import.meta.url));
const appendScript = fileURLToPath(new URL('../fixtures/operation-append-and-wait.ts', import.meta.url));

const t0 = Date.UTC(2020, 1, 18, 21, 36, 0);
const host = hostname();

const plan: PhaseSpec = {
  id: '/',
  description: 'Run my plan',
  requires: [],
  phases: [
    {
      id: '/init',
      description: 'Initialize',
      requires: [],
      executor: { kind: 'run', argv: ['touch', 'init'], env: {}, shell: false, timeoutMs: 3_600_000, retries: 0, retryBackoffMs: 1000 },
      phases: [],
    },
    {
      id: '/masters',
      description: 'Update masters',
      requires: ['/init'],
      parallel: 1,
      phases: [
        {
          id: '/masters/node-1',
          description: 'Update node-1',
          requires: [],
          node: 'node-1',
          executor: { kind: 'waitHealthy', timeoutMs: 300_000 },
          phases: [],
        },
      ],
    },
  ],
};

function newOperation(id: string, created: number): Omit<OperationRecord, 'state' | 'updated'> {
  return { id, type: 'custom', description: `operation ${id}`, created, plan };
}

function stored(id: string, created: number): OperationRecord {
  return { ...newOperation(id, created), state: 'in_progress', updated: created };
}

function change(operationId: string, phaseId: string, state: PhaseChange['state'], time: number, error?: string): PhaseChange {
  return { operationId, phaseId, state, time, ...(error === undefined ? {} : { error }) };
}

function holder(operationId: string, pid: number, since = t0, on = host): OperationLockHolder {
  return { operationId, pid, hostname: on, since };
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

/** The pid of a process that existed and has exited (and been reaped: its pid is free). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  await exited;
  assert.ok(child.pid !== undefined);
  return child.pid;
}

interface Fixture<M> {
  child: ChildProcess;
  messages: M[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a fixture under tsx with an IPC channel; its exit and messages are watched from the start. */
function startFixture<M>(script: string, args: readonly string[]): Fixture<M> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', reject);
  });
  const messages: M[] = [];
  child.on('message', (message) => messages.push(message as M));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, messages, stderr: () => stderr, exited };
}

describe('store/sqlite operations', function () {
  this.timeout(30_000);
  let stateDir: string;
  const stores = storeTracker();
  const started: ChildProcess[] = [];
  const open = (dir = stateDir): SqliteStore => stores.open(dir);
  const openReadOnly = (dir = stateDir): Store => stores.openReadOnly(dir);

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-operations-'));
  });
  afterEach(() => {
    sinon.restore();
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    stores.closeAll();
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('records', () => {
    it('creates an operation in progress with its plan, and gets it back as it was given', async () => {
      const { operations } = open();
      await operations.create(newOperation('op-1', t0));
      assert.deepEqual(await operations.get('op-1'), stored('op-1', t0));
      assert.equal(await operations.get('op-2'), undefined, 'an unknown id is undefined, not an error');
    });

    it('keeps rolledBack when the operation is created with it', async () => {
      const { operations } = open();
      await operations.create({ ...newOperation('op-1', t0), rolledBack: true });
      assert.deepEqual(await operations.get('op-1'), { ...stored('op-1', t0), rolledBack: true });
    });

    it('refuses an id it already has (E_OPERATION_EXISTS) and keeps the first', async () => {
      const { operations } = open();
      await operations.create(newOperation('op-1', t0));
      await assertCode(() => operations.create({ ...newOperation('op-1', t0 + 1000), description: 'another' }), 'E_OPERATION_EXISTS');
      assert.deepEqual(await operations.list(), [stored('op-1', t0)]);
    });

    it('last is the most recently created and list is newest first, by creation time then by insertion', async () => {
      const { operations } = open();
      assert.equal(await operations.last(), undefined);
      assert.deepEqual(await operations.list(), []);
      await operations.create(newOperation('a', t0 + 1000));
      await operations.create(newOperation('b', t0 + 3000));
      await operations.create(newOperation('c', t0 + 2000));
      assert.equal((await operations.last())?.id, 'b');
      assert.deepEqual(
        (await operations.list()).map((record) => record.id),
        ['b', 'c', 'a'],
      );
      await operations.create(newOperation('d', t0 + 3000)); // same millisecond as b, created after it
      assert.equal((await operations.last())?.id, 'd');
      assert.deepEqual(
        (await operations.list()).map((record) => record.id),
        ['d', 'b', 'c', 'a'],
      );
    });

    it('setState sets the state, updated and rolledBack; left out, rolledBack is cleared', async () => {
      const { operations } = open();
      await operations.create(newOperation('op-1', t0));
      await operations.setState('op-1', 'failed', t0 + 5000, true);
      assert.deepEqual(await operations.get('op-1'), { ...stored('op-1', t0), state: 'failed', updated: t0 + 5000, rolledBack: true });
      await operations.setState('op-1', 'in_progress', t0 + 6000);
      assert.deepEqual(await operations.get('op-1'), { ...stored('op-1', t0), state: 'in_progress', updated: t0 + 6000 });
      await operations.setState('op-1', 'completed', t0 + 7000, false);
      assert.deepEqual(await operations.get('op-1'), { ...stored('op-1', t0), state: 'completed', updated: t0 + 7000 });
    });

    it('setState on an unknown operation: E_OPERATION_NOT_FOUND', async () => {
      const { operations } = open();
      await assertCode(() => operations.setState('nope', 'completed', t0), 'E_OPERATION_NOT_FOUND');
    });
  });

  describe('the changelog', () => {
    it('returns every change of an operation in the order appended, whatever their times, with errors kept', async () => {
      const { operations } = open();
      await operations.create(newOperation('op-1', t0));
      await operations.create(newOperation('op-2', t0 + 1));
      const appended = [
        change('op-1', '/init', 'in_progress', t0 + 3000),
        change('op-1', '/init', 'completed', t0 + 2000), // a clock that went back: order is still the append order
        change('op-1', '/masters/node-1', 'in_progress', t0 + 4000),
        change('op-1', '/masters/node-1', 'failed', t0 + 5000, 'node node-1 did not become healthy within 5m'),
        change('op-1', '/masters/node-1', 'rolled_back', t0 + 6000),
      ];
      await operations.appendChange(appended[0] as PhaseChange);
      await operations.appendChange(change('op-2', '/init', 'in_progress', t0 + 3500));
      for (const item of appended.slice(1)) await operations.appendChange(item);
      assert.deepEqual(await operations.changes('op-1'), appended);
      assert.deepEqual(await operations.changes('op-2'), [change('op-2', '/init', 'in_progress', t0 + 3500)]);
      assert.deepEqual(await operations.changes('op-3'), [], 'an unknown operation has no changes');
    });

    it('refuses a change of an unknown operation (E_OPERATION_NOT_FOUND) and stores nothing', async () => {
      const { operations } = open();
      await assertCode(() => operations.appendChange(change('nope', '/init', 'in_progress', t0)), 'E_OPERATION_NOT_FOUND');
      assert.deepEqual(await operations.changes('nope'), []);
    });
  });

  describe('reopening and the read-only view', () => {
    it('keeps operations, changes and the lock across closing and reopening; the read-only view reads them', async () => {
      const store = open();
      await store.operations.create(newOperation('op-1', t0));
      await store.operations.create(newOperation('op-2', t0 + 1000));
      await store.operations.appendChange(change('op-2', '/init', 'in_progress', t0 + 2000));
      await store.operations.appendChange(change('op-2', '/init', 'failed', t0 + 3000, 'exit code 1: boom'));
      await store.operations.setState('op-2', 'failed', t0 + 3000);
      assert.deepEqual(await store.operations.acquireLock(holder('op-2', process.pid)), { acquired: true });
      const records = await store.operations.list();
      const changes = await store.operations.changes('op-2');
      await store.close();

      for (const view of [open(), openReadOnly()]) {
        assert.deepEqual(await view.operations.list(), records);
        assert.deepEqual(await view.operations.get('op-2'), records[0]);
        assert.deepEqual(await view.operations.last(), records[0]);
        assert.deepEqual(await view.operations.changes('op-2'), changes);
        assert.deepEqual(await view.operations.lockHolder(), holder('op-2', process.pid));
      }
    });

    it('the read-only view refuses every write with E_STORE', async () => {
      await open().operations.create(newOperation('op-1', t0));
      const { operations } = openReadOnly();
      await assertCode(() => operations.create(newOperation('op-2', t0)), 'E_STORE');
      await assertCode(() => operations.appendChange(change('op-1', '/init', 'in_progress', t0)), 'E_STORE');
      await assertCode(() => operations.setState('op-1', 'completed', t0), 'E_STORE');
      await assertCode(() => operations.acquireLock(holder('op-1', process.pid)), 'E_STORE');
      await assertCode(() => operations.releaseLock('op-1', process.pid), 'E_STORE');
      assert.deepEqual(await operations.list(), [stored('op-1', t0)], 'nothing was written');
    });

    it('a state dir without a store reads as no operations, and refuses writes with E_STORE', async () => {
      for (const view of [openReadOnly(), openReadOnly(join(stateDir, 'never-created'))]) {
        assert.equal(await view.operations.get('op-1'), undefined);
        assert.equal(await view.operations.last(), undefined);
        assert.deepEqual(await view.operations.list(), []);
        assert.deepEqual(await view.operations.changes('op-1'), []);
        assert.equal(await view.operations.lockHolder(), undefined);
        await assertCode(() => view.operations.create(newOperation('op-1', t0)), 'E_STORE');
        await assertCode(() => view.operations.acquireLock(holder('op-1', process.pid)), 'E_STORE');
      }
    });
  });

  describe('upgrading a file from before the operation tables', () => {
    function createVersion1File(): void {
      // What the previous gravity created: the history schema only, at user_version 1, with events in it.
      const db = new Database(storePath(stateDir));
      try {
        db.pragma('journal_mode = WAL');
        assert.deepEqual(
          migrate(
            db,
            storePath(stateDir),
            migrations.filter((migration) => migration.version < operationsSchemaVersion),
          ),
          [1],
        );
        db.prepare('INSERT INTO history (id, time, type, node) VALUES (?, ?, ?, ?)').run('e1', Date.now(), 'Node Degraded', 'node-1');
      } finally {
        db.close();
      }
    }

    it('the read-only view of a version 1 file reads its history and no operations', async () => {
      createVersion1File();
      const view = openReadOnly();
      assert.deepEqual(
        (await view.history.list()).map((event) => event.id),
        ['e1'],
      );
      assert.deepEqual(await view.operations.list(), []);
      assert.equal(await view.operations.lockHolder(), undefined);
    });

    it('opening it for writing adds the operation tables and keeps the history', async () => {
      createVersion1File();
      const store = open();
      assert.deepEqual(
        (await store.history.list()).map((event) => event.id),
        ['e1'],
      );
      assert.deepEqual(await store.operations.list(), []);
      await store.operations.create(newOperation('op-1', t0));
      await store.operations.appendChange(change('op-1', '/init', 'in_progress', t0));
      assert.deepEqual(await store.operations.changes('op-1'), [change('op-1', '/init', 'in_progress', t0)]);
      await store.close();

      const db = new Database(storePath(stateDir), { readonly: true });
      try {
        assert.equal(userVersion(db), schemaVersion);
        assert.ok(schemaVersion >= operationsSchemaVersion);
        const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").all().map((row) => row.name);
        for (const name of ['history', 'operations', 'phase_changes', 'phase_changes_operation', 'operation_lock']) assert.ok(names.includes(name), `${name} exists`);
      } finally {
        db.close();
      }
      assert.deepEqual(await openReadOnly().operations.changes('op-1'), [change('op-1', '/init', 'in_progress', t0)]);
    });
  });

  describe('upgrading a file from before the lock recorded start times', () => {
    /** A file at the schema version before start_time, whose lock is held by `pid`. */
    function createLockedFileBeforeStartTime(pid: number): void {
      const db = new Database(storePath(stateDir));
      try {
        db.pragma('journal_mode = WAL');
        migrate(
          db,
          storePath(stateDir),
          migrations.filter((migration) => migration.version < lockStartTimeSchemaVersion),
        );
        assert.equal(userVersion(db), lockStartTimeSchemaVersion - 1);
        db.prepare('INSERT INTO operation_lock (id, operation_id, pid, hostname, since) VALUES (1, ?, ?, ?, ?)').run('op-1', pid, host, t0);
      } finally {
        db.close();
      }
    }

    it('the read-only view reads its lock holder, without a start time', async () => {
      createLockedFileBeforeStartTime(process.ppid);
      assert.deepEqual(await openReadOnly().operations.lockHolder(), holder('op-1', process.ppid));
    });

    it('opening it for writing adds the column; the old lock has no start time, so its live pid keeps it', async () => {
      createLockedFileBeforeStartTime(process.ppid);
      const store = open();
      assert.deepEqual(await store.operations.lockHolder(), holder('op-1', process.ppid));
      assert.deepEqual(await store.operations.acquireLock(holder('op-2', process.pid)), { acquired: false, holder: holder('op-1', process.ppid) });
      await store.close();
      const db = new Database(storePath(stateDir), { readonly: true });
      try {
        assert.equal(userVersion(db), schemaVersion);
        const columns = db.prepare<[], { name: string }>('PRAGMA table_info(operation_lock)').all().map((row) => row.name);
        assert.ok(columns.includes('start_time'), columns.join(', '));
      } finally {
        db.close();
      }
    });
  });

  describe('the process groups of running phases', () => {
    const recorded = (phaseId: string, pgid: number, since: number, startTime?: number): PhaseProcess => ({
      operationId: 'op-1',
      phaseId,
      pgid,
      ...(startTime === undefined ? {} : { startTime }),
      hostname: host,
      since,
    });

    it('records, lists oldest first, replaces the same group, clears; the read-only view reads them; a missing operation is refused', async () => {
      const store = open();
      await store.operations.create(newOperation('op-1', t0));
      await store.operations.recordPhaseProcess(recorded('/masters/node-1', 4321, t0 + 2, 99));
      await store.operations.recordPhaseProcess(recorded('/init', 1234, t0 + 1));
      await store.operations.recordPhaseProcess(recorded('/init', 1234, t0 + 1, 42));
      assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 1234, t0 + 1, 42), recorded('/masters/node-1', 4321, t0 + 2, 99)]);
      assert.deepEqual(await openReadOnly().operations.phaseProcesses('op-1'), await store.operations.phaseProcesses('op-1'));
      assert.deepEqual(await store.operations.phaseProcesses('op-2'), []);
      await store.operations.clearPhaseProcess('op-1', '/init', 1234);
      await store.operations.clearPhaseProcess('op-1', '/init', 1234);
      assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/masters/node-1', 4321, t0 + 2, 99)]);
      await assertCode(() => store.operations.recordPhaseProcess({ ...recorded('/init', 55, t0), operationId: 'nope' }), 'E_OPERATION_NOT_FOUND');
      await assert.rejects(async () => await store.operations.recordPhaseProcess(recorded('/init', 1, t0)), RangeError);
      await assertCode(() => openReadOnly().operations.recordPhaseProcess(recorded('/init', 55, t0)), 'E_STORE');
    });

    it('a file from before the table: the read-only view has none recorded; opening it for writing adds the table', async () => {
      const db = new Database(storePath(stateDir));
      try {
        db.pragma('journal_mode = WAL');
        migrate(db, storePath(stateDir), migrations.filter((migration) => migration.version < phaseProcessesSchemaVersion));
      } finally {
        db.close();
      }
      assert.deepEqual(await openReadOnly().operations.phaseProcesses('op-1'), []);
      const store = open();
      await store.operations.create(newOperation('op-1', t0));
      await store.operations.recordPhaseProcess(recorded('/init', 1234, t0, 7));
      assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 1234, t0, 7)]);
    });
  });

  describe("a process's start time", () => {
    // A /proc/<pid>/stat line; the command name (field 2) is `a) b (c`, and starttime (field 22) is 987654.
    const stat = '4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 67 18446744073709551615 1 1 0 0 0\n';

    it('is field 22 of /proc/<pid>/stat, counted after the last ")" of the command name', () => {
      assert.equal(parseProcStatStartTime(stat), 987654);
      assert.equal(parseProcStatStartTime('1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 0'), 5);
    });

    it('is unknown when the line is cut short, has no command name, or the field is not a number', () => {
      assert.equal(parseProcStatStartTime('4242 (a) b (c)) S 1 4242'), undefined);
      assert.equal(parseProcStatStartTime('4242 sleep S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654'), undefined);
      assert.equal(parseProcStatStartTime('1 (x) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 -5 0'), undefined);
      assert.equal(parseProcStatStartTime('1 (x) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999 0'), undefined);
    });

    it('is read from /proc for a live process, and unknown for one that is gone', async function () {
      if (process.platform !== 'linux') this.skip();
      const own = processStartTime(process.pid);
      assert.ok(own !== undefined && Number.isSafeInteger(own));
      assert.equal(processStartTime(process.pid), own, 'the same process, the same start time');
      assert.equal(processStartTime(await deadPid()), undefined);
      for (const pid of [0, -1, 1.5]) assert.equal(processStartTime(pid), undefined);
    });

    it('decides whether a holder is alive: a gone pid is dead; a live pid is dead only with another start time', async function () {
      if (process.platform !== 'linux') this.skip();
      const parent = processStartTime(process.ppid);
      assert.ok(parent !== undefined);
      assert.equal(lockHolderAlive({ pid: process.ppid }), true);
      assert.equal(lockHolderAlive({ pid: process.ppid, startTime: parent }), true);
      assert.equal(lockHolderAlive({ pid: process.ppid, startTime: parent + 1 }), false);
      assert.equal(lockHolderAlive({ pid: await deadPid() }), false);
    });
  });

  describe('the operation lock', () => {
    it('is free at first; the first holder gets it, a second is refused with the holder', async () => {
      const { operations } = open();
      assert.equal(await operations.lockHolder(), undefined);
      assert.deepEqual(await operations.acquireLock(holder('op-1', process.pid, t0)), { acquired: true });
      assert.deepEqual(await operations.lockHolder(), holder('op-1', process.pid, t0));
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid + 1, t0 + 1000)), { acquired: false, holder: holder('op-1', process.pid, t0) });
      assert.deepEqual(await operations.lockHolder(), holder('op-1', process.pid, t0));
    });

    it('the process that holds it may take it again (for another operation too)', async () => {
      const { operations } = open();
      await operations.acquireLock(holder('op-1', process.pid, t0));
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid, t0 + 1000)), { acquired: true });
      assert.deepEqual(await operations.lockHolder(), holder('op-2', process.pid, t0 + 1000));
    });

    it('is released only by its holder (operation and pid), then free for the next', async () => {
      const { operations } = open();
      await operations.acquireLock(holder('op-1', process.pid));
      await operations.releaseLock('op-2', process.pid);
      await operations.releaseLock('op-1', process.pid + 1);
      assert.deepEqual(await operations.lockHolder(), holder('op-1', process.pid));
      await operations.releaseLock('op-1', process.pid);
      assert.equal(await operations.lockHolder(), undefined);
      await operations.releaseLock('op-1', process.pid); // releasing a free lock is harmless
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid + 1)), { acquired: true });
    });

    it('a lock whose holder died is taken over', async () => {
      const dead = await deadPid();
      assert.equal(processAlive(dead), false);
      const { operations } = open();
      assert.deepEqual(await operations.acquireLock(holder('op-1', dead, t0)), { acquired: true });
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid, t0 + 1000)), { acquired: true });
      assert.deepEqual(await operations.lockHolder(), holder('op-2', process.pid, t0 + 1000));
    });

    it('keeps its holder\'s start time; a live pid with another start time (the holder died, its pid was reused) is taken over', async function () {
      if (process.platform !== 'linux') this.skip();
      const parent = processStartTime(process.ppid);
      assert.ok(parent !== undefined);
      const { operations } = open();
      const reused = { ...holder('op-1', process.ppid, t0), startTime: parent + 1 };
      assert.deepEqual(await operations.acquireLock(reused), { acquired: true });
      assert.deepEqual(await operations.lockHolder(), reused);
      const next = { ...holder('op-2', process.pid, t0 + 1000), startTime: processStartTime(process.pid) ?? 0 };
      assert.deepEqual(await operations.acquireLock(next), { acquired: true });
      assert.deepEqual(await operations.lockHolder(), next);
    });

    it('a live pid with the recorded start time keeps the lock', async function () {
      if (process.platform !== 'linux') this.skip();
      const parent = processStartTime(process.ppid);
      assert.ok(parent !== undefined);
      const { operations } = open();
      const live = { ...holder('op-1', process.ppid, t0), startTime: parent };
      await operations.acquireLock(live);
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid)), { acquired: false, holder: live });
      assert.deepEqual(await operations.lockHolder(), live);
    });

    it('refuses a start time that is not a non-negative integer', async () => {
      const { operations } = open();
      for (const startTime of [-1, 1.5, Number.NaN]) await assert.rejects(async () => await operations.acquireLock({ ...holder('op-1', process.pid), startTime }), RangeError);
      assert.equal(await operations.lockHolder(), undefined);
    });

    it('a holder on another host is never taken over: its pid cannot be checked from here', async () => {
      const dead = await deadPid();
      const { operations } = open();
      await operations.acquireLock(holder('op-1', dead, t0, `not-${host}`));
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid)), { acquired: false, holder: holder('op-1', dead, t0, `not-${host}`) });
    });

    it("a holder whose pid exists but is another user's (EPERM) is alive", async () => {
      const { operations } = open();
      await operations.acquireLock(holder('op-1', 1));
      const kill = sinon.stub(process, 'kill').throws(Object.assign(new Error('kill EPERM'), { code: 'EPERM' }));
      assert.deepEqual(await operations.acquireLock(holder('op-2', process.pid)), { acquired: false, holder: holder('op-1', 1) });
      assert.ok(kill.calledWith(1, 0));
    });

    it('refuses a holder pid that is not a positive integer', async () => {
      const { operations } = open();
      for (const pid of [0, -1, 1.5]) await assert.rejects(async () => await operations.acquireLock(holder('op-1', pid)), RangeError);
      assert.equal(await operations.lockHolder(), undefined);
    });

    it('two processes racing for it: exactly one gets it, the other is told who', async () => {
      for (let round = 0; round < 3; round++) {
        const dir = mkdtempSync(join(stateDir, `round-${round}-`));
        await open(dir).close();
        const racers = [0, 1].map(() => startFixture<RacerMessage>(racerScript, [dir, `op-${round}`]));
        started.push(...racers.map((racer) => racer.child));
        await waitFor(() => racers.every((racer) => racer.messages.length > 0), 20_000, 'both racers to open the store');
        for (const racer of racers) assert.deepEqual(racer.messages[0], { kind: 'ready' }, racer.stderr());
        for (const racer of racers) racer.child.send('go');
        await waitFor(() => racers.every((racer) => racer.messages.length > 1), 20_000, 'both racers to report');

        const results = racers.map((racer) => {
          const message = racer.messages[1];
          assert.ok(message?.kind === 'result', `a result, got ${JSON.stringify(message)}: ${racer.stderr()}`);
          return { pid: racer.child.pid, result: message.result };
        });
        const winners = results.filter((entry) => entry.result.acquired);
        assert.equal(winners.length, 1, `exactly one winner: ${JSON.stringify(results)}`);
        const winner = winners[0];
        const loser = results.find((entry) => !entry.result.acquired);
        assert.ok(winner !== undefined && loser !== undefined && !loser.result.acquired);
        assert.equal(loser.result.holder.pid, winner.pid);
        assert.equal(loser.result.holder.operationId, `op-${round}`);
        assert.equal((await open(dir).operations.lockHolder())?.pid, winner.pid);

        for (const racer of racers) racer.child.send('exit');
        for (const racer of racers) assert.deepEqual(await racer.exited, { code: 0, signal: null });
      }
    });

    it('a change appended by a process killed with SIGKILL right after is there, and its lock is taken over', async () => {
      await open().operations.create(newOperation('op-1', t0));
      const writer = startFixture<string>(appendScript, [stateDir, 'op-1', '5']);
      started.push(writer.child);
      await waitFor(() => writer.messages.length > 0, 20_000, 'the writer to append');
      assert.equal(writer.messages[0], 'appended', writer.stderr());
      writer.child.kill('SIGKILL');
      assert.deepEqual(await writer.exited, { code: null, signal: 'SIGKILL' });

      const reopened = open();
      assert.deepEqual(
        (await reopened.operations.changes('op-1')).map((item) => [item.phaseId, item.state]),
        [0, 1, 2, 3, 4].map((index) => [`/phase-${index}`, 'in_progress']),
      );
      assert.equal((await reopened.operations.lockHolder())?.pid, writer.child.pid);
      assert.deepEqual(await reopened.operations.acquireLock(holder('op-1', process.pid)), { acquired: true });
    });
  });
});
