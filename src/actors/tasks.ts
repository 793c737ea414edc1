// The built-in task module that the TaskPool loads into its piscina worker threads: one-off blocking
// or slow work (hashing a file, reading the machine's facts with systeminformation, packing and
// unpacking tar+gzip archives: archive-tasks.ts) that must not stall the agent's event loop. Piscina
// calls the default export with `{ name, input }`; the dispatcher finds the named task in the
// registry. Test fixtures build their own module with `createDispatcher`.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { cpu, fsSize, mem, osInfo } from 'systeminformation';
import { serializeError } from '../errors.ts';
import { packArchive, unpackArchive } from './archive-tasks.ts';

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
async function hashFile(input: HashFileInput): Promise<HashFileOutput> {
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

// --- system-facts ------------------------------------------------------------------------------

/** Bounds on what one system-facts reading carries (the control socket sends it on every status). */
export const systemFactsLimits = { disks: 32, textChars: 200 } as const;

/** One mounted filesystem; sizes in bytes. */
export interface DiskFacts {
  readonly mount: string;
  readonly fs: string;
  readonly type: string;
  readonly size: number;
  readonly used: number;
  readonly available: number;
}

/** What `gravity status` and the requirement checks need to know about this machine. */
export interface SystemFacts {
  readonly cpu: {
    /** Logical CPUs. */
    readonly count: number;
    readonly model: string;
  };
  /** Bytes. */
  readonly memory: { readonly total: number; readonly available: number };
  readonly os: { readonly distro: string; readonly release: string; readonly kernel: string };
  /** Sorted by mount point; at most systemFactsLimits.disks. */
  readonly disks: readonly DiskFacts[];
  /** True when there were more filesystems than systemFactsLimits.disks. */
  readonly disksTruncated: boolean;
}

function boundedText(value: string): string {
  const trimmed = value.trim();
  return trimmed.length > systemFactsLimits.textChars ? trimmed.slice(0, systemFactsLimits.textChars) : trimmed;
}

/**
 * CPU, memory, OS and disks from systeminformation (`cpu`, `mem`, `osInfo` and `fsSize`; the last
 * spawns `df`). Filesystems without a size (pseudo filesystems) are left out.
 */
async function systemFacts(): Promise<SystemFacts> {
  const [processor, memory, system, filesystems] = await Promise.all([cpu(), mem(), osInfo(), fsSize()]);
  const model = [processor.manufacturer, processor.brand].filter((part) => part !== '').join(' ');
  const disks = filesystems
    .filter((filesystem) => filesystem.size > 0 && filesystem.mount !== '')
    .map((filesystem) => ({
      mount: boundedText(filesystem.mount),
      fs: boundedText(filesystem.fs),
      type: boundedText(filesystem.type),
      size: filesystem.size,
      used: filesystem.used,
      available: filesystem.available,
    }))
    .sort((a, b) => (a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0));
  return {
    cpu: { count: processor.cores, model: boundedText(model) },
    memory: { total: memory.total, available: memory.available },
    os: { distro: boundedText(system.distro), release: boundedText(system.release), kernel: boundedText(system.kernel) },
    disks: disks.slice(0, systemFactsLimits.disks),
    disksTruncated: disks.length > systemFactsLimits.disks,
  };
}

// --- the module's registry and entry point ------------------------------------------------------

/** The built-in tasks. Add a task here and `TaskPool.run` knows its input and output types. */
const builtinTasks = {
  'hash-file': hashFile,
  'system-facts': systemFacts,
  'pack-archive': packArchive,
  'unpack-archive': unpackArchive,
} satisfies TaskRegistry;

export type BuiltinTasks = typeof builtinTasks;

export default createDispatcher(builtinTasks);
