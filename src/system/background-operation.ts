// Runs an operation in the background (`gravity plan resume --no-block`, later `gravity upgrade
// --no-block`): under systemd as a transient service (`systemd-run --unit=gravity-resume`), whose
// output goes to the journal; elsewhere as a detached process whose output goes to
// <state-dir>/logs/operation-<id>.log. Either way a second start while one runs is refused as
// "already running" (the operation lock's live holder, or the transient unit still active), and the
// detached process is watched until it holds the operation lock, so that what the CLI prints is true.

import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { delay, systemClock } from '../clock.ts';
import { GravityError } from '../errors.ts';
import type { OperationLockHolder } from '../store/types.ts';
import type { DetachedProcess } from './detached.ts';
import { logsDir, logTail, spawnDetached } from './detached.ts';
import { gravityCommand } from './gravity-command.ts';
import { lockHolderAlive } from '../store/index.ts';
import { systemdRunning } from './systemd-env.ts';
import { describeCommand, runSystemdTool, systemdTool } from './systemctl.ts';
import { systemdRunArgs } from './transient-unit.ts';

export interface BackgroundOperationOptions {
  /** The transient unit's name without `.service`: `gravity-resume`, `gravity-upgrade`. */
  unitName: string;
  /** What it does, for the unit's description. */
  description: string;
  operationId: string;
  stateDir: string;
  /** gravity's arguments: the command that runs the operation in the foreground, with absolute paths. */
  args: readonly string[];
  /** The operation lock's holder now, from the store. */
  lockHolder: () => Promise<OperationLockHolder | undefined> | OperationLockHolder | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /** How long to watch a detached process for taking the lock (default 30 s). */
  startTimeoutMs?: number;
  clock?: Clock;
}

export type BackgroundStart =
  | { via: 'systemd'; unit: string; command: string }
  | {
      via: 'detached';
      pid: number;
      logFile: string;
      /** Whether it was seen holding the operation lock (false: it ended first, or is slow to start). */
      lockTaken: boolean;
      /** Its exit code, when it ended while watched (a short operation finishes at once). */
      exitCode?: number;
    };

/** Where a detached operation's output goes. */
export function operationLogFile(stateDir: string, operationId: string): string {
  return join(logsDir(stateDir), `operation-${operationId}.log`);
}

function alreadyRunning(message: string): GravityError {
  return new GravityError('E_OPERATION_LOCKED', message, {
    hint: "follow it with 'gravity plan --follow', or wait for it to end",
  });
}

/** Refuses when a live process on this host (or any process elsewhere) holds the operation lock. */
async function refuseIfLocked(options: BackgroundOperationOptions): Promise<void> {
  const holder = await options.lockHolder();
  if (holder === undefined) return;
  if (holder.hostname === hostname() && !lockHolderAlive(holder)) return;
  throw alreadyRunning(`operation ${holder.operationId} is already running (pid ${holder.pid} on ${holder.hostname})`);
}

async function watchDetached(child: DetachedProcess, options: BackgroundOperationOptions): Promise<BackgroundStart> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.monotonic() + (options.startTimeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  for (;;) {
    if ((await options.lockHolder())?.pid === child.pid) return { via: 'detached', pid: child.pid, logFile: child.logFile, lockTaken: true };
    if (child.ended) {
      await child.exited;
      const code = exitCode ?? null;
      const details = logTail(child.logFile, child.logStart);
      if (code === 0) return { via: 'detached', pid: child.pid, logFile: child.logFile, lockTaken: false, exitCode: 0 };
      if (code === 3 && details.some((line) => line.includes('already running') || line.includes('is being run by'))) {
        throw alreadyRunning(`operation ${options.operationId} is already running: another process took the operation lock first`);
      }
      if (code === 4) {
        throw new GravityError('E_PHASE_FAILED', `operation ${options.operationId} failed in the background (see ${child.logFile})`, { details });
      }
      throw new GravityError('E_BACKGROUND_FAILED', `the background process (pid ${child.pid}) exited with ${code === null ? 'a signal' : `code ${code}`} before it took the operation lock`, {
        details,
        hint: `the whole log is ${child.logFile}`,
      });
    }
    if (clock.monotonic() >= deadline) return { via: 'detached', pid: child.pid, logFile: child.logFile, lockTaken: false };
    await delay(clock, 50);
  }
}

/**
 * @example
 * const started = await startBackgroundOperation({ unitName: 'gravity-resume', description: 'resume', operationId, stateDir,
 *   args: ['plan', 'resume', '--operation-id', operationId, '--state-dir', stateDir], lockHolder: () => store.operations.lockHolder() });
 */
export async function startBackgroundOperation(options: BackgroundOperationOptions): Promise<BackgroundStart> {
  await refuseIfLocked(options);
  const command = [...gravityCommand(), ...options.args];
  if (systemdRunning(options.env)) {
    const unit = `${options.unitName}.service`;
    const active = (await runSystemdTool('systemctl', ['is-active', unit])).stdout.trim();
    if (active === 'active' || active === 'activating' || active === 'deactivating' || active === 'reloading') {
      throw alreadyRunning(`${unit} is already running (${active})`);
    }
    const args = systemdRunArgs({ name: options.unitName, description: options.description, command });
    await systemdTool('systemd-run', args);
    return { via: 'systemd', unit, command: describeCommand('systemd-run', args) };
  }
  const child = spawnDetached(command, operationLogFile(options.stateDir, options.operationId));
  try {
    return await watchDetached(child, options);
  } finally {
    child.release();
  }
}
