// The store's lease: what the operation lock is attached to, so that the lock of a holder whose
// store is gone (its process crashed, its host went down) frees itself when the lease expires. The
// lease is granted when the store first takes the lock and kept alive while the store is open; a
// lease etcd lost (it could not be renewed in time) is replaced by a new one at the next take.

import type { Lease, Namespace } from 'etcd3';

/** How long a lock outlives its store's last renewal, by default. */
export const defaultLeaseTtlSeconds = 10;

export interface StoreLease {
  /** The lease's id, granting it first if needed. */
  id(): Promise<string>;
  /** Forgets a lease etcd no longer has (revoked elsewhere, or expired): the next id() grants a new one. */
  forget(id: string): Promise<void>;
  /** Revokes the lease (what is attached to it is deleted) and stops renewing it. */
  revoke(): Promise<void>;
}

/**
 * The lease of one store on a client.
 * @example const lease = storeLease(ns, 10); await ns.put(key).value(v).lease(await lease.id());
 */
export function storeLease(ns: Namespace, ttlSeconds: number): StoreLease {
  let current: Lease | undefined;
  let closed = false;
  const drop = (lease: Lease): void => {
    if (current === lease) current = undefined;
  };
  return {
    id: async () => {
      if (closed) throw new Error('the store is closed');
      let lease = current;
      if (lease === undefined || lease.revoked()) {
        const fresh = ns.lease(ttlSeconds);
        fresh.on('lost', () => drop(fresh));
        current = fresh;
        lease = fresh;
      }
      try {
        return await lease.grant();
      } catch (error) {
        drop(lease);
        lease.release();
        throw error;
      }
    },
    forget: async (id) => {
      const lease = current;
      if (lease === undefined) return;
      let granted: string | undefined;
      try {
        granted = await lease.grant();
      } catch {
        granted = undefined;
      }
      if (granted !== undefined && granted !== id) return;
      drop(lease);
      lease.release();
    },
    revoke: async () => {
      closed = true;
      const lease = current;
      current = undefined;
      if (lease === undefined) return;
      try {
        await lease.revoke();
      } catch {
        // etcd is away: the lease expires by itself, and what is attached to it goes then.
        lease.release();
      }
    },
  };
}
