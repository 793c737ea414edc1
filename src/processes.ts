// Facts about other processes on this host that locks and process groups need: whether a pid is
// alive, when the process behind a pid started (so that a pid reused by a new process is not taken for
// the old one), and whether a process group still has a living member. The agent's pid lock, the
// operation lock, the CLI's checks of a running agent and the ending of process groups share them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

/** One process of a group, as /proc/<pid>/stat describes it. */
export interface GroupMember {
  pid: number;
  /** The state letter: R, S, D, T, Z (zombie), ... */
  state: string;
  /** Clock ticks since boot, as processStartTime. */
  startTime: number | undefined;
}

/**
 * The processes whose process group is `pgid`, from /proc (zombies included; see `state`); empty
 * where /proc cannot be read. Processes that vanish while it reads are skipped.
 * @example processGroupMembers(1234).filter((member) => member.state !== 'Z')
 */
export function processGroupMembers(pgid: number): GroupMember[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: GroupMember[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const commEnd = stat.lastIndexOf(')');
    if (commEnd < 0) continue;
    // After the command name: state, ppid, pgrp, ...
    const fields = stat.slice(commEnd + 1).trim().split(/\s+/);
    if (Number(fields[2]) !== pgid) continue;
    members.push({ pid: Number(name), state: fields[0] ?? '?', startTime: parseProcStatStartTime(stat) });
  }
  return members;
}

/**
 * True while the process group `pgid` has a living member. A member that has ended but is not reaped
 * yet (a zombie) does not count: it runs nothing, and only its parent can make it go away. Without
 * /proc (not Linux) any member counts.
 * @example if (processGroupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
 */
export function processGroupAlive(pgid: number): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false; // 0, 1 and negatives are not groups we start
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code !== 'EPERM') throw error;
  }
  if (!existsSync('/proc/self')) return true;
  return processGroupMembers(pgid).some((member) => member.state !== 'Z' && member.state !== 'X');
}
