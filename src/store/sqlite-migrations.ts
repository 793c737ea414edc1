// The embedded store's schema, as an ordered list of migrations. The database records the last one it
// ran in `PRAGMA user_version`, so opening a file made by an older gravity brings it up to date in one
// transaction, and a file made by a newer gravity is refused instead of being misread.

import type { Database } from 'better-sqlite3';
import { GravityError } from '../errors.ts';

export interface Migration {
  /** The `user_version` the database has once this migration ran; 1, 2, 3, ... without gaps. */
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'status history',
    up(db) {
      db.exec(`
        CREATE TABLE history (
          id      TEXT PRIMARY KEY NOT NULL,
          time    INTEGER NOT NULL,
          type    TEXT NOT NULL,
          node    TEXT,
          checker TEXT,
          detail  TEXT
        );
        CREATE INDEX history_time ON history (time);
      `);
    },
  },
  {
    version: 2,
    description: 'operations: plans, the append-only changelog of leaf states, the operation lock',
    up(db) {
      // The plan is written once, as JSON, with its operation; leaf states are only ever appended to
      // phase_changes (seq gives their order, AUTOINCREMENT never reuses one), so a plan is rebuilt
      // from the two. The state lists are frozen here on purpose: a migration must mean the same
      // thing forever, and a new state would come with a new migration.
      db.exec(`
        CREATE TABLE operations (
          id          TEXT PRIMARY KEY NOT NULL,
          type        TEXT NOT NULL,
          description TEXT NOT NULL,
          state       TEXT NOT NULL CHECK (state IN ('in_progress', 'completed', 'failed')),
          created     INTEGER NOT NULL,
          updated     INTEGER NOT NULL,
          rolled_back INTEGER NOT NULL DEFAULT 0 CHECK (rolled_back IN (0, 1)),
          plan        TEXT NOT NULL CHECK (json_valid(plan))
        );
        CREATE INDEX operations_created ON operations (created);
        CREATE TABLE phase_changes (
          seq          INTEGER PRIMARY KEY AUTOINCREMENT,
          operation_id TEXT NOT NULL,
          phase_id     TEXT NOT NULL,
          state        TEXT NOT NULL CHECK (state IN ('unstarted', 'in_progress', 'completed', 'failed', 'rolled_back')),
          time         INTEGER NOT NULL,
          error        TEXT
        );
        CREATE INDEX phase_changes_operation ON phase_changes (operation_id);
        CREATE TABLE operation_lock (
          id           INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
          operation_id TEXT NOT NULL,
          pid          INTEGER NOT NULL,
          hostname     TEXT NOT NULL,
          since        INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    description: 'users, their signup and reset tokens, and Control Panel sessions',
    up(db) {
      // Secrets are stored as their sha-256 only (token_hash, id_hash): a copy of the file does not
      // let anyone sign up, reset a password or take over a session. A user row exists once its
      // password is set; an invited user is a signup token until then. used_at is set once, by the
      // single UPDATE that redeems a token.
      db.exec(`
        CREATE TABLE users (
          email         TEXT PRIMARY KEY NOT NULL,
          roles         TEXT NOT NULL CHECK (json_valid(roles)),
          password_hash TEXT NOT NULL,
          created       INTEGER NOT NULL,
          updated       INTEGER NOT NULL
        );
        CREATE TABLE user_tokens (
          token_hash TEXT PRIMARY KEY NOT NULL,
          email      TEXT NOT NULL,
          kind       TEXT NOT NULL CHECK (kind IN ('signup', 'reset')),
          roles      TEXT NOT NULL CHECK (json_valid(roles)),
          created    INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          used_at    INTEGER
        );
        CREATE INDEX user_tokens_email ON user_tokens (email, kind);
        CREATE INDEX user_tokens_expires ON user_tokens (expires_at);
        CREATE TABLE sessions (
          id_hash    TEXT PRIMARY KEY NOT NULL,
          email      TEXT NOT NULL,
          csrf_token TEXT NOT NULL,
          created    INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX sessions_email ON sessions (email);
        CREATE INDEX sessions_expires ON sessions (expires_at);
      `);
    },
  },
  {
    version: 4,
    description: "the operation lock's holder: its process start time",
    up(db) {
      // A pid alone does not name a process: once the holder is dead its pid may be given to another
      // one. start_time is the holder's start in clock ticks since boot (/proc/<pid>/stat); NULL means
      // unknown (a lock taken before this column, or where /proc cannot be read): only the pid is checked.
      db.exec('ALTER TABLE operation_lock ADD COLUMN start_time INTEGER DEFAULT NULL');
    },
  },
  {
    version: 5,
    description: "the process groups of running phases",
    up(db) {
      // A row is written before a phase's command runs and deleted once nothing of its process group
      // is left: a row that stays names a group that may have survived whatever ran the phase. The
      // group id with the start time of its first process (clock ticks since boot, NULL when unknown)
      // names it; a pid reused by another process has another start time.
      db.exec(`
        CREATE TABLE phase_processes (
          operation_id TEXT NOT NULL,
          phase_id     TEXT NOT NULL,
          pgid         INTEGER NOT NULL,
          start_time   INTEGER,
          hostname     TEXT NOT NULL,
          since        INTEGER NOT NULL,
          PRIMARY KEY (operation_id, phase_id, pgid)
        );
      `);
    },
  },
];

/** The schema version this build reads and writes. */
export const schemaVersion: number = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Reads `PRAGMA user_version`. */
export function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a file written by a newer gravity: its schema may mean something this build does not know. */
export function assertKnownVersion(db: Database, file: string, latest: number = schemaVersion): number {
  const version = userVersion(db);
  if (version > latest) {
    throw new GravityError('E_STORE', `${file} has schema version ${version}, newer than this gravity knows (${latest})`, {
      hint: 'run the gravity version that wrote it, or move the file aside (the status history and operations in it are then lost)',
    });
  }
  return version;
}

/**
 * Runs every migration the database has not had yet, in one transaction; returns the versions it ran.
 * @example const ran = migrate(db, '/var/lib/gravity/gravity.db'); // [1] on a new file, [] afterwards
 */
export function migrate(db: Database, file: string, all: readonly Migration[] = migrations): number[] {
  const ordered = [...all].sort((a, b) => a.version - b.version);
  const latest = ordered.at(-1)?.version ?? 0;
  const ran: number[] = [];
  const run = db.transaction(() => {
    ran.length = 0;
    const current = assertKnownVersion(db, file, latest);
    for (const migration of ordered) {
      if (migration.version <= current) continue;
      migration.up(db);
      // PRAGMA does not take bound parameters; the version is an integer from the list above.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
      ran.push(migration.version);
    }
  });
  // IMMEDIATE: two processes opening a new file at once do not both try to create the tables.
  run.immediate();
  return ran;
}
