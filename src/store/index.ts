// The store as the rest of gravity sees it: the `Store` interface, the factory that opens the backend
// a configuration names, the per-process shared connection, and the lock's liveness rule. Modules
// outside src/store/ import from here (or types.ts), never from a backend module.

export { defaultStoreBackend, openStore, openStoreReadOnly } from './open-store.ts';
export type { EtcdBackendConfig, EtcdTlsConfig, OpenStoreOptions, SqliteBackendConfig, StoreBackendConfig, StoreConfig, WritableStore } from './open-store.ts';
export { takeStore } from './shared-store.ts';
export type { SharedStore } from './shared-store.ts';
export { lockHolderAlive } from './lock-holder.ts';
export type * from './types.ts';
export { historyEventTypes } from './types.ts';
