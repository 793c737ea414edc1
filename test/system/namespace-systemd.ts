// A real systemd for the tests, on a host whose PID 1 is not systemd: Debian's systemd booted as PID 1
// of private namespaces by test/fixtures/systemd-namespace.sh. Commands run inside with nsenter, so
// they see its /run (systemctl, systemd-run and gravity's own "does systemd run" check) while sharing
// the host's files and network. Stopping kills the namespace's PID 1, which ends every process in it,
// then removes the cgroups it made.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor, waitForValue } from '../helpers/wait.ts';

const bootScript = fileURLToPath(new URL('../fixtures/systemd-namespace.sh', import.meta.url));

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NamespaceSystemd {
  /** The unit dir systemd reads as /etc/systemd/system, seen from the host. */
  unitDir: string;
  /** Runs a command inside the namespaces, from `cwd`, to its end (killed after `timeoutMs`). */
  run(command: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<Ran>;
  /** `systemctl show -p NAME... UNIT` as a record. */
  show(unit: string, properties: readonly string[]): Promise<Record<string, string>>;
  /** What systemd and the boot script printed (for failure messages). */
  bootLog(): string;
  stop(): Promise<void>;
}

/** Why a real systemd cannot be booted here, or undefined when it can be tried. */
export function namespaceSystemdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'namespaces and cgroups need root';
  for (const tool of ['/lib/systemd/systemd', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/systemctl']) {
    if (!existsSync(tool)) return `${tool} is not installed`;
  }
  if (!existsSync('/sys/fs/cgroup/unified') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no cgroup2 hierarchy is mounted';
  return undefined;
}

function runProcess(command: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command;
    if (file === undefined) throw new Error('no command');
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The pid of the namespace's PID 1: the only child of the `unshare --fork` process. */
function namespaceInit(unsharePid: number): number | undefined {
  try {
    // Until the boot script has become unshare, its children are the commands that set up its
    // cgroups (cat, mkdir), not the namespace's PID 1.
    if (readFileSync(`/proc/${unsharePid}/comm`, 'utf8').trim() !== 'unshare') return undefined;
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(' ')[0]);
  } catch {
    return undefined;
  }
}

function processEnded(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Boots systemd in `work` (a fresh directory) and waits until `systemctl is-system-running` says
 * running.
 * @example const systemd = await bootNamespaceSystemd(dir); await systemd.run(['systemctl', 'status']);
 */
export async function bootNamespaceSystemd(work: string, timeoutMs = 60_000): Promise<NamespaceSystemd> {
  mkdirSync(work, { recursive: true });
  const name = `gravity-test-${process.pid}-${Date.now()}`;
  const logFile = join(work, 'boot.log');
  const log = openSync(logFile, 'a');
  const boot = spawn('/bin/bash', [bootScript, name, work], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const bootLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  let initPid: number | undefined;
  const inside = (command: readonly string[], cwd = '/'): string[] => {
    if (initPid === undefined) throw new Error('systemd has not booted');
    return ['/usr/bin/nsenter', `--target=${initPid}`, '--mount', '--pid', `--wd=${cwd}`, '--', ...command];
  };
  const run: NamespaceSystemd['run'] = (command, options = {}) =>
    runProcess(inside(command, options.cwd), options.env ?? process.env, options.timeoutMs ?? 30_000);

  const stop = async (): Promise<void> => {
    const init = initPid ?? (boot.pid === undefined ? undefined : namespaceInit(boot.pid));
    if (init !== undefined) {
      try {
        process.kill(init, 'SIGKILL'); // PID 1 of the namespace: the kernel ends everything in it
      } catch {
        // already gone
      }
    }
    if (boot.exitCode === null && boot.signalCode === null) boot.kill('SIGKILL');
    await processEnded(boot);
    const cgroupsFile = join(work, 'cgroups');
    const made = existsSync(cgroupsFile) ? readFileSync(cgroupsFile, 'utf8').split('\n').filter((line) => line !== '') : [];
    for (const cgroup of made) await removeCgroupTree(cgroup);
  };

  let lastState = '(not asked yet)';
  try {
    await waitFor(
      async () => {
        if (boot.exitCode !== null) throw new Error(`the boot script exited with ${boot.exitCode}:\n${bootLog()}`);
        initPid ??= boot.pid === undefined ? undefined : namespaceInit(boot.pid);
        if (initPid === undefined) return false;
        const state = await run(['systemctl', 'is-system-running'], { timeoutMs: 5000 });
        lastState = `${state.stdout.trim()} ${state.stderr.trim()}`.trim();
        return state.stdout.trim() === 'running';
      },
      timeoutMs,
      'systemd in the namespace to be running',
      100,
    );
  } catch (error) {
    // The boot's own failure is what the reader needs; a failing clean-up is added to it, not put in its place.
    const failed = await run(['systemctl', 'list-units', '--failed', '--no-legend', '--plain'], { timeoutMs: 5000 }).catch(() => undefined);
    const cleanup = await stop().then(
      () => '',
      (stopError: unknown) => `\nclean-up also failed: ${String(stopError)}`,
    );
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${why}\nlast is-system-running: ${lastState}\nfailed units: ${failed?.stdout.trim() ?? '(unknown)'}\nboot log:\n${bootLog()}${cleanup}`, { cause: error });
  }

  return {
    unitDir: join(work, 'etc-units'),
    run,
    async show(unit, properties) {
      const shown = await run(['systemctl', 'show', unit, ...properties.map((property) => `--property=${property}`)]);
      const record: Record<string, string> = {};
      for (const line of shown.stdout.split('\n')) {
        const at = line.indexOf('=');
        if (at > 0) record[line.slice(0, at)] = line.slice(at + 1);
      }
      return record;
    },
    bootLog,
    stop,
  };
}

/** Removes a cgroup and everything beneath it, deepest first, once the processes in it have ended. */
async function removeCgroupTree(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const found = await runProcess(['/usr/bin/find', path, '-depth', '-type', 'd'], process.env, 10_000);
  const dirs = found.stdout.split('\n').filter((line) => line !== '');
  for (const dir of dirs) {
    await waitForValue(
      () => {
        try {
          rmdirSync(dir);
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
          if ((error as NodeJS.ErrnoException).code === 'EBUSY') return undefined; // its processes are still ending
          throw error;
        }
      },
      10_000,
      `the cgroup ${dir} to empty`,
      50,
    );
  }
}
