// The agent's hold on its state directory: creating it with safe permissions, and the pid lock that
// keeps a second agent off the same directory. The lock file is written in full before it appears
// (a hard link of a finished temp file), so nobody ever reads a half-written lock; taking over the
// lock of a dead agent is serialized by a second exclusive file, so two agents starting at once
// cannot both take it over.

import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { processAlive } from '../processes.ts';
import type { Clock } from '../clock.ts';
import { delay } from '../clock.ts';
import { GravityError } from '../errors.ts';

export const agentLockName = 'agent.pid';
const takeoverName = 'agent.pid.takeover';
/** A takeover file older than this belongs to an agent that died while taking over. */
const staleTakeoverMs = 10_000;

export function stateDirError(stateDir: string, error: NodeJS.ErrnoException, doing: string): GravityError {
  const problem =
    error.code === 'EACCES' || error.code === 'EPERM'
      ? 'permission denied'
      : error.code === 'EROFS'
        ? 'read-only file system'
        : error.code === 'ENOTDIR' || error.code === 'EEXIST'
          ? 'a path component is not a directory'
          : error.message;
  return new GravityError('E_STATE_DIR', `cannot ${doing} state dir ${stateDir}: ${problem}`, { cause: error });
}

/** Creates the state dir (0700: it will hold the cluster's records and credentials) if it is missing. */
export function ensureStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw stateDirError(stateDir, error as NodeJS.ErrnoException, 'create');
  }
  if (!statSync(stateDir).isDirectory()) {
    throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is not a directory`, {
      hint: 'point --state-dir at a directory',
    });
  }
}

/** The pid in a lock file; `undefined` when it holds no pid, `null` when the file is gone. */
function readLockPid(lockPath: string): number | undefined | null {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Creates `path` holding `content`, atomically and only if it does not exist; false if it does. */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o644 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    removeIfPresent(temp);
  }
}

/** Milliseconds since the file was last written; undefined when it is gone. */
function ageOf(path: string, clock: Clock): number | undefined {
  try {
    return clock.now() - statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface AgentLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Synchronous so that it can run at process exit. */
  release(): void;
}

/**
 * Takes the state dir's pid lock. A lock whose process lives is refused (E_AGENT_ALREADY_RUNNING);
 * one whose process is gone is taken over, by one agent at a time.
 * @example const lock = await acquireAgentLock('/var/lib/gravity', systemClock, logger); ...; lock.release();
 */
export async function acquireAgentLock(stateDir: string, clock: Clock, logger: Logger): Promise<AgentLock> {
  const lockPath = join(stateDir, agentLockName);
  const takeoverPath = join(stateDir, takeoverName);
  const pid = process.pid;
  const lock: AgentLock = {
    path: lockPath,
    release() {
      try {
        if (readLockPid(lockPath) === pid) unlinkSync(lockPath);
      } catch (error) {
        logger.warn({ err: error, lock: lockPath }, 'could not remove the agent lock');
      }
    },
  };
  const fail = (error: unknown): never => {
    throw error instanceof GravityError ? error : stateDirError(stateDir, error as NodeJS.ErrnoException, 'lock');
  };

  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      if (createExclusive(lockPath, `${pid}\n`)) return lock;
      const holder = readLockPid(lockPath);
      if (holder === null) continue; // released meanwhile: try again
      if (holder !== undefined && processAlive(holder)) {
        throw new GravityError('E_AGENT_ALREADY_RUNNING', `an agent is already running for state dir ${stateDir} (pid ${holder})`, {
          details: [`lock file: ${lockPath}`],
          hint: `stop it first, or use another --state-dir; if pid ${holder} is not a gravity agent, remove ${lockPath}`,
        });
      }
      // The holder is dead (or the file is garbage). Only the agent holding the takeover file may
      // remove it, so a lock that another agent has just taken over is never removed by mistake.
      if (!createExclusive(takeoverPath, `${pid}\n`)) {
        const age = ageOf(takeoverPath, clock);
        if (age !== undefined && age > staleTakeoverMs) removeIfPresent(takeoverPath);
        await delay(clock, 20);
        continue;
      }
      try {
        if (readLockPid(lockPath) === holder) {
          logger.warn({ lock: lockPath, stalePid: holder ?? null }, 'taking over a stale agent lock');
          removeIfPresent(lockPath);
        }
      } finally {
        removeIfPresent(takeoverPath);
      }
    } catch (error) {
      fail(error);
    }
  }
  throw new GravityError('E_STATE_DIR', `cannot take the agent lock ${lockPath}: it keeps changing`, {
    hint: 'another agent may be starting on the same --state-dir',
  });
}
