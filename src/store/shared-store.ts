// One connection to a state dir's store per process, shared by the parts of the agent that use it
// (the health service and the Control Panel): the file is opened, checked and migrated once, and
// closed when the last part that took it lets it go.

import { resolve } from 'node:path';
import type { SqliteStore, SqliteStoreOptions } from './sqlite.ts';
import { openSqliteStore } from './sqlite.ts';

const open = new Map<string, { store: SqliteStore; holders: number }>();

export interface SharedStore {
  store: SqliteStore;
  /** Lets go of it; the last holder's release closes it. */
  release: () => void;
}

/**
 * The state dir's store, opened on first use with these options (later takers share that one).
 * @example const { store, release } = takeSqliteStore(stateDir, { retentionMs, clock }); ... release();
 */
export function takeSqliteStore(stateDir: string, options: SqliteStoreOptions = {}): SharedStore {
  const key = resolve(stateDir);
  let entry = open.get(key);
  if (entry === undefined) {
    entry = { store: openSqliteStore(stateDir, options), holders: 0 };
    open.set(key, entry);
  }
  entry.holders += 1;
  const taken = entry;
  let released = false;
  return {
    store: taken.store,
    release: () => {
      if (released) return;
      released = true;
      taken.holders -= 1;
      if (taken.holders > 0) return;
      open.delete(key);
      taken.store.close();
    },
  };
}
