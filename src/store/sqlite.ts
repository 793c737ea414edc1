// The embedded store: one SQLite file, `gravity.db`, in the state dir. It keeps the status history,
// the operations with their plans and the Control Panel's users (and will keep the cluster's other
// records) on the node itself, so they survive restarts without any other service. WAL mode lets
// `gravity status history` and `gravity plan` read while the agent or an operation writes; every
// write is on disk when it returns (see openSqliteStore); the schema is versioned
// (sqlite-migrations.ts); a damaged or unreadable file becomes one clear E_STORE error.

import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { GravityError } from '../errors.ts';
import { ensurePrivateFile, tightenIfPresent } from '../private-files.ts';
import { assertKnownVersion, migrate } from './sqlite-migrations.ts';
import type { Guard } from './sqlite-operations.ts';
import { noOperations, operationsSchemaVersion, sqliteOperations, sqliteOperationsReadOnly } from './sqlite-operations.ts';
import { noUsers, sqliteUsers, sqliteUsersReadOnly, usersSchemaVersion } from './sqlite-users.ts';
import { asynchronous } from './async.ts';
import type { Synchronous } from './async.ts';
import type { HistoryEvent, HistoryEventType, HistoryQuery, HistoryStore, OperationStore, Store, UserStore } from './types.ts';

/** The store's file name inside the state dir. */
export const storeFileName = 'gravity.db';

/** The files SQLite keeps beside the store in WAL mode. */
const walSuffixes = ['-wal', '-shm'] as const;

/** How long status history is kept by default: 7 days, as Satellite. */
export const defaultHistoryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/** How long a statement waits for another connection's write lock before it fails. */
export const busyTimeoutMs = 5000;

export interface SqliteStoreOptions {
  /** Events older than this are refused on append and dropped by `evictExpired`; 7 days by default. */
  retentionMs?: number;
  /** Where "now" comes from for the retention; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
}

/** The writable embedded store, with what the agent needs to keep the history within its retention. */
export interface SqliteStore extends Store {
  /** The database file. */
  readonly file: string;
  readonly retentionMs: number;
  /** Drops the events older than the retention; resolves to how many were dropped. */
  evictExpired(): Promise<number>;
  /** A number that changes when anything has committed to the file, this connection included (read at once: cheap). */
  dataVersion(): number;
}

/** The database file of a state dir. */
export function storePath(stateDir: string): string {
  return join(stateDir, storeFileName);
}

interface HistoryRow {
  id: string;
  time: number;
  type: string;
  node: string | null;
  checker: string | null;
  detail: string | null;
}

const damagedHint =
  "the file is damaged or is not gravity's: stop the agent, move the file aside and start the agent again, which creates a new one (the status history and operations in it are lost)";
const accessHint = "check that it is a regular file the agent's user can read and write, and that its file system is writable and has room";

/** The hint for what SQLite or the file system said, so that a full disk is not answered with "check the permissions". */
function hintFor(file: string, code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT' || code.startsWith('SQLITE_FULL')) {
    return `free disk space on the file system that holds ${dirname(file)} ('df -h ${dirname(file)}' shows it); the agent can then write again`;
  }
  if (code === 'EROFS' || code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_READONLY_ROLLBACK') {
    return `the file system that holds ${file} is read-only or the file cannot be written: remount it read-write, or point --state-dir elsewhere`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return `run as the agent's user (the owner of ${file}, which is 0600), or root`;
  }
  if (code === 'EIO' || code.startsWith('SQLITE_IOERR')) {
    return `check the disk that holds ${file} (dmesg shows its errors) and that the file system has room`;
  }
  return accessHint;
}

function sqliteCode(error: unknown): string | undefined {
  if (!(error instanceof Database.SqliteError)) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}

/** Turns what SQLite or the file system says about the file into E_STORE; anything else is returned as is. */
function storeError(file: string, error: unknown, doing: string): unknown {
  if (error instanceof GravityError) return error;
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) {
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
      return new GravityError('E_STORE', `${file} is not a usable SQLite database (${message})`, { hint: damagedHint, cause: error });
    }
    if (/^SQLITE_(CANTOPEN|PERM|READONLY|AUTH|IOERR|FULL|LOCKED|BUSY)/.test(code)) {
      return new GravityError('E_STORE', `cannot ${doing} ${file}: ${message}`, { hint: hintFor(file, code), cause: error });
    }
    return error;
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && ['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'EIO', 'ENOSPC', 'ELOOP'].includes(errno)) {
    return new GravityError('E_STORE', `cannot ${doing} ${file}: ${message}`, { hint: hintFor(file, errno), cause: error });
  }
  return error;
}

function guarded<T>(file: string, doing: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw storeError(file, error, doing);
  }
}

function guard(file: string): Guard {
  return (doing, work) => guarded(file, doing, work);
}

function toEvent(row: HistoryRow): HistoryEvent {
  // The type column is written from HistoryEventType only; a newer gravity may add types, shown as stored.
  const event: HistoryEvent = { id: row.id, time: row.time, type: row.type as HistoryEventType };
  if (row.node !== null) event.node = row.node;
  if (row.checker !== null) event.checker = row.checker;
  if (row.detail !== null) event.detail = row.detail;
  return event;
}

/** The query behind `latest`: the newest event per (node, checker), a node's own events having no checker. */
function historyLatest(db: Database.Database): () => HistoryEvent[] {
  const statement = db.prepare<[], HistoryRow>(
    `SELECT rowid, id, time, type, node, checker, detail FROM (
       SELECT rowid, id, time, type, node, checker, detail,
              ROW_NUMBER() OVER (PARTITION BY node, checker ORDER BY time DESC, rowid DESC) AS newest
       FROM history WHERE node IS NOT NULL)
     WHERE newest = 1 ORDER BY time ASC, rowid ASC`,
  );
  return () => statement.all().map(toEvent);
}

/** The one query `list` runs, with only the conditions the query asks for; statements are kept per shape. */
function historyLister(db: Database.Database): (query: HistoryQuery) => HistoryEvent[] {
  const statements = new Map<string, Statement<unknown[], HistoryRow>>();
  return (query) => {
    const params: (string | number)[] = [];
    const conditions: [string, string | number | undefined][] = [
      ['time >= ?', query.since],
      ['time <= ?', query.until],
      ['node = ?', query.node],
      ['checker = ?', query.checker],
      ['type = ?', query.type],
    ];
    const asked = conditions.filter(([, value]) => value !== undefined);
    params.push(...asked.map(([, value]) => value as string | number));
    let sql = 'SELECT rowid, id, time, type, node, checker, detail FROM history';
    if (asked.length > 0) sql += ` WHERE ${asked.map(([condition]) => condition).join(' AND ')}`;
    // rowid breaks ties between events of the same millisecond: the order they were stored in.
    if (query.last !== undefined) {
      sql = `SELECT * FROM (${sql} ORDER BY time DESC, rowid DESC LIMIT ?)`;
      params.push(Math.max(0, Math.trunc(query.last)));
    }
    sql += ' ORDER BY time ASC, rowid ASC';
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.trunc(query.limit)));
    }
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[], HistoryRow>(sql);
      statements.set(sql, statement);
    }
    return statement.all(...params).map(toEvent);
  };
}

/** The file's kind, or undefined when there is no file; SQLite itself says only "disk I/O error" for a directory. */
function fileKind(file: string): 'file' | 'directory' | 'other' | undefined {
  try {
    const stats = statSync(file);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw storeError(file, error, 'open');
  }
}

/** Creates the store file 0600 if missing and takes the group's and others' bits off it and its WAL files. */
function makePrivate(file: string): void {
  // SQLite creates `-wal` and `-shm` with the mode of the database file, so they are 0600 from then on.
  guarded(file, 'open', () => {
    ensurePrivateFile(file);
    for (const suffix of walSuffixes) tightenIfPresent(file + suffix);
  });
}

function openDatabase(file: string, options: Database.Options, writable: boolean): Database.Database {
  const kind = fileKind(file);
  if (kind !== undefined && kind !== 'file') throw new GravityError('E_STORE', `cannot open ${file}: it is not a regular file`, { hint: accessHint });
  if (kind === undefined && fileKind(dirname(file)) !== 'directory') {
    // better-sqlite3 says this with a TypeError; the agent creates its state dir before it opens the store.
    throw new GravityError('E_STORE', `cannot open ${file}: the state dir ${dirname(file)} does not exist or is not a directory`, {
      hint: 'create it, or pass the --state-dir the agent uses',
    });
  }
  if (writable) makePrivate(file);
  try {
    return new Database(file, { timeout: busyTimeoutMs, ...options });
  } catch (error) {
    throw storeError(file, error, 'open');
  }
}

/** Runs `setup` on a fresh connection; closes the connection if it fails. */
function prepareConnection<T>(db: Database.Database, file: string, setup: () => T): T {
  try {
    return setup();
  } catch (error) {
    db.close();
    throw storeError(file, error, 'open');
  }
}

/**
 * Opens (creating or migrating if needed) the store of a state dir; the state dir must exist.
 * @example
 * const store = openSqliteStore('/var/lib/gravity');
 * store.history.append([{ id: 'e1', time: Date.now(), type: 'Probe Failed', node: 'node-1', checker: 'web' }]);
 * store.close();
 */
export function openSqliteStore(stateDir: string, options: SqliteStoreOptions = {}): SqliteStore {
  const retentionMs = options.retentionMs ?? defaultHistoryRetentionMs;
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) throw new RangeError(`history retention must be a positive number of ms, got ${retentionMs}`);
  const clock = options.clock ?? systemClock;
  const file = storePath(stateDir);
  const db = openDatabase(file, {}, true);

  const statements = prepareConnection(db, file, () => {
    // The first statement that reads the file: a file that is not a database fails here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new GravityError('E_STORE', `${file} could not be switched to WAL mode (it is in ${String(mode)} mode)`, { hint: accessHint });
    // Durability: a plan's phase change must be on disk before the phase's effect starts, or a crash
    // could leave a plan that lies. In WAL mode the default (NORMAL) survives a killed process (the
    // commit's write() reached the kernel) but not a power loss or kernel crash: the WAL is only
    // fsynced at checkpoints. FULL fsyncs the WAL at every commit, so a commit is on disk when it
    // returns, whatever stops the node next; checkpoints keep SQLite's default policy, since a
    // committed transaction is already durable in the WAL. The cost is one fsync per write (about
    // 0.2 ms on an SSD; history appends are batched). A per-connection setting: it is made on every open.
    db.pragma('synchronous = FULL');
    migrate(db, file);
    return {
      insert: db.prepare<[string, number, string, string | null, string | null, string | null]>(
        // An id already stored is skipped (replication sends events twice); unlike INSERT OR IGNORE, an
        // event missing a required field still fails, and takes its batch with it.
        'INSERT INTO history (id, time, type, node, checker, detail) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      ),
      evict: db.prepare<[number]>('DELETE FROM history WHERE time < ?'),
      list: historyLister(db),
      latest: historyLatest(db),
    };
  });

  const appendAll = db.transaction((events: readonly HistoryEvent[], oldest: number): number => {
    let added = 0;
    for (const event of events) {
      // As Satellite: an event already past the retention would be evicted at once, so it is refused.
      if (event.time < oldest) continue;
      added += statements.insert.run(event.id, event.time, event.type, event.node ?? null, event.checker ?? null, event.detail ?? null).changes;
    }
    return added;
  });

  const history: Synchronous<HistoryStore> = {
    append: (events) => guarded(file, 'write to', () => (events.length === 0 ? 0 : appendAll(events, clock.now() - retentionMs))),
    list: (query = {}) => guarded(file, 'read', () => statements.list(query)),
    evict: (before) => guarded(file, 'write to', () => statements.evict.run(before).changes),
    latest: () => guarded(file, 'read', () => statements.latest()),
  };

  const operations = prepareConnection(db, file, () => sqliteOperations(db, file, guard(file)));
  const users = prepareConnection(db, file, () => sqliteUsers(db, file, guard(file)));

  const evictExpired = (): number => history.evict(clock.now() - retentionMs);
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  const servedHistory = asynchronous<HistoryStore>(history);
  const store: SqliteStore = {
    file,
    retentionMs,
    history: servedHistory,
    operations: asynchronous<OperationStore>(operations),
    users: asynchronous<UserStore>(users),
    evictExpired: () => servedHistory.evict(clock.now() - retentionMs),
    // data_version moves with other connections' commits, total_changes() with this one's own rows
    // (the agent's operations write through the connection the panel reads): both only grow.
    dataVersion: () =>
      guarded(file, 'read', () => Number(db.pragma('data_version', { simple: true })) + Number(totalChanges.get())),
    close() {
      if (db.open) db.close();
      return Promise.resolve();
    },
  };
  prepareConnection(db, file, evictExpired);
  return store;
}

function readOnly(what: string): never {
  throw new GravityError('E_INTERNAL', `cannot ${what}: the store was opened read-only`);
}

function emptyStore(file: string): Store {
  return asynchronousStore({
    history: { append: () => readOnly('append history'), list: () => [], evict: () => readOnly('evict history'), latest: () => [] },
    operations: noOperations(file),
    users: noUsers(file),
    close: () => undefined,
  });
}

/** A store of synchronous parts, served async. */
function asynchronousStore(parts: { history: Synchronous<HistoryStore>; operations: Synchronous<OperationStore>; users: Synchronous<UserStore>; close: () => void }): Store {
  return {
    history: asynchronous<HistoryStore>(parts.history),
    operations: asynchronous<OperationStore>(parts.operations),
    users: asynchronous<UserStore>(parts.users),
    close: () => asynchronous<{ close: () => Promise<void> }>({ close: parts.close }).close(),
  };
}

/**
 * Opens the store of a state dir for reading only, for CLI commands (while the agent runs or not). A
 * state dir without a store (the agent never ran there) reads as an empty history and no operations,
 * not as an error; so does a file from an older gravity for what it does not have yet (a file from
 * before the operation tables has no operations, one from before the user tables no users). Writes throw.
 * @example const store = openSqliteStoreReadOnly(stateDir); const events = store.history.list({ node: 'node-1' }); store.close();
 */
export function openSqliteStoreReadOnly(stateDir: string): Store {
  const file = storePath(stateDir);
  if (fileKind(file) === undefined) return emptyStore(file);
  const db = openDatabase(file, { readonly: true, fileMustExist: true }, false);
  const views = prepareConnection(db, file, () => {
    const version = assertKnownVersion(db, file);
    if (version === 0) return undefined; // created, but the agent never got to set it up: nothing stored yet
    const operations = version >= operationsSchemaVersion ? sqliteOperationsReadOnly(db, file, guard(file)) : noOperations(file);
    const users = version >= usersSchemaVersion ? sqliteUsersReadOnly(db, file, guard(file)) : noUsers(file);
    return { list: historyLister(db), latest: historyLatest(db), operations, users };
  });
  if (views === undefined) {
    db.close();
    return emptyStore(file);
  }
  return asynchronousStore({
    history: {
      append: () => readOnly('append history'),
      list: (query = {}) => guarded(file, 'read', () => views.list(query)),
      evict: () => readOnly('evict history'),
      latest: () => guarded(file, 'read', () => views.latest()),
    },
    operations: views.operations,
    users: views.users,
    close() {
      if (db.open) db.close();
    },
  });
}
