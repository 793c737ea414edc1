// The agent's pool of worker threads for one-off blocking work: reading the machine's facts with
// systeminformation, hashing. It wraps piscina with what the supervision tree needs:
// named, typed tasks; a deadline on every run (an overrunning task's thread is terminated, which
// also stops a busy loop); failures as catalogue errors (E_TASK_TIMEOUT, E_TASK_FAILED,
// E_POOL_CLOSED); counters for the metrics; and the pool 'error' handler piscina requires.

import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { systemClock, type Clock } from '../clock.ts';
import { GravityError, deserializeError, type SerializedError } from '../errors.ts';
import type { BuiltinTasks, TaskInput, TaskOutput, TaskRegistry, TaskRequest } from './tasks.ts';

/** The user-facing, partial options. */
export interface TaskPoolOptions {
  /** Threads kept alive even when idle. Default 1 (capped at maxThreads). */
  minThreads?: number;
  /** Upper bound on threads. Default: the machine's cores, at least 1 and at most 4. */
  maxThreads?: number;
  /** Milliseconds an idle thread above minThreads lives before it exits. Default 30 000. */
  idleTimeout?: number;
  /**
   * The task module (path or file URL) whose default export piscina calls with `{ name, input }`.
   * Default: the built-in module, `tasks.ts` (through its tsx bootstrap) or compiled `tasks.js`.
   */
  filename?: string | URL;
  /** Arms the per-task deadlines. Default: the system clock. */
  clock?: Clock;
  /**
   * Pool-level errors that belong to no task (a worker that fails to load while idle). Default:
   * `process.emitWarning`. Errors of a task always reject that task's `run()` instead.
   */
  onError?: (error: Error) => void;
}

/** The compiled, fully defaulted options. */
export interface CompiledTaskPoolOptions {
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly idleTimeout: number;
  /** A file URL string. */
  readonly filename: string;
  readonly clock: Clock;
  readonly onError: (error: Error) => void;
}

export interface TaskRunOptions {
  /**
   * Milliseconds from the call to `run()` until the task is aborted: time queued and the start of a
   * fresh thread count too. An aborted running task loses its thread.
   */
  deadlineMs: number;
  /** Cancels the task (for example when the actor that asked for it stops). */
  signal?: AbortSignal;
}

/** The pool's lifecycle: `open` → `closing` (draining) → `closed`; `destroyed` from any state. */
export type TaskPoolState = 'open' | 'closing' | 'closed' | 'destroyed';

/** Counters since the pool was created, and the current load; read by the metrics. */
export interface TaskPoolStats {
  readonly state: TaskPoolState;
  /** Runs that resolved with a result. */
  readonly completed: number;
  /** Runs rejected with E_TASK_TIMEOUT. */
  readonly timedOut: number;
  /** Runs rejected with E_TASK_FAILED because the task threw, its thread died or it could not load. */
  readonly failed: number;
  /** Runs cancelled through their `signal` (also E_TASK_FAILED). */
  readonly cancelled: number;
  /** Runs accepted and not yet settled (queued or running). */
  readonly inFlight: number;
  /** Runs waiting for a thread. */
  readonly queueSize: number;
  /** Live worker threads. */
  readonly threads: number;
  /** Pool-level errors passed to `onError`. */
  readonly poolErrors: number;
}

const defaultIdleTimeoutMs = 30_000;
const maxDefaultThreads = 4;

/** The built-in task module: its tsx bootstrap when running from source, compiled JS otherwise. */
const builtinTasksFilename = new URL(
  import.meta.url.endsWith('.ts') ? './tasks.boot.mjs' : './tasks.js',
  import.meta.url,
).href;

/**
 * Fills in defaults and checks the sizes, reporting every problem at once.
 * @example compileTaskPoolOptions({ maxThreads: 2 }) // { minThreads: 1, maxThreads: 2, idleTimeout: 30000, ... }
 */
export function compileTaskPoolOptions(options: TaskPoolOptions = {}): CompiledTaskPoolOptions {
  const problems: string[] = [];
  const checkCount = (key: 'minThreads' | 'maxThreads' | 'idleTimeout', value: number | undefined, least: number) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= least)) {
      problems.push(`${key} must be an integer >= ${least}, got ${String(value)}`);
    }
  };
  checkCount('minThreads', options.minThreads, 0);
  checkCount('maxThreads', options.maxThreads, 1);
  checkCount('idleTimeout', options.idleTimeout, 0);
  const defaultMax = Math.max(1, Math.min(maxDefaultThreads, availableParallelism()));
  const maxThreads = options.maxThreads ?? Math.max(defaultMax, options.minThreads ?? 0);
  const minThreads = options.minThreads ?? Math.min(1, maxThreads);
  if (minThreads > maxThreads) problems.push(`minThreads (${minThreads}) must not exceed maxThreads (${maxThreads})`);
  if (problems.length > 0) {
    throw new GravityError('E_INTERNAL', `invalid task pool options: ${problems.join('; ')}`, { details: problems });
  }
  const filename = options.filename === undefined ? builtinTasksFilename : toFileUrl(options.filename);
  return {
    minThreads,
    maxThreads,
    idleTimeout: options.idleTimeout ?? defaultIdleTimeoutMs,
    filename,
    clock: options.clock ?? systemClock,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
}

/**
 * Runs named tasks from a task module on piscina worker threads, each under a deadline.
 * `M` is the module's registry type; it defaults to the built-in tasks (`src/actors/tasks.ts`).
 * @example
 * const pool = new TaskPool({ maxThreads: 2 });
 * const { sha256 } = await pool.run('hash-file', { path: '/var/lib/gravity/backup.tar.gz' }, { deadlineMs: 30_000 });
 * const facts = await pool.run('system-facts', undefined, { deadlineMs: 5_000 });
 * await pool.close();
 */
export class TaskPool<M extends TaskRegistry = BuiltinTasks> {
  readonly options: CompiledTaskPoolOptions;
  readonly #pool: Piscina<TaskRequest, unknown>;
  /** Accepted runs, each with a way to fail it from outside (see the 'error' handler). */
  readonly #inFlight = new Map<Promise<unknown>, (error: Error) => void>();
  #state: TaskPoolState = 'open';
  #closing: Promise<void> | undefined;
  #completed = 0;
  #timedOut = 0;
  #failed = 0;
  #cancelled = 0;
  #poolErrors = 0;

  constructor(options: TaskPoolOptions = {}) {
    this.options = compileTaskPoolOptions(options);
    this.#pool = new Piscina<TaskRequest, unknown>({
      filename: this.options.filename,
      minThreads: this.options.minThreads,
      maxThreads: this.options.maxThreads,
      idleTimeout: this.options.idleTimeout,
    });
    // Required: without a listener, a worker that fails to load before it was given a task is an
    // 'error' event nobody handles, which crashes the process.
    this.#pool.on('error', (raised: unknown) => {
      const error = raised instanceof Error ? raised : new Error(String(raised));
      this.#poolErrors += 1;
      this.options.onError(error);
      // Piscina does not replace a worker that failed while starting, so with no thread left the
      // queued runs would wait for their deadlines: fail them now with the cause (nothing runs).
      if (this.#pool.threads.length === 0) for (const fail of this.#inFlight.values()) fail(error);
    });
  }

  get state(): TaskPoolState {
    return this.#state;
  }

  get stats(): TaskPoolStats {
    return {
      state: this.#state,
      completed: this.#completed,
      timedOut: this.#timedOut,
      failed: this.#failed,
      cancelled: this.#cancelled,
      inFlight: this.#inFlight.size,
      queueSize: this.#pool.queueSize,
      threads: this.#pool.threads.length,
      poolErrors: this.#poolErrors,
    };
  }

  /**
   * Runs task `name` with `input` on a pool thread. Rejects with E_TASK_TIMEOUT when the deadline
   * passes first (the thread is terminated), E_TASK_FAILED when the task throws, its thread exits or
   * it is cancelled, and E_POOL_CLOSED once the pool is closing, closed or destroyed.
   */
  run<N extends keyof M & string>(name: N, input: TaskInput<M, N>, options: TaskRunOptions): Promise<TaskOutput<M, N>> {
    if (this.#state !== 'open') {
      return Promise.reject(new GravityError('E_POOL_CLOSED', `the task pool is ${this.#state}; task "${name}" was not run`));
    }
    const { deadlineMs, signal } = options;
    if (!(Number.isFinite(deadlineMs) && deadlineMs > 0)) {
      return Promise.reject(
        new GravityError('E_INTERNAL', `task "${name}": deadlineMs must be a positive number, got ${String(deadlineMs)}`),
      );
    }
    if (signal?.aborted === true) {
      this.#cancelled += 1;
      return Promise.reject(cancelledError(name, signal.reason));
    }

    const clock = this.options.clock;
    const controller = new AbortController();
    let abortedBy: AbortedBy | undefined;
    const timer = clock.setTimeout(() => {
      abortedBy ??= 'deadline';
      controller.abort(new GravityError('E_TASK_TIMEOUT', `deadline of ${deadlineMs} ms passed`));
    }, deadlineMs);
    const onCallerAbort = () => {
      abortedBy ??= 'signal';
      controller.abort(signal?.reason);
    };
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const failFromPool = (error: Error) => {
      abortedBy ??= 'pool-error';
      controller.abort(error);
    };

    const request: TaskRequest = { name, input };
    const settled = this.#pool
      .run(request, { signal: controller.signal })
      .then(
        (result) => {
          this.#completed += 1;
          return result as TaskOutput<M, N>;
        },
        (error: unknown) => {
          throw this.#translate(error, name, deadlineMs, abortedBy, signal);
        },
      )
      .finally(() => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onCallerAbort);
        this.#inFlight.delete(settled);
      });
    this.#inFlight.set(settled, failFromPool);
    return settled;
  }

  /** Refuses new runs, lets every accepted run finish (or meet its deadline), then stops the threads. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    if (this.#state === 'destroyed') return Promise.resolve();
    this.#state = 'closing';
    this.#closing = (async () => {
      await Promise.allSettled(this.#inFlight.keys());
      await this.#pool.close();
      if (this.#state === 'closing') this.#state = 'closed';
    })();
    return this.#closing;
  }

  /** Stops every thread at once; queued and running tasks reject with E_POOL_CLOSED. */
  async destroy(): Promise<void> {
    if (this.#state === 'destroyed') return;
    this.#state = 'destroyed';
    await this.#pool.destroy();
  }

  #translate(
    error: unknown,
    name: string,
    deadlineMs: number,
    abortedBy: AbortedBy | undefined,
    signal: AbortSignal | undefined,
  ): GravityError {
    if (abortedBy === 'deadline') {
      this.#timedOut += 1;
      return new GravityError('E_TASK_TIMEOUT', `task "${name}" overran its deadline of ${deadlineMs} ms`, {
        cause: error,
      });
    }
    if (abortedBy === 'signal') {
      this.#cancelled += 1;
      return cancelledError(name, signal?.reason);
    }
    if (this.#state === 'destroyed') {
      return new GravityError('E_POOL_CLOSED', `the task pool was destroyed before task "${name}" finished`, {
        cause: error,
      });
    }
    this.#failed += 1;
    if (abortedBy === 'pool-error') {
      // Piscina rejects with an AbortError whose cause is the abort reason: the pool error.
      const poolError = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      return new GravityError('E_TASK_FAILED', `task "${name}" could not run: ${originalError(poolError).message}`, {
        cause: poolError,
      });
    }
    const original = originalError(error);
    return new GravityError('E_TASK_FAILED', `task "${name}" failed: ${original.message}`, { cause: original });
  }
}

/** Why a run's AbortController fired: its deadline, the caller's signal, or a pool-level error. */
type AbortedBy = 'deadline' | 'signal' | 'pool-error';

function cancelledError(name: string, reason: unknown): GravityError {
  return new GravityError('E_TASK_FAILED', `task "${name}" was cancelled`, { cause: reason });
}

/** The task's own error: rebuilt from the serialized form the dispatcher attaches as `cause`. */
function originalError(error: unknown): Error {
  if (error instanceof Error) return isSerializedError(error.cause) ? deserializeError(error.cause) : error;
  return new Error(typeof error === 'string' ? error : `non-error thrown: ${String(error)}`);
}

function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.name === 'string' && typeof candidate.message === 'string';
}

function toFileUrl(filename: string | URL): string {
  if (filename instanceof URL) return filename.href;
  return filename.startsWith('file:') ? filename : pathToFileURL(path.resolve(filename)).href;
}
