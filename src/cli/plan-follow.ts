// `gravity plan --follow`: a line per phase change of an operation, until the operation ends. A
// failed phase does not end it while the operation is still in progress: the follower says the
// operation waits on that phase (for `gravity plan resume` or `gravity rollback`) and goes on
// following, so that a resume typed in another terminal is followed to its end. Ctrl-C, SIGINT and
// SIGTERM end it early.

import { GravityError } from '../errors.ts';
import { leaves } from '../plan/phase-state.ts';
import type { Operation, PhaseState } from '../plan/types.ts';
import { formatFollowEndLine, formatFollowLine, formatFollowWaitingLine } from './format-plan.ts';
import type { CliOutput } from './program.ts';

/** Where a followed operation stands. */
export type FollowStatus =
  | { kind: 'running' }
  /** A phase failed, nothing runs any more, and the operation is still in progress. */
  | { kind: 'waiting'; phaseId: string }
  | { kind: 'completed' }
  | { kind: 'rolled back' }
  /** Ended failed without a rollback (`gravity plan complete` on a failed plan). */
  | { kind: 'failed' };

/**
 * @example followStatus(operation) // { kind: 'waiting', phaseId: '/finish/check' }
 */
export function followStatus(operation: Operation): FollowStatus {
  if (operation.state === 'completed') return { kind: 'completed' };
  if (operation.state === 'failed') return operation.rolledBack === true ? { kind: 'rolled back' } : { kind: 'failed' };
  const all = leaves(operation.plan);
  const failed = all.find((leaf) => leaf.state === 'failed');
  if (failed === undefined || all.some((leaf) => leaf.state === 'in_progress')) return { kind: 'running' };
  return { kind: 'waiting', phaseId: failed.id };
}

export interface FollowOptions {
  /** The operation as it stands now (read again at every poll). */
  read: () => Operation | Promise<Operation>;
  output: CliOutput;
  color: boolean;
  /** Aborted by SIGINT/SIGTERM: the follow ends at once, without an error. */
  signal: AbortSignal;
  pollMs?: number;
  now?: () => number;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Follows until the operation ends (resolves when it completed or was rolled back; throws
 * E_PHASE_FAILED when it ended failed) or `signal` is aborted (resolves).
 * @example await followOperation({ read: () => operationView(store, record), output, color: false, signal });
 */
export async function followOperation(options: FollowOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const seen = new Map<string, PhaseState>();
  let first = true;
  let waitingOn: string | undefined;
  while (!options.signal.aborted) {
    const operation = await options.read();
    const all = leaves(operation.plan);
    all.forEach((leaf, index) => {
      const before = seen.get(leaf.id);
      seen.set(leaf.id, leaf.state);
      if (before === leaf.state || (first && leaf.state === 'unstarted')) return;
      options.output.out(`${formatFollowLine(leaf.updated ?? now(), index + 1, all.length, leaf.id, leaf.state, { color: options.color })}\n`, { styled: options.color });
    });
    first = false;
    const status = followStatus(operation);
    switch (status.kind) {
      case 'failed':
        throw new GravityError('E_PHASE_FAILED', `operation ${operation.id} ended failed`);
      case 'completed':
      case 'rolled back':
        options.output.out(`${formatFollowEndLine(now(), status.kind, { color: options.color })}\n`, { styled: options.color });
        return;
      case 'waiting':
        // Said once per wait: a resume that fails again says it again.
        if (waitingOn !== status.phaseId) options.output.out(`${formatFollowWaitingLine(now(), operation.id, status.phaseId, { color: options.color })}\n`, { styled: options.color });
        waitingOn = status.phaseId;
        break;
      case 'running':
        waitingOn = undefined;
        break;
    }
    await pause(options.pollMs ?? 250, options.signal);
  }
}
