// Facts about other processes on this host that locks need: whether a pid is alive, and when the
// process behind a pid started (so that a pid reused by a new process is not taken for the old one).
// The agent's pid lock, the operation lock and the CLI's checks of a running agent share them.

import { existsSync, readFileSync } from 'node:fs';

/**
 * True if a process with this pid exists on this host. EPERM means it exists but belongs to another
 * user. A zombie (dead, not yet reaped by its parent) still counts as alive: its pid is not free.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false; // 0 and negatives would name process groups
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
}

/**
 * Field 22 (`starttime`: clock ticks since boot) of the text of /proc/<pid>/stat, or undefined if it
 * is not there. Field 2 is the command name in parentheses, which may itself hold spaces and
 * parentheses (a process can name itself `a) b (c`), so the fields are counted after the last ')'.
 */
export function parseProcStatStartTime(stat: string): number | undefined {
  const commEnd = stat.lastIndexOf(')');
  if (commEnd < 0) return undefined;
  // After the command name: field 3 (state) first, so field 22 is the 20th.
  const value = stat.slice(commEnd + 1).trim().split(/\s+/)[19];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const ticks = Number(value);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/**
 * When the process with this pid started, in clock ticks since boot, from /proc/<pid>/stat; undefined
 * when it cannot be read (no such process, or no /proc: not Linux).
 * @example const startTime = processStartTime(process.pid); // 123456 on Linux
 */
export function processStartTime(pid: number): number | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStatStartTime(stat);
}

/**
 * True when the pid's process has ended but its parent has not reaped it yet (state Z or X in
 * /proc/<pid>/stat): alive to kill(0), gone for anyone waiting for it to exit.
 */
export function processIsZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch (error) {
    // Gone since the caller looked: as good as a zombie. Without /proc at all, nothing says it is one.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self');
  }
}
