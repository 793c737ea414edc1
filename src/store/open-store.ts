// Opens the store a configuration names. Every part of gravity outside src/store/ opens its store
// here and sees only the `Store` interface: the backend (today the embedded SQLite file in the state
// dir) is chosen by the configuration's `store` key, so another backend is one more case below.

import type { Clock } from '../clock.ts';
import { openSqliteStore, openSqliteStoreReadOnly } from './sqlite.ts';
import type { Store } from './types.ts';

/** The embedded SQLite store: one file in the state dir. */
export interface SqliteBackendConfig {
  kind: 'sqlite';
}

/** Which backend keeps the store; tell them apart by `kind`. */
export type StoreBackendConfig = SqliteBackendConfig;

/** The embedded SQLite store, used when the configuration names none. */
export const defaultStoreBackend: StoreBackendConfig = { kind: 'sqlite' };

/** What opening a store reads from the configuration. */
export interface StoreConfig {
  /** The agent's state dir (the SQLite backend keeps its file there); it must exist. */
  stateDir: string;
  /** How long status history is kept; the backend's default when absent. */
  historyRetentionMs?: number;
  /** The backend; the embedded SQLite store when absent. */
  store?: StoreBackendConfig;
}

export interface OpenStoreOptions {
  /** Where "now" comes from for the history's retention; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
}

/** A writable store as the agent and the commands that write use it. */
export interface WritableStore extends Store {
  /** A number that changes when anything has committed to the store: another connection (or process), or this one. */
  dataVersion(): number;
}

function backendOf(config: Pick<StoreConfig, 'store'>): StoreBackendConfig {
  return config.store ?? defaultStoreBackend;
}

/**
 * Opens (creating or migrating if needed) the store the configuration names, for reading and writing.
 * @example const store = openStore(config); try { store.history.list(); } finally { store.close(); }
 */
export function openStore(config: StoreConfig, options: OpenStoreOptions = {}): WritableStore {
  const backend = backendOf(config);
  switch (backend.kind) {
    case 'sqlite':
      return openSqliteStore(config.stateDir, {
        ...(config.historyRetentionMs === undefined ? {} : { retentionMs: config.historyRetentionMs }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
  }
}

/**
 * Opens the store the configuration names for reading only, for commands that run while the agent
 * may be down. A store that was never created reads as empty, not as an error; writes throw.
 * @example const store = openStoreReadOnly(config); try { store.operations.list(); } finally { store.close(); }
 */
export function openStoreReadOnly(config: Pick<StoreConfig, 'stateDir' | 'store'>): Store {
  const backend = backendOf(config);
  switch (backend.kind) {
    case 'sqlite':
      return openSqliteStoreReadOnly(config.stateDir);
  }
}
