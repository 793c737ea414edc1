// Reads a file the user hands gravity (the config, the application manifest, a plan file, a
// supervision tree spec) without ever holding more of it than the limit: it opens the file without
// blocking, refuses anything but a regular file (a device such as /dev/zero, a pipe, a socket or a
// directory), and reads at most limit+1 bytes in bounded chunks, so that a huge or endless file is
// refused by name and limit instead of exhausting memory.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { formatBytes, maxFileBytes } from './limits.ts';

/** Why a file could not be read: `missing` (ENOENT), `too-large`, or `unreadable` (anything else). */
export type InputFileFailure = { error: string; reason: 'missing' | 'unreadable' | 'too-large'; cause?: unknown };

const chunkBytes = 64 * 1024;

function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
}

/**
 * The file's text (UTF-8), or why it cannot be had. `what` names the file in messages.
 * @example const read = readInputFile('plan.yaml', 'plan file'); if ('error' in read) throw new GravityError(...)
 * // { error: 'plan file plan.yaml is larger than 1 MiB', reason: 'too-large' }
 */
export function readInputFile(file: string, what: string, limit: number = maxFileBytes): { text: string } | InputFileFailure {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { error: `cannot read ${what} ${file}: ${describeErrno(error)}`, reason: missing ? 'missing' : 'unreadable', cause: error };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { error: `cannot read ${what} ${file}: is a directory`, reason: 'unreadable' };
    if (!stat.isFile()) return { error: `cannot read ${what} ${file}: not a regular file (a device, pipe or socket is not read)`, reason: 'unreadable' };
    const tooLarge: InputFileFailure = { error: `${what} ${file} is larger than ${formatBytes(limit)}`, reason: 'too-large' };
    if (stat.size > limit) return tooLarge;
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, Math.min(chunkBytes, buffer.length - length), null);
      if (read === 0) break;
      length += read;
      if (length > limit) return tooLarge;
    }
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { error: `cannot read ${what} ${file}: ${describeErrno(error)}`, reason: 'unreadable', cause: error };
  } finally {
    closeSync(fd);
  }
}
