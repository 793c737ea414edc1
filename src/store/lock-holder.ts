// Whether the holder of the operation lock is still running on this host: the same rule for every
// store backend (the lock's takeover) and for commands that look at the lock before taking it.

import { processAlive, processStartTime } from '../processes.ts';
import type { OperationLockHolder } from './types.ts';

/**
 * True if the lock's holder (a process on this host) is still running: its pid exists and, when its
 * start time was recorded, the process with that pid now started at that time (else the holder died
 * and its pid was given to another process). A start time that cannot be read now (/proc gone, or
 * the process ended a moment ago) leaves the pid's answer.
 * @example if (holder.hostname === hostname() && !lockHolderAlive(holder)) takeOver();
 */
export function lockHolderAlive(holder: Pick<OperationLockHolder, 'pid' | 'startTime'>): boolean {
  if (!processAlive(holder.pid)) return false;
  if (holder.startTime === undefined) return true;
  const startTime = processStartTime(holder.pid);
  return startTime === undefined || startTime === holder.startTime;
}
