// Who runs operations in this process, for the operation lock, and the root of the paths a CLI's own
// operations subtree has. Kept apart from the subtree itself so that commands that only read a plan
// do not load the runtime.

import { hostname } from 'node:os';
import { processStartTime } from '../processes.ts';
import type { OperationLockHolder } from '../store/types.ts';

/** The root of the subtree a CLI starts for itself (its paths read `cli/operations/operation:<id>/...`). */
export const cliRootPath = 'cli';

/** This process as the operation lock's holder: its pid, and its start time so that a reuse of the pid is not taken for it. */
export function thisProcessHolder(): Pick<OperationLockHolder, 'pid' | 'hostname' | 'startTime'> {
  const startTime = processStartTime(process.pid);
  return { pid: process.pid, hostname: hostname(), ...(startTime === undefined ? {} : { startTime }) };
}
