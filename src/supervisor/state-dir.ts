// The agent's hold on its state directory: creating it private (0700), refusing one that another
// user could change under it (owned by someone else, writable by others, inside a directory others
// may write), and the pid lock that keeps a second agent off the same directory. The lock file is written in full before it appears
// (a hard link of a finished temp file), so nobody ever reads a half-written lock; taking over the
// lock of a dead agent is serialized by a second exclusive file, so two agents starting at once
// cannot both take it over.

import { chmodSync, linkSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { processAlive, processIsZombie } from '../processes.ts';
import type { Clock } from '../clock.ts';
import { delay } from '../clock.ts';
import { GravityError } from '../errors.ts';

export const agentLockName = 'agent.pid';
const takeoverName = 'agent.pid.takeover';
/** A takeover file older than this belongs to an agent that died while taking over. */
const staleTakeoverMs = 10_000;

/**
 * What went wrong with the state dir (or a file in it), and what to do about it, for an errno the file
 * system gave: a full disk is answered with freeing space, a read-only one with remounting it, and
 * only a permission problem with running as root.
 * @example describeStateDirErrno('/var/lib/gravity', error) // { problem: 'no space left on the device', hint: 'free disk space on ...' }
 */
export function describeStateDirErrno(stateDir: string, error: NodeJS.ErrnoException): { problem: string; hint: string } {
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
      return { problem: 'permission denied', hint: 'run as root, or point --state-dir at a directory you own' };
    case 'EROFS':
      return { problem: 'read-only file system', hint: `remount the file system of ${stateDir} read-write, or point --state-dir at a writable one` };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        problem: error.code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded',
        hint: `free disk space on the file system that holds ${stateDir} ('df -h ${stateDir}' shows it), or point --state-dir at another file system`,
      };
    case 'ENOTDIR':
    case 'EEXIST':
      return { problem: 'a path component is not a directory', hint: `remove or rename the file in the way, or point --state-dir at a directory` };
    case 'ELOOP':
      return { problem: 'too many symbolic links', hint: 'point --state-dir at a real directory' };
    case 'ENAMETOOLONG':
      return { problem: 'the path is too long', hint: 'use a shorter --state-dir' };
    case 'EMFILE':
    case 'ENFILE':
      return { problem: 'too many open files', hint: "raise the open files limit ('ulimit -n', LimitNOFILE= in the unit) and start again" };
    case 'EIO':
      return { problem: 'input/output error', hint: `check the disk that holds ${stateDir} (dmesg shows its errors)` };
    default:
      return { problem: error.message, hint: `check that ${stateDir} is a directory this user may write` };
  }
}

export function stateDirError(stateDir: string, error: NodeJS.ErrnoException, doing: string): GravityError {
  const { problem, hint } = describeStateDirErrno(stateDir, error);
  return new GravityError('E_STATE_DIR', `cannot ${doing} state dir ${stateDir}: ${problem}`, { hint, cause: error });
}

/** The uid this process runs as; undefined where there are no uids. */
function ownUid(): number | undefined {
  return process.getuid?.();
}

function modeText(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function writers(mode: number): string {
  const group = (mode & 0o020) !== 0;
  const others = (mode & 0o002) !== 0;
  return group && others ? 'its group and other users' : group ? 'its group' : 'other users';
}

/**
 * Refuses a state dir that someone else could change under the agent: owned by another user, or
 * writable by its group or others (anyone who can write it can replace the store or the socket). One
 * that others may only read or enter is made 0700, since it holds secrets.
 */
function checkStateDirOwnership(stateDir: string): void {
  const uid = ownUid();
  const stats = statSync(stateDir);
  if (uid !== undefined && stats.uid !== uid) {
    throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is owned by uid ${stats.uid}, not by this user (uid ${uid})`, {
      details: ['the state dir holds the store with its password hashes and the TLS keys: only the agent\'s user may own it'],
      hint: `run gravity as the directory's owner (uid ${stats.uid}); or, if this user (uid ${uid}) should own it, 'chown -R ${uid} ${stateDir}'; or point --state-dir at a directory this user owns`,
    });
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is writable by ${writers(stats.mode)} (mode ${modeText(stats.mode)})`, {
      details: ['whoever can write the state dir can replace the store, the keys or the control socket'],
      hint: `chmod go-w ${stateDir} (gravity itself keeps it 0700), or point --state-dir at a private directory`,
    });
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(stateDir, 0o700);
}

/**
 * Refuses a state dir below a directory anyone may write without the sticky bit (anyone could rename
 * the state dir away and put their own in its place), or below one owned by a user other than root
 * and this one (that user could do the same).
 */
function checkParents(stateDir: string): void {
  const uid = ownUid();
  let dir = dirname(stateDir);
  for (;;) {
    const stats = statSync(dir);
    if ((stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0) {
      throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is inside ${dir}, which every user may write (mode ${modeText(stats.mode)})`, {
        hint: `chmod o-w ${dir} (or chmod +t ${dir}), or point --state-dir at a directory whose parents only root may change`,
      });
    }
    if (uid !== undefined && stats.uid !== 0 && stats.uid !== uid) {
      throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is inside ${dir}, owned by uid ${stats.uid}, who could replace it`, {
        hint: `point --state-dir at a directory whose parents belong to root or to this user (uid ${uid})`,
      });
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Creates the state dir (0700: it will hold the cluster's records and credentials) if it is missing,
 * and checks that nobody but this user can change it: see checkStateDirOwnership and checkParents.
 */
export function ensureStateDir(stateDir: string): void {
  const absolute = resolve(stateDir);
  try {
    mkdirSync(absolute, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw stateDirError(stateDir, error as NodeJS.ErrnoException, 'create');
  }
  if (!statSync(absolute).isDirectory()) {
    throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is not a directory`, {
      hint: 'point --state-dir at a directory',
    });
  }
  try {
    const real = realpathSync(absolute);
    checkParents(real);
    checkStateDirOwnership(real);
  } catch (error) {
    throw error instanceof GravityError ? error : stateDirError(stateDir, error as NodeJS.ErrnoException, 'check');
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

/**
 * The pid in the state dir's lock when that process lives (a zombie, dead but not yet reaped, does
 * not); undefined when there is no lock, no pid in it, or its process has gone.
 * @example const pid = liveLockHolder('/var/lib/gravity'); // 4242 while the agent runs
 */
export function liveLockHolder(stateDir: string): number | undefined {
  let pid: number | undefined | null;
  try {
    pid = readLockPid(join(stateDir, agentLockName));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw error;
  }
  return typeof pid === 'number' && processAlive(pid) && !processIsZombie(pid) ? pid : undefined;
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
