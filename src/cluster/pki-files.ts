// The files of the cluster's certificates in <state-dir>/pki/: the folder is the agent's alone (0700),
// a private key is written 0600 from the moment it exists and a certificate 0644, each written to a
// temporary file and renamed into place so that nobody reads half a file. Reading is bounded (a PEM
// file is small) and refuses a private key that its group or other users may read.

import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readInputFile } from '../config/input-file.ts';
import { formatBytes } from '../config/limits.ts';
import { GravityError } from '../errors.ts';
import { privateFileMode } from '../private-files.ts';
import { describeStateDirErrno } from '../supervisor/state-dir.ts';

/** The largest certificate or key file read: a P-256 PEM is under 1 KiB, a certificate a few. */
export const maxPemBytes = 64 * 1024;

/** The mode of a certificate file: anyone may read a certificate. */
export const certificateFileMode = 0o644;

/** The mode of the pki folder. */
export const pkiDirMode = 0o700;

function ioError(stateDir: string, doing: string, error: unknown): GravityError {
  return new GravityError('E_PKI', `cannot ${doing}: ${(error as Error).message}`, {
    cause: error,
    hint: describeStateDirErrno(stateDir, error as NodeJS.ErrnoException).hint,
  });
}

/**
 * Creates <state-dir>/pki (0700) if it is missing and makes an existing one 0700; returns its path.
 * @example const dir = ensurePkiDir('/var/lib/gravity'); // '/var/lib/gravity/pki'
 */
export function ensurePkiDir(stateDir: string): string {
  const dir = path.join(stateDir, 'pki');
  try {
    mkdirSync(dir, { recursive: true, mode: pkiDirMode });
    if (!statSync(dir).isDirectory()) throw new GravityError('E_PKI', `${dir} is not a directory`, { hint: `remove or rename the file ${dir}` });
    chmodSync(dir, pkiDirMode);
  } catch (error) {
    if (error instanceof GravityError) throw error;
    throw ioError(stateDir, `create ${dir}`, error);
  }
  return dir;
}

export interface PemWrite {
  file: string;
  text: string;
  /** 0600 for a private key, 0644 for a certificate. */
  mode: number;
}

/**
 * Writes every file to a temporary name with its mode, then renames them into place in the order
 * given (so the file written last marks a complete set). Nothing is left behind on failure.
 */
export function writePemFiles(stateDir: string, files: readonly PemWrite[]): void {
  const suffix = `.${process.pid}.tmp`;
  try {
    for (const { file, text, mode } of files) {
      rmSync(file + suffix, { force: true });
      writeFileSync(file + suffix, text, { mode, flag: 'wx' });
      chmodSync(file + suffix, mode);
    }
    for (const { file } of files) renameSync(file + suffix, file);
  } catch (error) {
    for (const { file } of files) rmSync(file + suffix, { force: true });
    throw ioError(stateDir, `store ${files.map(({ file }) => path.basename(file)).join(' and ')} in ${path.dirname(files[0]?.file ?? stateDir)}`, error);
  }
}

/** Whether the file exists (anything else than ENOENT is an error). */
export function pemFileExists(stateDir: string, file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(stateDir, `read ${file}`, error);
  }
}

/**
 * The text of a certificate or key file, at most 64 KiB. A private key (`secret`) whose group or
 * other users have any permission is refused (E_PKI_KEY_EXPOSED): it may have been read already.
 * @example const pem = readPemFile('/var/lib/gravity', '/var/lib/gravity/pki/ca-key.pem', 'the cluster CA key', { secret: true });
 */
export function readPemFile(stateDir: string, file: string, what: string, options: { secret: boolean }): string {
  if (options.secret) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (error) {
      throw ioError(stateDir, `read ${what} ${file}`, error);
    }
    if ((mode & 0o077) !== 0) {
      throw new GravityError('E_PKI_KEY_EXPOSED', `${what} ${file} may be read by other users (mode 0${(mode & 0o777).toString(8)})`, {
        hint: `if nobody else can have read it, 'chmod ${privateFileMode.toString(8)} ${file}'; otherwise the key has leaked: make a new one (docs/cluster-pki.md)`,
      });
    }
  }
  const read = readInputFile(file, what, maxPemBytes);
  if ('text' in read) return read.text;
  if (read.reason === 'too-large') {
    throw new GravityError('E_PKI_FILE_TOO_LARGE', `${what} ${file} is larger than ${formatBytes(maxPemBytes)}`);
  }
  throw new GravityError('E_PKI', read.error, { cause: read.cause });
}
