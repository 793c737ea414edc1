// Runs one external command to completion for hooks and command probes, and never leaves anything
// behind: the command gets its own process group, and at its deadline, on abort, or when its main
// process exits, the whole group is terminated (SIGTERM, then SIGKILL after a short grace). A failing
// command is a result, never an exception: the caller gets an exit code, a signal, or a spawn error,
// with the command's output (stdout and stderr interleaved) bounded to its last `maxOutputBytes`.
// Each group is registered in this thread's registry of live process groups (process-groups.ts) from
// its start until nothing of it is left, so that a shutdown can end what a command left running.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { systemClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { processGroupAlive, processStartTime } from '../processes.ts';
import { findProgram, gatedCommand, gateOpenLine } from './command-gate.ts';
import { endTrackedProcessGroup, trackProcessGroup } from './process-groups.ts';

export interface RunProcessOptions {
  /** The program and its arguments; the program is looked up in `PATH` (no shell is involved). */
  argv: readonly string[];
  /** Variables added to (and overriding) the agent's own environment. */
  env?: Readonly<Record<string, string>>;
  /** The working directory; the agent's own when absent. */
  cwd?: string;
  /** The deadline, from the start. When it passes, the process group is terminated. */
  timeoutMs: number;
  /** Aborting it terminates the process group (and, before the start, prevents it). */
  signal?: AbortSignal;
  /** How much output is kept: the last this many bytes. 4096 by default. */
  maxOutputBytes?: number;
  /** How long the group has between SIGTERM and SIGKILL. 500 ms by default. */
  killGraceMs?: number;
  clock?: Clock;
  /** Called once the process has started, with its pid (which is also its process group id). */
  onSpawn?: (pid: number) => void;
  /**
   * Called once the process exists but before the command runs, with its pid (its process group id)
   * and its start time (/proc), so that the caller can record it durably first: the command runs only
   * once this returns, or once the promise it returns resolves (command-gate.ts). If it throws or
   * rejects, nothing runs: the process is killed and the outcome's `error` says why.
   */
  beforeCommand?: (process: { pid: number; startTime: number | undefined }) => void | Promise<void>;
  /** Called once no living process of the group is left (after the outcome when something lingered). */
  onGroupGone?: (pid: number) => void;
}

export interface ProcessOutcome {
  /** The exit code, or null when the process was ended by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended the process, e.g. `SIGTERM` after a deadline. */
  signal: NodeJS.Signals | null;
  /**
   * stdout and stderr interleaved in arrival order. When longer than `maxOutputBytes`, only the last
   * `maxOutputBytes` are kept (that is where errors are), preceded by the line `…(truncated)`.
   */
  output: string;
  /** The deadline passed and the process group was terminated. */
  timedOut: boolean;
  /** The abort signal fired and the process group was terminated. */
  aborted: boolean;
  durationMs: number;
  /** The process's pid and process group id, when it started. */
  pid?: number;
  /** Why the command could not be run at all (one line), e.g. a program that does not exist. */
  error?: string;
}

export const truncatedMarker = '…(truncated)';

const defaultMaxOutputBytes = 4096;
const defaultKillGraceMs = 500;
/** After SIGKILL, how long a group is waited for before it is left to a later shutdown (a process stuck in the kernel). */
const escalationWaitMs = 5000;
/** setTimeout cannot wait longer than this; a longer deadline is no deadline. */
const maxTimerMs = 2_147_483_647;

/** Keeps the last `limit` bytes written to it. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const excess = this.size - this.limit;
      this.dropped = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks, this.size);
    if (!this.dropped) return bytes.toString('utf8');
    // Do not start in the middle of a UTF-8 sequence: skip continuation bytes (10xxxxxx).
    let start = 0;
    while (start < bytes.length && start < 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
    bytes = bytes.subarray(start);
    return `${truncatedMarker}\n${bytes.toString('utf8')}`;
  }
}

/** Signals every process of the group; false when none is left. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    // EPERM: a member changed its credentials; nothing more this process can do about it.
    return false;
  }
}

function describeSpawnError(error: NodeJS.ErrnoException, argv: readonly string[], cwd: string | undefined): string {
  const program = argv[0] ?? '';
  if (error.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) {
    return `cannot run ${program}: working directory ${cwd} does not exist`;
  }
  if (error.code === 'ENOENT') return `cannot run ${program}: no such file or directory (ENOENT)`;
  if (error.code === 'EACCES') return `cannot run ${program}: permission denied (EACCES)`;
  const firstLine = error.message.split('\n')[0] ?? error.message;
  return `cannot run ${program}: ${firstLine}`;
}

/**
 * Runs a command in its own process group and resolves with its outcome; never rejects for a failing
 * command, one that cannot be started, or one that overruns its deadline.
 * @example
 * const outcome = await runProcess({ argv: ['sh', '-c', 'echo hi; exit 3'], timeoutMs: 5000 });
 * // { exitCode: 3, signal: null, output: 'hi\n', timedOut: false, aborted: false, durationMs: 4 }
 */
export function runProcess(options: RunProcessOptions): Promise<ProcessOutcome> {
  const clock = options.clock ?? systemClock;
  const maxOutputBytes = Math.max(0, options.maxOutputBytes ?? defaultMaxOutputBytes);
  const killGraceMs = options.killGraceMs ?? defaultKillGraceMs;
  const started = clock.monotonic();
  const elapsed = (): number => Math.max(0, Math.round(clock.monotonic() - started));
  const notRun = (fields: Partial<ProcessOutcome>): Promise<ProcessOutcome> =>
    Promise.resolve({ exitCode: null, signal: null, output: '', timedOut: false, aborted: false, durationMs: 0, ...fields });

  const program = options.argv[0];
  if (program === undefined || program === '') return notRun({ error: 'cannot run an empty command' });
  if (options.signal?.aborted === true) return notRun({ aborted: true });
  if (!(options.timeoutMs > 0)) return notRun({ timedOut: true });
  const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
  const beforeCommand = options.beforeCommand;
  if (beforeCommand !== undefined) {
    // Behind the gate spawn finds /bin/sh, whatever the program: look the program up as spawn would.
    const found = options.cwd !== undefined && !existsSync(options.cwd) ? 'ENOENT' : findProgram(program, env.PATH, options.cwd);
    if (found !== 'ok') {
      const error = Object.assign(new Error(found), { code: found }) as NodeJS.ErrnoException;
      return notRun({ error: describeSpawnError(error, options.argv, options.cwd) });
    }
  }
  const [file, args] = beforeCommand === undefined ? [program, options.argv.slice(1)] : gatedCommand(options.argv);

  return new Promise<ProcessOutcome>((resolve) => {
    const tail = new OutputTail(maxOutputBytes);
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: [beforeCommand === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    } catch (error) {
      // spawn throws synchronously for invalid arguments (e.g. a NUL byte in an argument).
      resolve({
        exitCode: null,
        signal: null,
        output: '',
        timedOut: false,
        aborted: false,
        durationMs: elapsed(),
        error: describeSpawnError(error as NodeJS.ErrnoException, options.argv, options.cwd),
      });
      return;
    }

    let timedOut = false;
    let aborted = false;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exited = false;
    let finished = false;
    let spawnError: string | undefined;
    let terminating = false;

    let deadline: TimerHandle | undefined;
    const tracked = child.pid === undefined ? undefined : trackProcessGroup({ pgid: child.pid, command: options.argv.join(' ') });
    let groupGone = false;

    /** Forgets the group once nothing of it is left; until then a shutdown still finds it registered. */
    const releaseIfGone = (): void => {
      const pid = child.pid;
      if (groupGone || pid === undefined || processGroupAlive(pid)) return;
      groupGone = true;
      tracked?.release();
      options.onGroupGone?.(pid);
    };

    const finish = (): void => {
      if (finished) return;
      finished = true;
      releaseIfGone();
      // The SIGKILL escalation stays armed: a member that survived SIGTERM without holding our
      // pipes is still killed at the end of the grace.
      if (deadline !== undefined) clock.clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
      const outcome: ProcessOutcome = {
        exitCode,
        signal: exitSignal,
        output: tail.text(),
        timedOut,
        aborted,
        durationMs: elapsed(),
      };
      if (child.pid !== undefined) outcome.pid = child.pid;
      if (spawnError !== undefined) outcome.error = spawnError;
      resolve(outcome);
    };

    /** SIGTERM to the group, SIGKILL after the grace; then stop waiting for pipes held by escapees. */
    const terminateGroup = (): void => {
      const pid = child.pid;
      if (terminating || pid === undefined) return;
      terminating = true;
      if (!processGroupAlive(pid)) return;
      // Through the registry: a shutdown that finds this group being ended waits for this very end.
      void endTrackedProcessGroup(pid, { graceMs: killGraceMs, timeoutMs: 2 * killGraceMs + escalationWaitMs, clock }).then(() => {
        // A process that left the group (setsid) may still hold our pipes: do not wait on it forever.
        clock.setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          if (exited) finish();
          releaseIfGone();
        }, killGraceMs);
      });
    };

    function onAbort(): void {
      if (finished || exited) return;
      aborted = true;
      terminateGroup();
    }

    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    if (beforeCommand !== undefined && child.pid !== undefined) {
      const stdin = child.stdin;
      // A gate that died meanwhile (killed from outside) closes its pipe: its exit is what counts.
      stdin?.on('error', () => undefined);
      const pid = child.pid;
      const refuseToRun = (error: unknown): void => {
        spawnError = `cannot record the command before it runs: ${error instanceof Error ? error.message : String(error)}`;
        signalGroup(pid, 'SIGKILL');
        stdin?.destroy();
      };
      try {
        const recorded = beforeCommand({ pid, startTime: processStartTime(pid) });
        if (recorded === undefined) stdin?.end(gateOpenLine);
        // The gate opens only once the record is written; a group ended meanwhile stays closed.
        else recorded.then(() => (terminating ? stdin?.destroy() : stdin?.end(gateOpenLine)), refuseToRun);
      } catch (error) {
        refuseToRun(error);
      }
    }
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        spawnError = describeSpawnError(error, options.argv, options.cwd);
        finish();
      }
    });
    child.on('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      // Anything the command left running in its group goes with it, as in a container.
      terminateGroup();
    });
    child.on('close', () => {
      if (exited) finish();
    });

    if (options.timeoutMs <= maxTimerMs) {
      deadline = clock.setTimeout(() => {
        if (finished || exited) return;
        timedOut = true;
        terminateGroup();
      }, options.timeoutMs);
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
