// What every part of the etcd store shares: the client (its keys under the store's prefix), how a
// call's failure is reported (errors.ts), the newest revision seen (the store's data version), and
// the optimistic transaction loop: read, then commit only if what was read is unchanged, else read
// again. Kept apart so that history, operations, the lock and users stay about their own keys.

import type { IKeyValue, IResponseHeader, Namespace } from 'etcd3';
import { contended, damaged, etcdError } from './errors.ts';
import { prefixEnd } from './keys.ts';
import type { Doing } from './errors.ts';

/** How many times an optimistic transaction is tried before the write fails as contended. */
const maxAttempts = 64;

/** What one attempt of an optimistic transaction decided. */
export type Attempt<T> = { done: T } | { retry: true };

export const retry: { retry: true } = { retry: true };

export interface EtcdContext {
  /** The client, its keys relative to the store's prefix. */
  readonly ns: Namespace;
  readonly endpoints: readonly string[];
  /** Runs calls to etcd, reporting the client's failures as gravity's errors and noting the revision seen. */
  run<T>(doing: Doing, work: () => Promise<T>): Promise<T>;
  /** Notes the revision of a response (the data version moves with it). */
  observe(header: IResponseHeader | undefined): void;
  /** Runs `attempt` until it is done; `what` names the records for the contention error. */
  optimistic<T>(doing: Doing, what: string, attempt: () => Promise<Attempt<T>>): Promise<T>;
}

/**
 * The context of a store on a client.
 * @example const context = etcdContext(client.namespace('/gravity/prod/'), ['http://127.0.0.1:2379'], (revision) => { version = revision; });
 */
export function etcdContext(ns: Namespace, endpoints: readonly string[], onRevision: (revision: number) => void): EtcdContext {
  const observe = (header: IResponseHeader | undefined): void => {
    const revision = Number(header?.revision ?? 0);
    if (Number.isFinite(revision) && revision > 0) onRevision(revision);
  };
  const run = async <T>(doing: Doing, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw etcdError(error, endpoints, doing);
    }
  };
  return {
    ns,
    endpoints,
    run,
    observe,
    optimistic: (doing, what, attempt) =>
      run(doing, async () => {
        for (let tried = 0; tried < maxAttempts; tried += 1) {
          const outcome = await attempt();
          if ('done' in outcome) return outcome.done;
        }
        throw contended(doing, what);
      }),
  };
}

/** A key's value as text (etcd3 gives keys relative to the namespace). */
export function text(kv: IKeyValue): string {
  return kv.value.toString('utf8');
}

/** A key as text: relative to the namespace for the keys of a range read (getAll), whole for a single get. */
export function keyOf(kv: IKeyValue): string {
  return kv.key.toString('utf8');
}

/** The value of a key read back as JSON; `check` says whether it has the shape gravity writes. */
export function parseJson<T>(key: string, value: string, check: (parsed: unknown) => parsed is T): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw damaged(key, error);
  }
  if (!check(parsed)) throw damaged(key);
  return parsed;
}

/** A plain object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one key with its revisions; undefined if absent. */
export async function getKv(context: EtcdContext, key: string): Promise<IKeyValue | undefined> {
  const response = await context.ns.get(key).exec();
  context.observe(response.header);
  return response.kvs[0];
}

/** Every key under a prefix in key order, read in pages so that no response grows without bound. */
export async function scan(context: EtcdContext, prefix: string, start: string = prefix, end?: string): Promise<IKeyValue[]> {
  const pageSize = 500;
  const found: IKeyValue[] = [];
  const rangeEnd = end ?? prefixEnd(prefix);
  let from = start;
  for (;;) {
    const response = await context.ns.getAll().inRange({ start: from, end: rangeEnd }).sort('Key', 'Ascend').limit(pageSize).exec();
    context.observe(response.header);
    found.push(...response.kvs);
    if (!response.more || response.kvs.length === 0) return found;
    from = `${keyOf(response.kvs[response.kvs.length - 1]!)}\u0000`;
  }
}
