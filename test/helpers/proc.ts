// Tests that kill process groups assert from /proc that nothing of the group is left alive: this reads
// every process's group id and state from /proc/<pid>/stat. Zombies count as gone (they are dead and
// only wait for a parent to reap them, which an unusual PID 1 may never do).

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  comm: string;
  state: string;
  pgid: number;
}

/** Every process visible in /proc, with its group and state; processes that vanish mid-read are skipped. */
export function listProcesses(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') continue;
      throw error;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    entries.push({ pid: Number(name), comm: stat.slice(open + 1, close), state: fields[0] ?? '?', pgid: Number(fields[2]) });
  }
  return entries;
}

/** The live (non-zombie) members of a process group. */
export function liveGroupMembers(pgid: number): ProcEntry[] {
  return listProcesses().filter((entry) => entry.pgid === pgid && entry.state !== 'Z' && entry.state !== 'X');
}
