// The store tests open many SQLite stores (writers, read-only views, reopened files) and must close
// every one before their temp dir goes: this opens them and remembers them until closeAll().

import { openSqliteStore, openSqliteStoreReadOnly } from '../../src/store/sqlite.ts';
import type { SqliteStore, SqliteStoreOptions } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/types.ts';

export interface StoreTracker {
  open(stateDir: string, options?: SqliteStoreOptions): SqliteStore;
  openReadOnly(stateDir: string): Store;
  /** Closes every store opened so far (for afterEach). */
  closeAll(): void;
}

/** @example const stores = storeTracker(); afterEach(() => stores.closeAll()); stores.open(stateDir).history.list(); */
export function storeTracker(): StoreTracker {
  const opened: { close(): void }[] = [];
  const track = <T extends { close(): void }>(store: T): T => {
    opened.push(store);
    return store;
  };
  return {
    open: (stateDir, options) => track(openSqliteStore(stateDir, options)),
    openReadOnly: (stateDir) => track(openSqliteStoreReadOnly(stateDir)),
    closeAll() {
      for (const store of opened.splice(0)) store.close();
    },
  };
}
