// Password hashing for the Control Panel's users: scrypt from node:crypto (memory-hard, so guessing
// on GPUs is slow), a random salt per password, and every parameter written into the stored string
// (`scrypt$N$r$p$salt$hash`) so that a later gravity can raise the cost without breaking the hashes
// already stored. Verification recomputes and compares in constant time.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
}

/** The cost of new hashes: 2^15, 8, 1 (32 MiB, about 50-100 ms on a server core). */
export const defaultScryptParameters: Readonly<ScryptParameters> = { N: 2 ** 15, r: 8, p: 1 };

const keyLength = 64;
const saltLength = 16;
const scheme = 'scrypt';
/** Stored parameters outside these bounds are refused rather than run (a damaged row must not hang the agent). */
const bounds = { N: [2 ** 10, 2 ** 20], r: [1, 32], p: [1, 16] } as const;

function derive(password: string, salt: Buffer, parameters: ScryptParameters, length: number): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; node's default ceiling (32 MiB) is exactly that at N=2^15, r=8,
  // and it refuses a request that reaches it, so the ceiling is raised to twice what is needed.
  const options: ScryptOptions = { N: parameters.N, r: parameters.r, p: parameters.p, maxmem: 256 * parameters.N * parameters.r };
  // NFKC: the same password typed on another keyboard or OS (composed or not) hashes the same.
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/**
 * Hashes a password for storing: `scrypt$N$r$p$<salt>$<hash>` (salt and hash in base64url).
 * @example const stored = await hashPassword('correct horse battery staple'); // 'scrypt$32768$8$1$...$...'
 */
export async function hashPassword(password: string, parameters: ScryptParameters = defaultScryptParameters): Promise<string> {
  const salt = randomBytes(saltLength);
  const key = await derive(password, salt, parameters, keyLength);
  return [scheme, parameters.N, parameters.r, parameters.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  parameters: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

function within(value: number, [low, high]: readonly [number, number]): boolean {
  return Number.isSafeInteger(value) && value >= low && value <= high;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== scheme) return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!within(N, bounds.N) || (N & (N - 1)) !== 0 || !within(r, bounds.r) || !within(p, bounds.p)) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { parameters: { N, r, p }, salt, key };
}

/** True if the text is a hash hashPassword could have made (and verifyPassword can check). */
export function isPasswordHash(stored: string): boolean {
  return parseHash(stored) !== undefined;
}

/**
 * True if the password is the one the stored hash was made from; false for any other password and
 * for a stored string that is not a hash.
 * @example if (!(await verifyPassword(given, user.passwordHash))) refuse();
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.parameters, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}
