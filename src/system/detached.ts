// Starting gravity as a background process where no systemd runs: a new session (so that the
// terminal's hangup and Ctrl-C do not reach it), working directory `/`, stdin closed, stdout and
// stderr appended to a log file under the state dir's logs/ folder. The caller may watch it for a
// while (to see it take hold of what it runs) and then lets it go; it outlives the CLI.

import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GravityError } from '../errors.ts';

export interface DetachedProcess {
  pid: number;
  logFile: string;
  /** Where this process's output starts in the log file (earlier runs appended before it). */
  logStart: number;
  /** The exit code once it ended (null after a signal); pending while it runs. */
  exited: Promise<number | null>;
  /** True once it has ended. */
  readonly ended: boolean;
  /** Stops watching it, so that this process may exit while it runs on. */
  release(): void;
}

/** The logs folder in the state dir. */
export function logsDir(stateDir: string): string {
  return join(stateDir, 'logs');
}

/**
 * @example const child = spawnDetached(gravityCommand().concat(['start', '--foreground']), '/var/lib/gravity/logs/agent.log');
 */
export function spawnDetached(argv: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): DetachedProcess {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('spawnDetached: empty command');
  let fd: number;
  try {
    mkdirSync(join(logFile, '..'), { recursive: true, mode: 0o700 });
    fd = openSync(logFile, 'a', 0o600);
  } catch (error) {
    throw new GravityError('E_STATE_DIR', `cannot open the log file ${logFile}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const logStart = fstatSync(fd).size;
    const child = spawn(program, args, { detached: true, cwd: '/', env, stdio: ['ignore', fd, fd] });
    let ended = false;
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', () => {
        ended = true;
        resolve(null);
      });
      child.once('exit', (code) => {
        ended = true;
        resolve(code);
      });
    });
    if (child.pid === undefined) throw new GravityError('E_BACKGROUND_FAILED', `cannot start ${program} in the background`);
    return {
      pid: child.pid,
      logFile,
      logStart,
      exited,
      get ended() {
        return ended;
      },
      release: () => child.unref(),
    };
  } finally {
    closeSync(fd);
  }
}

const quietLevels = new Set(['trace', 'debug', 'info', 10, 20, 30]);

/** A log line as a person reads it: a JSON record as `level: msg: error`, anything else as it is. */
function readableLine(line: string): string | undefined {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line; // not a record after all
  }
  if (quietLevels.has(record.level as string | number)) return undefined;
  const err = record.err as { message?: unknown } | undefined;
  const level = typeof record.level === 'string' ? record.level : 'error';
  return [level, record.msg, err?.message].filter((part) => typeof part === 'string' && part !== '').join(': ');
}

/**
 * The last lines of a log file that say what went wrong (warnings and errors of the JSON records, and
 * every other line, such as a rendered CLI error), for an error that says why a background process ended.
 */
export function logTail(logFile: string, from = 0, lines = 10): string[] {
  let text: string;
  try {
    text = readFileSync(logFile).subarray(from).toString('utf8');
  } catch (error) {
    return [`(cannot read ${logFile}: ${(error as Error).message})`];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(readableLine)
    .filter((line): line is string => line !== undefined)
    .slice(-lines);
}
