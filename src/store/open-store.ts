// Opens the store a configuration names. Every part of gravity outside src/store/ opens its store
// here and sees only the `Store` interface: the backend (the embedded SQLite file in the state dir,
// or an etcd cluster) is chosen by the configuration's `store` key, so another backend is one more
// case below.

import type { Clock } from '../clock.ts';
import { openEtcdStore, openEtcdStoreReadOnly } from './etcd/store.ts';
import type { EtcdStoreOptions } from './etcd/store.ts';
import { openSqliteStore, openSqliteStoreReadOnly } from './sqlite.ts';
import type { Store } from './types.ts';

/** The embedded SQLite store: one file in the state dir. */
export interface SqliteBackendConfig {
  kind: 'sqlite';
}

/** Files of the etcd client's TLS (absolute paths): the CA that signed etcd's certificate, and the client's certificate and key. */
export interface EtcdTlsConfig {
  ca: string;
  cert?: string;
  key?: string;
}

/** An etcd cluster (docs/store-etcd.md): every master of the cluster shares its store. */
export interface EtcdBackendConfig {
  kind: 'etcd';
  /** `http(s)://host:port` of the members, at most 16. */
  endpoints: string[];
  /** Where the store's keys live; `/gravity/default/` when absent. */
  prefix?: string;
  /** For `https` endpoints. */
  tls?: EtcdTlsConfig;
}

/** Which backend keeps the store; tell them apart by `kind`. */
export type StoreBackendConfig = SqliteBackendConfig | EtcdBackendConfig;

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

function etcdOptions(backend: EtcdBackendConfig, config: Pick<StoreConfig, 'historyRetentionMs'>, options: OpenStoreOptions): EtcdStoreOptions {
  return {
    endpoints: backend.endpoints,
    ...(backend.prefix === undefined ? {} : { prefix: backend.prefix }),
    ...(backend.tls === undefined ? {} : { tls: backend.tls }),
    ...(config.historyRetentionMs === undefined ? {} : { retentionMs: config.historyRetentionMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
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
    case 'etcd':
      return openEtcdStore(etcdOptions(backend, config, options));
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
    case 'etcd':
      return openEtcdStoreReadOnly(etcdOptions(backend, {}, {}));
  }
}
