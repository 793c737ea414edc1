// The built-in task module that the TaskPool loads into its piscina worker threads: one-off blocking
// or slow work (hashing a file, sampling the machine with systeminformation) that must not stall the
// agent's event loop. Piscina calls the default export with `{ name, input }`; the dispatcher finds
// the named task in the registry. Test fixtures build their own module with `createDispatcher`.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { currentLoad, fsSize, mem } from 'systeminformation';
import { serializeError } from '../errors.ts';

/** One named task: a function of its (structured-clonable) input. */
export type TaskFunction<I, O> = (input: I) => O | Promise<O>;

/** A task module's registry: task name → task function. */
export type TaskRegistry = Record<string, TaskFunction<never, unknown>>;

/** What the pool sends to a worker for one run. */
export interface TaskRequest {
  readonly name: string;
  readonly input: unknown;
}

/** The input type of task `N` of registry `R`. */
export type TaskInput<R extends TaskRegistry, N extends keyof R> = Parameters<R[N]>[0];

/** The result type of task `N` of registry `R`. */
export type TaskOutput<R extends TaskRegistry, N extends keyof R> = Awaited<ReturnType<R[N]>>;

/**
 * Builds the default export of a task module. An unknown name is a task failure. A thrown error is
 * rethrown with its serialized form as `cause`: the structured clone that carries errors back to
 * the main thread drops `code` (ENOENT, ...), a plain `cause` object keeps it.
 * @example export default createDispatcher({ echo: (input: string) => input });
 */
export function createDispatcher(registry: TaskRegistry): (request: TaskRequest) => Promise<unknown> {
  return async (request: TaskRequest): Promise<unknown> => {
    const task = Object.hasOwn(registry, request.name) ? registry[request.name] : undefined;
    if (task === undefined) throw new Error(`unknown task "${request.name}"`);
    try {
      return await (task as TaskFunction<unknown, unknown>)(request.input);
    } catch (error) {
      const serialized = serializeError(error);
      // eslint-disable-next-line preserve-caught-error -- the serialized form is the caught error, clone-safe
      throw new Error(serialized.message, { cause: serialized });
    }
  };
}

// --- hash-file ---------------------------------------------------------------------------------

export interface HashFileInput {
  /** Absolute path, or relative to the agent's working directory. */
  readonly path: string;
}

export interface HashFileOutput {
  readonly path: string;
  /** Lower-case hex SHA-256 digest of the file's contents. */
  readonly sha256: string;
  readonly bytes: number;
}

/** SHA-256 of a file, streamed so that large files (backups, tarballs) never sit in memory. */
export async function hashFile(input: HashFileInput): Promise<HashFileOutput> {
  if (typeof input.path !== 'string' || input.path === '') throw new TypeError('hash-file needs a path');
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = createReadStream(input.path);
  stream.on('data', (chunk: Buffer | string) => {
    bytes += chunk.length;
  });
  await pipeline(stream, hash);
  return { path: input.path, sha256: hash.digest('hex'), bytes };
}

// --- sysinfo -----------------------------------------------------------------------------------

export type SysinfoInput =
  | { readonly metric: 'mem' }
  | { readonly metric: 'currentLoad' }
  | {
      readonly metric: 'fsSize';
      /** Only the filesystem holding this path (a mount point or any path below one). */
      readonly mount?: string;
    };

/** Memory in bytes. */
export interface MemSample {
  readonly metric: 'mem';
  readonly total: number;
  readonly free: number;
  readonly used: number;
  readonly active: number;
  readonly available: number;
  readonly swapTotal: number;
  readonly swapUsed: number;
}

/** CPU load in percent since the previous sample (the first call in a thread samples ~0.5 s). */
export interface LoadSample {
  readonly metric: 'currentLoad';
  readonly load: number;
  readonly user: number;
  readonly system: number;
  readonly idle: number;
  readonly cpus: readonly number[];
}

export interface FilesystemSample {
  readonly fs: string;
  readonly type: string;
  readonly mount: string;
  /** Bytes. */
  readonly size: number;
  readonly used: number;
  readonly available: number;
  /** Percent used. */
  readonly use: number;
}

export interface FsSample {
  readonly metric: 'fsSize';
  readonly filesystems: readonly FilesystemSample[];
}

export type SysinfoOutput = MemSample | LoadSample | FsSample;

/** One systeminformation reading, chosen by `input.metric`. */
export async function sysinfo(input: SysinfoInput): Promise<SysinfoOutput> {
  switch (input.metric) {
    case 'mem': {
      const m = await mem();
      return {
        metric: 'mem',
        total: m.total,
        free: m.free,
        used: m.used,
        active: m.active,
        available: m.available,
        swapTotal: m.swaptotal,
        swapUsed: m.swapused,
      };
    }
    case 'currentLoad': {
      const l = await currentLoad();
      return {
        metric: 'currentLoad',
        load: l.currentLoad,
        user: l.currentLoadUser,
        system: l.currentLoadSystem,
        idle: l.currentLoadIdle,
        cpus: l.cpus.map((cpu) => cpu.load),
      };
    }
    case 'fsSize': {
      const all: FilesystemSample[] = (await fsSize()).map((f) => ({
        fs: f.fs,
        type: f.type,
        mount: f.mount,
        size: f.size,
        used: f.used,
        available: f.available,
        use: f.use,
      }));
      if (input.mount === undefined) return { metric: 'fsSize', filesystems: all };
      const holder = filesystemHolding(all, input.mount);
      if (holder === undefined) throw new Error(`no filesystem holds ${input.mount}`);
      return { metric: 'fsSize', filesystems: [holder] };
    }
    default: {
      const unknown: { metric?: unknown } = input;
      throw new TypeError(`unknown sysinfo metric ${String(unknown.metric)}`);
    }
  }
}

/** The filesystem with the longest mount point that is `target` or one of its ancestors. */
export function filesystemHolding(
  filesystems: readonly FilesystemSample[],
  target: string,
): FilesystemSample | undefined {
  const resolved = path.resolve(target);
  let best: FilesystemSample | undefined;
  for (const candidate of filesystems) {
    const mount = candidate.mount;
    const holds =
      resolved === mount || mount === '/' || resolved.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (holds && (best === undefined || mount.length > best.mount.length)) best = candidate;
  }
  return best;
}

// --- the module's registry and entry point ------------------------------------------------------

/** The built-in tasks. Add a task here and `TaskPool.run` knows its input and output types. */
export const builtinTasks = {
  'hash-file': hashFile,
  sysinfo,
} satisfies TaskRegistry;

export type BuiltinTasks = typeof builtinTasks;

export default createDispatcher(builtinTasks);
