// The state dir holds secrets (the store with the users' password hashes and sessions, the TLS private
// keys): every such file must be readable by the agent's user only, from the moment it exists. These
// helpers create a file 0600 before anything writes to it, and take away the group's and others' bits
// of one that an older gravity (or an umask) left readable.

import { chmodSync, closeSync, constants, fchmodSync, fstatSync, openSync, statSync } from 'node:fs';

/** The mode of every secret file gravity writes: read and write for its owner only. */
export const privateFileMode = 0o600;

/** Bits that let the group or others do anything with a file. */
const groupOtherBits = 0o077;

/**
 * Creates `path` empty with mode 0600 if it is missing; an existing file keeps its content and loses
 * any group or other permission bits. Throws what the file system says (ENOENT for a missing parent, ...).
 * @example ensurePrivateFile('/var/lib/gravity/gravity.db'); // then let SQLite open it
 */
export function ensurePrivateFile(path: string): void {
  // A symlink is followed, as SQLite follows it: only the state dir's owner can put one there (see state-dir.ts).
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, privateFileMode);
  try {
    if ((fstatSync(fd).mode & groupOtherBits) !== 0) fchmodSync(fd, privateFileMode);
  } finally {
    closeSync(fd);
  }
}

/**
 * Takes away the group's and others' permission bits of `path` if it exists; nothing if it does not.
 * @example tightenIfPresent('/var/lib/gravity/gravity.db-wal');
 */
export function tightenIfPresent(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & groupOtherBits) !== 0) chmodSync(path, mode & 0o700);
}
