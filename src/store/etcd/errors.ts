// What the etcd client says becomes one of gravity's errors, so that a caller (the Control Panel, a
// command) gets a clear E_STORE_UNAVAILABLE naming the endpoints instead of a gRPC stack trace: etcd
// down, unreachable, too slow, or refusing the client's credentials. A request etcd refuses as
// malformed or too large is E_STORE; gravity's own errors pass through unchanged.

import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdError,
  EtcdLeaseInvalidError,
  GRPCGenericError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
} from 'etcd3';
import { GravityError } from '../../errors.ts';

/** What a store operation was doing, for messages. */
export type Doing = 'read' | 'write to';

function isEtcdFailure(error: unknown): error is Error {
  return (
    error instanceof GRPCGenericError ||
    error instanceof EtcdError ||
    error instanceof EtcdLeaseInvalidError ||
    error instanceof ClientClosedError ||
    error instanceof BrokenCircuitError ||
    error instanceof TaskCancelledError
  );
}

/**
 * The error to report for what the etcd client threw; anything that is not the client's is returned as is.
 * @example catch (error) { throw etcdError(error, ['http://127.0.0.1:2379'], 'read'); }
 */
export function etcdError(error: unknown, endpoints: readonly string[], doing: Doing): unknown {
  if (error instanceof GravityError || !isEtcdFailure(error)) return error;
  const where = `the etcd store at ${endpoints.join(', ')}`;
  if (error instanceof GRPCInvalidArgumentError || error instanceof GRPCOutOfRangeError || error instanceof GRPCResourceExhastedError) {
    return new GravityError('E_STORE', `etcd refused to let gravity ${doing} ${where}: ${error.message}`, {
      hint: "etcd's request limits (--max-request-bytes, --max-txn-ops) may be lower than its defaults; its log names the refused request",
      cause: error,
    });
  }
  return new GravityError('E_STORE_UNAVAILABLE', `cannot ${doing} ${where}: ${error.message}`, {
    hint: `check that etcd is running and reachable ('etcdctl --endpoints=${endpoints.join(',')} endpoint health'), and the store's TLS files; gravity uses the store again as soon as etcd answers`,
    cause: error,
  });
}

/** A record that gravity did not write as it reads it: E_STORE naming the key. */
export function damaged(key: string, cause?: unknown): GravityError {
  return new GravityError('E_STORE', `the etcd store's key ${key} is damaged`, {
    hint: 'it was changed by something other than gravity; delete the key (etcdctl del) or restore it from a backup',
    cause,
  });
}

/** Too many writers raced for the same keys: a transaction kept finding them changed. */
export function contended(doing: Doing, what: string): GravityError {
  return new GravityError('E_STORE_UNAVAILABLE', `cannot ${doing} the etcd store: ${what} kept changing under this write`, {
    hint: 'many writers raced for the same records; try again',
  });
}
