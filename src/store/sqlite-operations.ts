// Operations in the embedded SQLite store: each operation's record with its plan (written once), the
// append-only changelog of leaf states the plan is rebuilt from, the process groups of phases whose
// commands run (so that a run after a crash finds them), and the cluster's single operation lock, whose holder is named by pid and process start time (a pid is reused once its process is
// gone, the pair is not). Kept apart from sqlite.ts so that the queries, the lock's takeover rule and
// the read-only view live together; sqlite.ts owns the connection, its durability settings and error
// mapping.

import { hostname } from 'node:os';
import type { Database } from 'better-sqlite3';
import { GravityError } from '../errors.ts';
import type { OperationState, OperationType, PhaseChange, PhaseProcess, PhaseSpec, PhaseState } from '../plan/types.ts';
import { lockHolderAlive } from './lock-holder.ts';
import { userVersion } from './sqlite-migrations.ts';
import type { Synchronous } from './async.ts';
import type { LockResult, OperationHeadline, OperationLockHolder, OperationRecord, OperationStore } from './types.ts';

/** The operations as this backend builds them, before sqlite.ts serves them async. */
export type SyncOperationStore = Synchronous<OperationStore>;

/** The first schema version (sqlite-migrations.ts) that has the operation tables. */
export const operationsSchemaVersion = 2;

/** The first schema version whose operation lock records its holder's process start time. */
export const lockStartTimeSchemaVersion = 4;

/** The first schema version that records the process groups of running phases. */
export const phaseProcessesSchemaVersion = 5;

/** Runs a query, turning what SQLite says about the file into E_STORE (sqlite.ts's `guarded`). */
export type Guard = <T>(doing: 'read' | 'write to', work: () => T) => T;

interface OperationRow {
  id: string;
  type: string;
  description: string;
  state: string;
  created: number;
  updated: number;
  rolled_back: number;
  plan: string;
}

interface HeadlineRow {
  id: string;
  type: string;
  head: string;
  bytes: number;
  state: string;
  created: number;
  updated: number;
  rolled_back: number;
}

interface ChangeRow {
  operation_id: string;
  phase_id: string;
  state: string;
  time: number;
  error: string | null;
}

interface LockRow {
  operation_id: string;
  pid: number;
  hostname: string;
  since: number;
  /** NULL: unknown (and always on a file from before lockStartTimeSchemaVersion). */
  start_time: number | null;
}

/** The lock's columns; a read-only file from before start_time reads it as unknown. */
function lockColumns(db: Database): string {
  const startTime = userVersion(db) >= lockStartTimeSchemaVersion ? 'start_time' : 'NULL AS start_time';
  return `operation_id, pid, hostname, since, ${startTime}`;
}

const operationColumns = 'id, type, description, state, created, updated, rolled_back, plan';
// rowid breaks ties between operations created in the same millisecond: the later insert is newer.
const newestFirst = 'ORDER BY created DESC, rowid DESC';

function damaged(file: string, what: string, cause?: unknown): GravityError {
  return new GravityError('E_STORE', `${file}: ${what} is damaged`, {
    hint: 'the file was changed by something other than gravity; move it aside to start afresh (the operations and status history in it are then lost)',
    cause,
  });
}

function parsePlan(file: string, operationId: string, text: string): PhaseSpec {
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw damaged(file, `the plan of operation ${operationId}`, error);
  }
  // The plan was written by `create` from a PhaseSpec; only a file edited by hand looks otherwise.
  const root = plan as { id?: unknown; phases?: unknown } | null;
  if (typeof root !== 'object' || root === null || typeof root.id !== 'string' || !Array.isArray(root.phases)) {
    throw damaged(file, `the plan of operation ${operationId}`);
  }
  return plan as PhaseSpec;
}

function toRecord(file: string, row: OperationRow): OperationRecord {
  // type and state are written from their unions only (state is also CHECKed by the schema).
  const record: OperationRecord = {
    id: row.id,
    type: row.type as OperationType,
    description: row.description,
    state: row.state as OperationState,
    created: row.created,
    updated: row.updated,
    plan: parsePlan(file, row.id, row.plan),
  };
  if (row.rolled_back === 1) record.rolledBack = true;
  return record;
}

function toHeadline(row: HeadlineRow): OperationHeadline {
  const headline: OperationHeadline = {
    id: row.id,
    type: row.type as OperationType,
    descriptionHead: row.head,
    descriptionBytes: row.bytes,
    state: row.state as OperationState,
    created: row.created,
    updated: row.updated,
  };
  if (row.rolled_back === 1) headline.rolledBack = true;
  return headline;
}

function toChange(row: ChangeRow): PhaseChange {
  const change: PhaseChange = { operationId: row.operation_id, phaseId: row.phase_id, state: row.state as PhaseState, time: row.time };
  if (row.error !== null) change.error = row.error;
  return change;
}

interface PhaseProcessRow {
  operation_id: string;
  phase_id: string;
  pgid: number;
  start_time: number | null;
  hostname: string;
  since: number;
}

function toPhaseProcess(row: PhaseProcessRow): PhaseProcess {
  const recorded: PhaseProcess = { operationId: row.operation_id, phaseId: row.phase_id, pgid: row.pgid, hostname: row.hostname, since: row.since };
  if (row.start_time !== null) recorded.startTime = row.start_time;
  return recorded;
}

function toHolder(row: LockRow): OperationLockHolder {
  const holder: OperationLockHolder = { operationId: row.operation_id, pid: row.pid, hostname: row.hostname, since: row.since };
  if (row.start_time !== null) holder.startTime = row.start_time;
  return holder;
}

function notFound(operationId: string): GravityError {
  return new GravityError('E_OPERATION_NOT_FOUND', `operation ${operationId} not found`);
}

/** The queries both views run. */
function readers(db: Database, file: string, guard: Guard): Pick<SyncOperationStore, 'get' | 'last' | 'list' | 'headlines' | 'headline' | 'changes' | 'lockHolder' | 'phaseProcesses'> {
  const get = db.prepare<[string], OperationRow>(`SELECT ${operationColumns} FROM operations WHERE id = ?`);
  const last = db.prepare<[], OperationRow>(`SELECT ${operationColumns} FROM operations ${newestFirst} LIMIT 1`);
  const list = db.prepare<[], OperationRow>(`SELECT ${operationColumns} FROM operations ${newestFirst}`);
  // octet_length reads a text's size without decoding it; the plan is not read at all.
  const headlineColumns = 'id, type, substr(description, 1, ?) AS head, octet_length(description) AS bytes, state, created, updated, rolled_back';
  const headlines = db.prepare<[number, number], HeadlineRow>(`SELECT ${headlineColumns} FROM operations ${newestFirst} LIMIT ?`);
  const headline = db.prepare<[number, string], HeadlineRow>(`SELECT ${headlineColumns} FROM operations WHERE id = ?`);
  const changes = db.prepare<[string], ChangeRow>('SELECT operation_id, phase_id, state, time, error FROM phase_changes WHERE operation_id = ? ORDER BY seq ASC');
  const lockHolder = db.prepare<[], LockRow>(`SELECT ${lockColumns(db)} FROM operation_lock WHERE id = 1`);
  // A read-only file from before the table has no running phases recorded.
  const processes =
    userVersion(db) >= phaseProcessesSchemaVersion
      ? db.prepare<[string], PhaseProcessRow>(
          'SELECT operation_id, phase_id, pgid, start_time, hostname, since FROM phase_processes WHERE operation_id = ? ORDER BY since ASC, rowid ASC',
        )
      : undefined;
  return {
    get: (id) =>
      guard('read', () => {
        const row = get.get(id);
        return row === undefined ? undefined : toRecord(file, row);
      }),
    last: () =>
      guard('read', () => {
        const row = last.get();
        return row === undefined ? undefined : toRecord(file, row);
      }),
    list: () => guard('read', () => list.all().map((row) => toRecord(file, row))),
    headlines: (limit, descriptionChars) => guard('read', () => headlines.all(Math.max(0, Math.trunc(descriptionChars)), Math.max(0, Math.trunc(limit))).map(toHeadline)),
    headline: (id, descriptionChars) =>
      guard('read', () => {
        const row = headline.get(Math.max(0, Math.trunc(descriptionChars)), id);
        return row === undefined ? undefined : toHeadline(row);
      }),
    changes: (operationId) => guard('read', () => changes.all(operationId).map(toChange)),
    lockHolder: () =>
      guard('read', () => {
        const row = lockHolder.get();
        return row === undefined ? undefined : toHolder(row);
      }),
    phaseProcesses: (operationId) => guard('read', () => (processes === undefined ? [] : processes.all(operationId).map(toPhaseProcess))),
  };
}

/**
 * The operations of a writable connection at schema version 2 or later. Durability (every write on
 * disk when it returns) is the connection's setting, made by sqlite.ts.
 * @example
 * const operations = sqliteOperations(db, file, (doing, work) => work());
 * operations.create({ id, type: 'custom', description: 'Run my plan', created: Date.now(), plan });
 * operations.appendChange({ operationId: id, phaseId: '/init', state: 'in_progress', time: Date.now() });
 */
export function sqliteOperations(db: Database, file: string, guard: Guard): SyncOperationStore {
  const localHost = hostname();
  const insert = db.prepare<[string, string, string, number, number, number, string]>(
    `INSERT INTO operations (id, type, description, state, created, updated, rolled_back, plan)
     VALUES (?, ?, ?, 'in_progress', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  // One statement: the change is stored only if its operation exists, so a typo cannot leave orphans.
  const append = db.prepare<[{ operationId: string; phaseId: string; state: PhaseState; time: number; error: string | null }]>(
    `INSERT INTO phase_changes (operation_id, phase_id, state, time, error)
     SELECT @operationId, @phaseId, @state, @time, @error WHERE EXISTS (SELECT 1 FROM operations WHERE id = @operationId)`,
  );
  const setState = db.prepare<[OperationState, number, number, string]>('UPDATE operations SET state = ?, updated = ?, rolled_back = ? WHERE id = ?');
  const currentLock = db.prepare<[], LockRow>(`SELECT ${lockColumns(db)} FROM operation_lock WHERE id = 1`);
  const putLock = db.prepare<[string, number, string, number, number | null]>(
    'INSERT OR REPLACE INTO operation_lock (id, operation_id, pid, hostname, since, start_time) VALUES (1, ?, ?, ?, ?, ?)',
  );
  const releaseLock = db.prepare<[string, number]>('DELETE FROM operation_lock WHERE id = 1 AND operation_id = ? AND pid = ?');
  const putProcess = db.prepare<[{ operationId: string; phaseId: string; pgid: number; startTime: number | null; hostname: string; since: number }]>(
    `INSERT OR REPLACE INTO phase_processes (operation_id, phase_id, pgid, start_time, hostname, since)
     SELECT @operationId, @phaseId, @pgid, @startTime, @hostname, @since WHERE EXISTS (SELECT 1 FROM operations WHERE id = @operationId)`,
  );
  const dropProcess = db.prepare<[string, string, number]>('DELETE FROM phase_processes WHERE operation_id = ? AND phase_id = ? AND pgid = ?');

  // Reading the holder and taking the lock happen in one IMMEDIATE transaction: it holds SQLite's
  // write lock from its first statement, so two processes racing serialize here (the second waits up
  // to the busy timeout) and the second sees the first as the holder.
  const takeLock = db.transaction((holder: OperationLockHolder): LockResult => {
    const current = currentLock.get();
    if (current !== undefined) {
      // A pid can only be checked on its own host; a holder elsewhere is taken as alive.
      const held = toHolder(current);
      const replaceable = held.hostname === localHost && (held.pid === holder.pid || !lockHolderAlive(held));
      if (!replaceable) return { acquired: false, holder: held };
    }
    putLock.run(holder.operationId, holder.pid, holder.hostname, holder.since, holder.startTime ?? null);
    return { acquired: true };
  });

  return {
    ...readers(db, file, guard),
    create: (record) =>
      guard('write to', () => {
        const plan = JSON.stringify(record.plan);
        const rolledBack = record.rolledBack === true ? 1 : 0;
        if (insert.run(record.id, record.type, record.description, record.created, record.created, rolledBack, plan).changes === 0) {
          throw new GravityError('E_OPERATION_EXISTS', `operation ${record.id} already exists`);
        }
      }),
    appendChange: (change) =>
      guard('write to', () => {
        const row = { operationId: change.operationId, phaseId: change.phaseId, state: change.state, time: change.time, error: change.error ?? null };
        if (append.run(row).changes === 0) throw notFound(change.operationId);
      }),
    setState: (operationId, state, time, rolledBack) =>
      guard('write to', () => {
        // rolledBack describes the state being set: left out, the operation is not (or no longer) rolled back.
        if (setState.run(state, time, rolledBack === true ? 1 : 0, operationId).changes === 0) throw notFound(operationId);
      }),
    acquireLock: (holder) => {
      if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) throw new RangeError(`the lock holder's pid must be a positive integer, got ${holder.pid}`);
      if (holder.startTime !== undefined && (!Number.isSafeInteger(holder.startTime) || holder.startTime < 0)) {
        throw new RangeError(`the lock holder's start time must be a non-negative integer, got ${holder.startTime}`);
      }
      return guard('write to', () => takeLock.immediate(holder));
    },
    releaseLock: (operationId, pid) =>
      guard('write to', () => {
        releaseLock.run(operationId, pid);
      }),
    recordPhaseProcess: (recorded) => {
      if (!Number.isSafeInteger(recorded.pgid) || recorded.pgid <= 1) throw new RangeError(`a phase's process group id must be an integer above 1, got ${recorded.pgid}`);
      guard('write to', () => {
        const row = { ...recorded, startTime: recorded.startTime ?? null };
        if (putProcess.run(row).changes === 0) throw notFound(recorded.operationId);
      });
    },
    clearPhaseProcess: (operationId, phaseId, pgid) =>
      guard('write to', () => {
        dropProcess.run(operationId, phaseId, pgid);
      }),
  };
}

function readOnly(file: string, what: string): never {
  throw new GravityError('E_STORE', `cannot ${what}: ${file} was opened read-only`, {
    hint: 'this command only reads the store; operations are changed by the commands that run them',
  });
}

function refuseWrites(
  file: string,
): Pick<SyncOperationStore, 'create' | 'appendChange' | 'setState' | 'acquireLock' | 'releaseLock' | 'recordPhaseProcess' | 'clearPhaseProcess'> {
  return {
    recordPhaseProcess: () => readOnly(file, "record a phase's process group"),
    clearPhaseProcess: () => readOnly(file, "clear a phase's process group"),
    create: () => readOnly(file, 'create an operation'),
    appendChange: () => readOnly(file, 'record a phase change'),
    setState: () => readOnly(file, "set an operation's state"),
    acquireLock: () => readOnly(file, 'take the operation lock'),
    releaseLock: () => readOnly(file, 'release the operation lock'),
  };
}

/**
 * The operations of a read-only connection at schema version 2 or later: reads work, writes throw E_STORE.
 * @example const operations = sqliteOperationsReadOnly(db, file, guard); const op = operations.last();
 */
export function sqliteOperationsReadOnly(db: Database, file: string, guard: Guard): SyncOperationStore {
  return { ...readers(db, file, guard), ...refuseWrites(file) };
}

/**
 * No operations: for a state dir without a store, or a file from before the operation tables existed.
 * Writes throw E_STORE as on any read-only view.
 * @example const operations = noOperations(file); operations.list(); // []
 */
export function noOperations(file: string): SyncOperationStore {
  return {
    get: () => undefined,
    last: () => undefined,
    list: () => [],
    headlines: () => [],
    headline: () => undefined,
    changes: () => [],
    lockHolder: () => undefined,
    phaseProcesses: () => [],
    ...refuseWrites(file),
  };
}
