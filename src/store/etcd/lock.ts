// The cluster's operation lock in etcd: one key holding its holder, written only in a transaction
// that finds it as it was read (absent, or held by a holder that may be replaced), and attached to
// the store's lease (lease.ts): a holder's lock frees itself when its store's lease expires, wherever
// it ran. A holder on this host whose process is gone is taken over at once by the rule every
// backend shares (lockHolderAlive); a holder on another host stays until it releases the lock or its
// lease expires.

import { hostname } from 'node:os';
import { lockHolderAlive } from '../lock-holder.ts';
import type { LockResult, OperationLockHolder, OperationStore } from '../types.ts';
import { getKv, isObject, parseJson, retry, text } from './context.ts';
import type { EtcdContext } from './context.ts';
import { keys } from './keys.ts';
import type { StoreLease } from './lease.ts';

function isHolder(value: unknown): value is OperationLockHolder {
  return (
    isObject(value) &&
    typeof value.operationId === 'string' &&
    typeof value.pid === 'number' &&
    typeof value.hostname === 'string' &&
    typeof value.since === 'number' &&
    (value.startTime === undefined || typeof value.startTime === 'number')
  );
}

function storedHolder(holder: OperationLockHolder): OperationLockHolder {
  return {
    operationId: holder.operationId,
    pid: holder.pid,
    hostname: holder.hostname,
    since: holder.since,
    ...(holder.startTime === undefined ? {} : { startTime: holder.startTime }),
  };
}

function checkHolder(holder: OperationLockHolder): void {
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) throw new RangeError(`the lock holder's pid must be a positive integer, got ${holder.pid}`);
  if (holder.startTime !== undefined && (!Number.isSafeInteger(holder.startTime) || holder.startTime < 0)) {
    throw new RangeError(`the lock holder's start time must be a non-negative integer, got ${holder.startTime}`);
  }
}

/** etcd refused a put because the lease it names is gone (revoked, or expired before a renewal). */
function leaseGone(error: unknown): boolean {
  return error instanceof Error && /lease not found/i.test(error.message);
}

/**
 * The operation lock of an etcd store.
 * @example const lock = etcdLock(context, storeLease(ns, 10)); await lock.acquireLock(holder);
 */
export function etcdLock(context: EtcdContext, lease: StoreLease): Pick<OperationStore, 'acquireLock' | 'releaseLock' | 'lockHolder'> {
  const { ns } = context;
  const localHost = hostname();

  const current = async (): Promise<{ holder: OperationLockHolder; modRevision: string } | undefined> => {
    const kv = await getKv(context, keys.lock);
    return kv === undefined ? undefined : { holder: storedHolder(parseJson(keys.lock, text(kv), isHolder)), modRevision: kv.mod_revision };
  };

  const acquireLock = async (holder: OperationLockHolder): Promise<LockResult> => {
    checkHolder(holder);
    return context.optimistic<LockResult>('write to', 'the operation lock', async () => {
      const held = await current();
      if (held !== undefined) {
        // A pid can only be checked on its own host; a holder elsewhere is alive until its lease expires.
        const replaceable = held.holder.hostname === localHost && (held.holder.pid === holder.pid || !lockHolderAlive(held.holder));
        if (!replaceable) return { done: { acquired: false, holder: held.holder } };
      }
      const leaseId = await lease.id();
      try {
        const response = await ns
          .if(keys.lock, 'Mod', '==', held?.modRevision ?? 0)
          .then(ns.put(keys.lock).value(JSON.stringify(storedHolder(holder))).lease(leaseId))
          .commit();
        context.observe(response.header);
        return response.succeeded ? { done: { acquired: true } } : retry;
      } catch (error) {
        if (!leaseGone(error)) throw error;
        await lease.forget(leaseId);
        return retry;
      }
    });
  };

  const releaseLock = (operationId: string, pid: number): Promise<void> =>
    context.optimistic('write to', 'the operation lock', async () => {
      const held = await current();
      if (held === undefined || held.holder.operationId !== operationId || held.holder.pid !== pid) return { done: undefined };
      const response = await ns.if(keys.lock, 'Mod', '==', held.modRevision).then(ns.delete().key(keys.lock)).commit();
      context.observe(response.header);
      return response.succeeded ? { done: undefined } : retry;
    });

  return {
    acquireLock,
    releaseLock,
    lockHolder: () => context.run('read', async () => (await current())?.holder),
  };
}
