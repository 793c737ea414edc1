// One connection to a state dir's store per process, shared by the parts of the agent that use it
// (the health service and the Control Panel): the store is opened, checked and migrated once, and
// closed when the last part that took it lets it go.

import { resolve } from 'node:path';
import { defaultStoreBackend, openStore } from './open-store.ts';
import type { OpenStoreOptions, StoreConfig, WritableStore } from './open-store.ts';

const open = new Map<string, { store: WritableStore; holders: number }>();

export interface SharedStore {
  store: WritableStore;
  /** Lets go of it; the last holder's release closes it. */
  release: () => void;
}

/**
 * The configuration's store, opened on first use with these settings (later takers share that one).
 * @example const { store, release } = takeStore({ stateDir, historyRetentionMs }, { clock }); ... release();
 */
export function takeStore(config: StoreConfig, options: OpenStoreOptions = {}): SharedStore {
  const backend = config.store ?? defaultStoreBackend;
  // One SQLite file per state dir; one etcd store per cluster, endpoints and prefix.
  const key = backend.kind === 'sqlite' ? `sqlite:${resolve(config.stateDir)}` : `etcd:${JSON.stringify(backend)}`;
  let entry = open.get(key);
  if (entry === undefined) {
    entry = { store: openStore(config, options), holders: 0 };
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
      void taken.store.close();
    },
  };
}
