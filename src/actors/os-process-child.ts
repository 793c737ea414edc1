// A long-running OS process as a supervised child (a service the node runs, such as its etcd member).
// The supervisor restarts what exits, so every exit of the process, whatever its code, is reported
// once as an error carrying the code or signal and the last lines it wrote. The process gets its own
// process group, registered in the thread's registry (process-groups.ts) until nothing of it is left,
// so that the agent's shutdown ends it even if the tree could not. Stopping it sends SIGTERM to the
// group and SIGKILL once the shutdown time has passed, and resolves when the group is gone. A start
// may wait for the process to be ready (a readiness check, within a deadline): until then it is not
// running, and an exit or a missed deadline is a start failure.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { maxTimerDelayMs } from '../clock.ts';
import type { ChildContext, ExitReason, RunningChild, TreeNodeInfo } from '../supervisor/child.ts';
import type { Shutdown } from '../supervisor/spec.ts';
import { endTrackedProcessGroup, trackProcessGroup } from './process-groups.ts';

/** How many of the last lines a process wrote are kept for its exit reason. */
export const keptOutputLines = 50;
/** A line longer than this is cut (a process writing without newlines cannot grow the memory). */
const maxLineLength = 4096;
/** After SIGKILL, how long the group is waited for before it is left to the agent's shutdown. */
const killWaitMs = 5000;

export interface OsProcessChildOptions {
  /** The program (looked up in PATH) and its arguments; no shell is involved. */
  argv: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Called once the process has spawned, with its pid (its process group id). */
  onSpawn?: (pid: number) => void;
  /** Called with every line the process writes (stdout and stderr), e.g. to log it. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Resolves once the process is ready (polling it with the given signal, which aborts when the
   * process exits or the deadline passes). Without it the child runs once the process has spawned.
   */
  ready?: (signal: AbortSignal) => Promise<void>;
  /** The deadline of `ready`, from the spawn. 30 s by default. */
  readyTimeoutMs?: number;
}

export const defaultReadyTimeoutMs = 30_000;

/** The process's state, as the tree shows it. */
type ProcessPhase = 'starting' | 'running' | 'stopping' | 'exited';

/** Keeps the last `limit` lines. */
class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly limit: number) {}
  push(line: string): void {
    this.lines.push(line.length > maxLineLength ? `${line.slice(0, maxLineLength)}…` : line);
    if (this.lines.length > this.limit) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

function describeProcessExit(program: string, code: number | null, signal: NodeJS.Signals | null, tail: string): string {
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
  return tail === '' ? `${program} ${how}` : `${program} ${how}; its last lines:\n${tail}`;
}

/** The shutdown time as a grace before SIGKILL, and the whole wait. */
function shutdownTimes(shutdown: Shutdown): { graceMs: number; timeoutMs: number } {
  if (shutdown === 'brutal') return { graceMs: 0, timeoutMs: killWaitMs };
  if (shutdown === 'infinity') return { graceMs: maxTimerDelayMs, timeoutMs: 2 * maxTimerDelayMs };
  return { graceMs: shutdown, timeoutMs: 2 * shutdown + killWaitMs };
}

/**
 * Spawns the command and resolves once it runs (and is ready, when `ready` is given); rejects with
 * why it could not start, leaving nothing behind.
 * @example
 * const child = await startOsProcessChild({ argv: ['etcd', '--name', 'n1'], ready: (signal) => waitHealthy(signal) }, context);
 */
export async function startOsProcessChild(options: OsProcessChildOptions, context: ChildContext): Promise<RunningChild> {
  const program = options.argv[0];
  if (program === undefined || program === '') throw new Error('cannot run an empty command');
  const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
  const child: ChildProcess = spawn(program, options.argv.slice(1), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const tail = new LineTail(keptOutputLines);
  const readLines = (stream: Readable | null, name: 'stdout' | 'stderr'): void => {
    if (stream === null) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line);
      options.onLine?.(line, name);
    });
  };
  readLines(child.stdout, 'stdout');
  readLines(child.stderr, 'stderr');

  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`cannot run ${program}: ${error.message}`);
  }
  const tracked = trackProcessGroup({ pgid: pid, command: options.argv.join(' ') });
  options.onSpawn?.(pid);
  let phase: ProcessPhase = 'starting';
  /** Read through a call: the exit handler changes it between awaits. */
  const phaseNow = (): ProcessPhase => phase;
  let stopRequested = false;
  let exitReported = false;
  let exitMessage: string | undefined;
  const exitWaiters = new Set<() => void>();
  const startAbort = new AbortController();

  /** Ends what the process left in its group, then forgets the group. */
  const endGroup = async (graceMs: number, timeoutMs: number): Promise<'gone' | 'terminated' | 'killed' | 'survived'> => {
    const how = await endTrackedProcessGroup(pid, { graceMs, timeoutMs, clock: context.clock });
    if (how !== 'survived') tracked.release();
    return how;
  };

  let closed = false;
  child.once('close', () => (closed = true));
  /** The streams' end: at once when the process closed them; else they are dropped after a grace. */
  const streamsClosed = (): Promise<void> =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = context.clock.setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            resolve();
          }, 500);
          child.once('close', () => {
            context.clock.clearTimeout(timer);
            resolve();
          });
        });

  child.on('exit', (code, signal) => {
    // Whatever it started in its group goes with it; its last lines arrive before the streams close.
    void endGroup(500, 500 + killWaitMs)
      .then(streamsClosed)
      .then(() => {
        exitMessage = describeProcessExit(program, code, signal, tail.text());
        const wasRunning = phase === 'running';
        phase = 'exited';
        startAbort.abort(new Error(exitMessage));
        for (const waiter of exitWaiters) waiter();
        exitWaiters.clear();
        if (!wasRunning || stopRequested || exitReported) return;
        exitReported = true;
        context.onExit({ kind: 'error', error: { name: 'ProcessExited', message: exitMessage } });
      });
  });

  const stop = async (shutdown: Shutdown): Promise<ExitReason> => {
    stopRequested = true;
    if (phase === 'exited') return { kind: 'shutdown' };
    phase = 'stopping';
    const times = shutdownTimes(shutdown);
    const how = await endGroup(times.graceMs, times.timeoutMs);
    if (how === 'survived') throw new Error(`process group ${pid} (${program}) is still alive after SIGKILL`);
    // The group is gone; its exit is handled once node has reaped the process and its streams closed.
    if (phaseNow() !== 'exited') await new Promise<void>((resolve) => exitWaiters.add(resolve));
    return how === 'killed' || shutdown === 'brutal' ? { kind: 'shutdown', killed: true } : { kind: 'shutdown' };
  };

  const running: RunningChild = {
    stop,
    send: () => undefined,
    describe: (): Promise<Pick<TreeNodeInfo, 'actorState'>> => Promise.resolve({ actorState: { process: phase, pid } }),
  };

  if (options.ready !== undefined) {
    const timeoutMs = options.readyTimeoutMs ?? defaultReadyTimeoutMs;
    const deadline = context.clock.setTimeout(() => startAbort.abort(new Error(`${program} was not ready within ${timeoutMs} ms`)), timeoutMs);
    try {
      await Promise.race([
        options.ready(startAbort.signal),
        new Promise<never>((_resolve, reject) => {
          const onAbort = (): void => reject(startAbort.signal.reason as Error);
          if (startAbort.signal.aborted) onAbort();
          else startAbort.signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } catch (error) {
      stopRequested = true;
      startAbort.abort(error);
      await endGroup(500, 500 + killWaitMs);
      const message = startAbort.signal.reason instanceof Error ? startAbort.signal.reason.message : String(error);
      throw new Error(message, { cause: error });
    } finally {
      context.clock.clearTimeout(deadline);
    }
  }
  if (phaseNow() === 'exited') {
    stopRequested = true;
    throw new Error(exitMessage ?? `${program} exited at once`);
  }
  phase = 'running';
  return running;
}
