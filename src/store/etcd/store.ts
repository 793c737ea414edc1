// The etcd store: the same `Store` as the embedded SQLite file, kept in an etcd cluster so that every
// master sees one status history, one set of operations with one lock, and one set of users. This
// module opens the client (endpoints, TLS, a deadline on every call so that an absent etcd is an
// error, not a hang), builds the parts under the store's prefix, and keeps the data version: the
// newest etcd revision the store has seen, refreshed by a cheap read whenever it is asked for.

import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { IOptions } from 'etcd3';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { GravityError } from '../../errors.ts';
import type { HistoryStore, OperationStore, Store, UserStore } from '../types.ts';
import { etcdContext } from './context.ts';
import { etcdHistory } from './history.ts';
import { defaultEtcdPrefix, keys } from './keys.ts';
import { defaultLeaseTtlSeconds, storeLease } from './lease.ts';
import { etcdLock } from './lock.ts';
import { etcdOperations } from './operations.ts';
import { etcdUsers } from './users.ts';

/** How long one call to etcd may take before it fails as unavailable. */
export const defaultCallTimeoutMs = 5000;

/** Files of the client's TLS: the CA that signed etcd's certificate, and the client's own certificate and key. */
export interface EtcdTlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

export interface EtcdStoreOptions {
  /** `http(s)://host:port` of the etcd members. */
  endpoints: readonly string[];
  /** Where the store's keys live; `/gravity/default/` by default. It ends with `/`. */
  prefix?: string;
  tls?: EtcdTlsFiles;
  /** How long status history is kept (events older are refused and evicted); 7 days by default. */
  retentionMs?: number;
  /** Where "now" comes from for the history's retention; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
  /** The lease of the operation lock, in seconds: how long a lock outlives its store's last renewal. */
  leaseTtlSeconds?: number;
  /** How long one call may take; 5 s by default. */
  callTimeoutMs?: number;
}

/** The writable etcd store. */
export interface EtcdStore extends Store {
  /** The newest etcd revision this store has seen: it changes when anything commits (read cheaply, refreshed in the background). */
  dataVersion(): number;
  /** Drops the events older than the retention; resolves to how many were dropped. */
  evictExpired(): Promise<number>;
}

const defaultRetentionMs = 7 * 24 * 60 * 60 * 1000;

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new GravityError('E_STORE', `cannot read the etcd store's ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "check store.tls in the configuration: the files must exist and be readable by the agent's user",
      cause: error,
    });
  }
}

function clientOptions(options: EtcdStoreOptions): IOptions {
  const timeoutMs = options.callTimeoutMs ?? defaultCallTimeoutMs;
  const tls = options.tls;
  return {
    hosts: [...options.endpoints],
    dialTimeout: timeoutMs,
    // Streams (lease renewals) run for the store's life; every other call has a deadline.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    // No blind retries: a transaction whose answer was lost could have committed, and is re-read instead.
    faultHandling: { global: noop },
    ...(tls === undefined
      ? {}
      : {
          credentials: {
            rootCertificate: readTlsFile(tls.ca, 'CA certificate'),
            ...(tls.cert === undefined ? {} : { certChain: readTlsFile(tls.cert, 'client certificate') }),
            ...(tls.key === undefined ? {} : { privateKey: readTlsFile(tls.key, 'client key') }),
          },
        }),
  };
}

/**
 * Opens the etcd store; it connects on first use, so opening never waits for etcd.
 * @example const store = openEtcdStore({ endpoints: ['http://127.0.0.1:2379'], prefix: '/gravity/prod/' }); await store.history.list(); await store.close();
 */
export function openEtcdStore(options: EtcdStoreOptions): EtcdStore {
  const retentionMs = options.retentionMs ?? defaultRetentionMs;
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) throw new RangeError(`history retention must be a positive number of ms, got ${retentionMs}`);
  if (options.endpoints.length === 0) throw new RangeError('the etcd store needs at least one endpoint');
  const prefix = options.prefix ?? defaultEtcdPrefix;
  const clock = options.clock ?? systemClock;
  const client = new Etcd3(clientOptions(options));
  const ns = client.namespace(prefix.endsWith('/') ? prefix : `${prefix}/`);
  let revision = 0;
  const context = etcdContext(ns, options.endpoints, (seen) => {
    if (seen > revision) revision = seen;
  });
  const lease = storeLease(ns, options.leaseTtlSeconds ?? defaultLeaseTtlSeconds);
  const history = etcdHistory(context, { retentionMs, clock });
  const operations: OperationStore = { ...etcdOperations(context), ...etcdLock(context, lease) };
  const users = etcdUsers(context);
  let refreshing = false;
  let closed = false;

  const refresh = (): void => {
    if (refreshing || closed) return;
    refreshing = true;
    // Any read answers with the cluster's revision; the key need not exist.
    ns.get(keys.historySeq)
      .exec()
      .then((response) => context.observe(response.header))
      .catch(() => undefined)
      .finally(() => (refreshing = false));
  };

  return {
    history,
    operations,
    users,
    evictExpired: () => history.evict(clock.now() - retentionMs),
    dataVersion: () => {
      refresh();
      return revision;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await lease.revoke();
      } finally {
        client.close();
      }
    },
  };
}

function readOnly(what: string): never {
  throw new GravityError('E_STORE', `cannot ${what}: the etcd store was opened read-only`, {
    hint: 'this command only reads the store; the agent and the commands that change it open it for writing',
  });
}

/**
 * The etcd store for reading only: reads work, writes throw E_STORE.
 * @example const store = openEtcdStoreReadOnly({ endpoints }); await store.operations.list(); await store.close();
 */
export function openEtcdStoreReadOnly(options: EtcdStoreOptions): Store {
  const store = openEtcdStore(options);
  const history: HistoryStore = { ...store.history, append: () => readOnly('append history'), evict: () => readOnly('evict history') };
  const operations: OperationStore = {
    ...store.operations,
    create: () => readOnly('create an operation'),
    appendChange: () => readOnly('record a phase change'),
    setState: () => readOnly("set an operation's state"),
    acquireLock: () => readOnly('take the operation lock'),
    releaseLock: () => readOnly('release the operation lock'),
    recordPhaseProcess: () => readOnly("record a phase's process group"),
    clearPhaseProcess: () => readOnly("clear a phase's process group"),
  };
  const users: UserStore = {
    ...store.users,
    issueToken: () => readOnly('issue a user token'),
    redeemToken: () => readOnly('redeem a user token'),
    createSession: () => readOnly('start a session'),
    deleteSession: () => readOnly('end a session'),
    prune: () => readOnly('prune sessions and tokens'),
  };
  return { history, operations, users, close: () => store.close() };
}
