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
      hint: 'run the gravity version that wrote it, or move the file aside (the status history in it is then lost)',
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
