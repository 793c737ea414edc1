// Tar+gzip work for the task pool: packing a directory into a .tar.gz (backups, diagnostics reports)
// and unpacking one safely (application bundles for upgrades, restores). Compressing and walking a
// tree is slow and the archives can be large, so these run on the pool's worker threads, never on the
// agent's event loop. The tar format itself, and its path protections, come from the `tar` package;
// this module adds the atomic write, the one-pass checksum, the limits and the refusal rules.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, realpath, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Pack, ReadEntry, Unpack } from 'tar';

/** Unpack limits used when the input gives none. */
export const defaultUnpackLimits = { maxEntries: 100_000, maxBytes: 4 * 1024 ** 3 } as const;

/** The `code` of the errors these tasks raise themselves (tar's own refusals keep tar's TAR_* codes). */
export const archiveErrorCode = {
  /** A bad input: a missing source, a destination inside the source, a path that leaves the source. */
  input: 'ARCHIVE_INPUT',
  /** The archive's SHA-256 is not the expected one; nothing was extracted. */
  checksum: 'ARCHIVE_CHECKSUM_MISMATCH',
  /** An entry of a kind that is never unpacked (device, FIFO, ...). */
  entry: 'ARCHIVE_ENTRY_REFUSED',
  /** The archive has more entries or more bytes than the limits allow. */
  limit: 'ARCHIVE_LIMIT',
} as const;

function archiveError(code: (typeof archiveErrorCode)[keyof typeof archiveErrorCode], message: string): Error {
  return Object.assign(new Error(message), { code });
}

const sha256Pattern = /^[0-9a-f]{64}$/;

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

// --- pack-archive ------------------------------------------------------------------------------

export interface PackArchiveInput {
  /** The directory whose contents are packed; entry names are relative to it. */
  readonly sourceDir: string;
  /** Relative paths under `sourceDir` to include (directories recursively); default: everything in it. */
  readonly files?: readonly string[];
  /** Where the archive goes: a `.tar.gz` or `.tgz` path outside `sourceDir`. */
  readonly destination: string;
}

export interface PackArchiveOutput {
  readonly destination: string;
  /** Size of the compressed archive. */
  readonly bytes: number;
  /** Entries written (files, directories, links). */
  readonly entries: number;
  /** Lower-case hex SHA-256 of the archive, computed while it was written. */
  readonly sha256: string;
}

/** Checks a relative path given in `files`: it must name something under the source directory. */
function checkedMember(file: unknown): string {
  if (typeof file !== 'string' || file === '') throw archiveError(archiveErrorCode.input, 'pack-archive: files must be non-empty strings');
  const normalized = path.posix.normalize(file.replaceAll('\\', '/'));
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw archiveError(archiveErrorCode.input, `pack-archive: "${file}" is not a relative path inside the source directory`);
  }
  return normalized;
}

/**
 * Packs `files` of `sourceDir` (default: all it contains) into a gzip-compressed tar. The archive is
 * written to `destination.partial` (mode 0600), synced, then renamed onto `destination`, so a reader
 * never sees half an archive; on failure the partial file is removed. Symbolic links are stored as
 * links. The SHA-256 and size are taken from the bytes as they are written.
 */
export async function packArchive(input: PackArchiveInput): Promise<PackArchiveOutput> {
  if (typeof input.sourceDir !== 'string' || input.sourceDir === '') throw archiveError(archiveErrorCode.input, 'pack-archive needs a sourceDir');
  if (typeof input.destination !== 'string' || !/\.(tar\.gz|tgz)$/.test(input.destination)) {
    throw archiveError(archiveErrorCode.input, 'pack-archive needs a destination ending in .tar.gz or .tgz');
  }
  let sourceDir: string;
  try {
    sourceDir = await realpath(input.sourceDir);
  } catch (error) {
    throw Object.assign(new Error(`pack-archive: source directory ${input.sourceDir} cannot be read`, { cause: error }), {
      code: archiveErrorCode.input,
    });
  }
  if (!(await lstat(sourceDir)).isDirectory()) throw archiveError(archiveErrorCode.input, `pack-archive: ${input.sourceDir} is not a directory`);
  const destination = path.resolve(input.destination);
  const destinationDir = await realpath(path.dirname(destination));
  if (isInside(sourceDir, path.join(destinationDir, path.basename(destination)))) {
    throw archiveError(archiveErrorCode.input, `pack-archive: destination ${input.destination} is inside the source directory`);
  }

  const members = input.files === undefined ? (await readdir(sourceDir)).sort() : input.files.map(checkedMember);
  for (const member of members) {
    // lstat: a listed symlink is stored as a link, so only the link itself needs to exist.
    await lstat(path.join(sourceDir, member));
  }

  const partial = `${destination}.partial`;
  // A leftover partial file is replaced, so the new one is created with mode 0600 ('wx').
  await rm(partial, { force: true });
  const hash = createHash('sha256');
  let bytes = 0;
  let entries = 0;
  try {
    // Pack itself rather than tar.create: create reads a name starting with '@' as an archive to copy
    // entries from, and refuses an empty list. With no members this is an empty, valid archive.
    const tarStream = new Pack({ gzip: true, cwd: sourceDir, portable: true, follow: false, onWriteEntry: () => void (entries += 1) });
    for (const member of members) tarStream.add(member);
    tarStream.end();
    await pipeline(
      tarStream,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      // flush: the data is on disk (fsync) before the rename makes it the destination.
      createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true }),
    );
    await rename(partial, destination);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { destination, bytes, entries, sha256: hash.digest('hex') };
}

// --- unpack-archive ----------------------------------------------------------------------------

export interface UnpackLimits {
  /** Most entries (of any kind) the archive may hold. */
  readonly maxEntries: number;
  /** Most bytes of file contents, unpacked. */
  readonly maxBytes: number;
}

export interface UnpackArchiveInput {
  /** A gzip-compressed (or plain) tar. */
  readonly archive: string;
  /** The directory to unpack into; created with mode 0700 when missing. */
  readonly destination: string;
  /** Either limit may be left out; each defaults to `defaultUnpackLimits`. */
  readonly limits?: Partial<UnpackLimits>;
  /** When given, the archive must have this SHA-256 (hex), checked before anything is extracted. */
  readonly expectSha256?: string;
}

export interface UnpackArchiveOutput {
  readonly destination: string;
  /** Entries unpacked (files, directories, links). */
  readonly entries: number;
  /** Bytes of file contents unpacked. */
  readonly bytes: number;
}

/** Entry types that are unpacked; any other type refuses the archive. */
const unpackedTypes: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'GNUDumpDir', 'SymbolicLink', 'Link']);
const fileTypes: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile']);

function checkedLimit(name: keyof UnpackLimits, value: number | undefined): number {
  if (value === undefined) return defaultUnpackLimits[name];
  if (!Number.isSafeInteger(value) || value < 0) throw archiveError(archiveErrorCode.input, `unpack-archive: limits.${name} must be a non-negative integer`);
  return value;
}

async function sha256Of(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(handle.createReadStream({ start: 0, autoClose: false }), hash);
  return hash.digest('hex');
}

/**
 * Unpacks `archive` into `destination`, refusing the whole archive (with an Error) at the first entry
 * that is unsafe: an absolute path, a path or link target with `..` that leaves the destination, a
 * write through a symbolic link, a device or FIFO, or one entry or byte past the limits. These are
 * tar's `strict` mode with `preservePaths: false`, plus a filter for the types and limits. Entries
 * unpacked before a refusal stay; a caller that gets an error discards the destination. Owners are
 * not restored: files belong to the agent.
 */
export async function unpackArchive(input: UnpackArchiveInput): Promise<UnpackArchiveOutput> {
  if (typeof input.archive !== 'string' || input.archive === '') throw archiveError(archiveErrorCode.input, 'unpack-archive needs an archive');
  if (typeof input.destination !== 'string' || input.destination === '') throw archiveError(archiveErrorCode.input, 'unpack-archive needs a destination');
  const maxEntries = checkedLimit('maxEntries', input.limits?.maxEntries);
  const maxBytes = checkedLimit('maxBytes', input.limits?.maxBytes);
  const expected = input.expectSha256?.toLowerCase();
  if (expected !== undefined && !sha256Pattern.test(expected)) {
    throw archiveError(archiveErrorCode.input, 'unpack-archive: expectSha256 must be 64 hex digits');
  }

  // One handle for the check and the extraction: a file swapped in between is never read.
  const handle = await open(input.archive, 'r');
  try {
    if (expected !== undefined) {
      const actual = await sha256Of(handle);
      if (actual !== expected) {
        throw archiveError(archiveErrorCode.checksum, `unpack-archive: ${input.archive} has sha256 ${actual}, expected ${expected}`);
      }
    }
    const destination = path.resolve(input.destination);
    await mkdir(destination, { recursive: true, mode: 0o700 });
    const cwd = await realpath(destination);
    const counted = await extract(handle, cwd, { maxEntries, maxBytes });
    return { destination, ...counted };
  } finally {
    await handle.close();
  }
}

function extract(handle: FileHandle, cwd: string, limits: UnpackLimits): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const source = handle.createReadStream({ start: 0, autoClose: false });
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      source.destroy();
      unpack.abort(error instanceof Error ? error : new Error(String(error)));
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const unpack = new Unpack({
      cwd,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (entryPath, entry) => {
        if (settled) return false;
        entries += 1;
        if (entries > limits.maxEntries) {
          fail(archiveError(archiveErrorCode.limit, `unpack-archive: the archive has more than maxEntries (${limits.maxEntries}) entries`));
          return false;
        }
        const type = entry instanceof ReadEntry ? entry.type : 'Unsupported';
        if (!unpackedTypes.has(type)) {
          fail(archiveError(archiveErrorCode.entry, `unpack-archive: entry "${entryPath}" is a ${type}; only files, directories and links are unpacked`));
          return false;
        }
        if (entry instanceof ReadEntry && fileTypes.has(type)) {
          bytes += entry.size;
          if (bytes > limits.maxBytes) {
            fail(archiveError(archiveErrorCode.limit, `unpack-archive: the archive unpacks to more than maxBytes (${limits.maxBytes}) bytes`));
            return false;
          }
        }
        return true;
      },
    });
    unpack.on('error', fail);
    source.on('error', fail);
    unpack.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ entries, bytes });
    });
    source.pipe(unpack);
  });
}
