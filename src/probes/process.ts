// The `process` checker: a process with a given name is running on this host (an agent, a daemon
// not managed by systemd). It reads /proc directly: a process matches when its command name
// (/proc/<pid>/comm, which the kernel cuts to 15 characters) or the file name of its argv[0] equals
// the name; zombies do not count.

import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeError, errorCode } from './support/describe-error.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const processCheckerId = 'process';

export interface ProcessConfig {
  processName: string;
}

/** The kernel keeps this many characters of a command name in /proc/<pid>/comm. */
const commLength = 15;

/** Reads a /proc file of a process that may have exited meanwhile (then undefined). */
async function readProcFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    // The process exited between listing /proc and reading its file, or is not ours to read.
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw error;
  }
}

async function matches(pid: string, name: string): Promise<boolean> {
  const comm = (await readProcFile(`/proc/${pid}/comm`))?.replace(/\n$/, '');
  let named = comm !== undefined && (comm === name || (name.length > commLength && comm === name.slice(0, commLength)));
  if (!named) {
    const cmdline = await readProcFile(`/proc/${pid}/cmdline`);
    const argv0 = cmdline?.split('\0')[0];
    named = argv0 !== undefined && argv0 !== '' && basename(argv0) === name;
  }
  if (!named) return false;
  // "<pid> (<comm>) <state> ...": the comm may contain spaces and parentheses, the state follows the last ')'.
  const stat = await readProcFile(`/proc/${pid}/stat`);
  const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The pid of a live process with this name, or undefined; stops early when `signal` fires. */
export async function findProcess(name: string, signal: AbortSignal): Promise<{ pid?: number; scanned: number; aborted: boolean }> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  let scanned = 0;
  for (const pid of pids) {
    if (signal.aborted) return { scanned, aborted: true };
    scanned += 1;
    if (await matches(pid, name)) return { pid: Number(pid), scanned, aborted: false };
  }
  return { scanned, aborted: false };
}

/**
 * @example probes: [{ checker: process, name: chronyd, processName: chronyd }]
 */
export const processChecker: Checker<ProcessConfig> = {
  id: processCheckerId,
  description: 'a process named processName is running (its /proc comm, or the file name of its argv[0])',
  keys: ['processName'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const processName = keys.string('processName', {
      required: true,
      what: 'a process name without slashes, as ps -e shows it (e.g. sshd)',
      pattern: /^[^/\0]+$/,
    });
    return processName === undefined ? undefined : { processName };
  },
  async check(config: ProcessConfig, context: CheckContext): Promise<CheckResult> {
    try {
      const found = await findProcess(config.processName, context.signal);
      if (found.pid !== undefined) return { status: 'running' };
      if (found.aborted) {
        return { status: 'failed', error: `process check failed: timed out after ${context.timeoutMs}ms scanning /proc (${found.scanned} processes looked at)` };
      }
      return { status: 'failed', error: `no process named ${JSON.stringify(config.processName)} is running (${found.scanned} processes looked at)` };
    } catch (error) {
      return { status: 'failed', error: `process check failed: cannot read /proc: ${describeError(error)}` };
    }
  },
};
