// One wording for "this server cannot listen": the health endpoint and the Control Panel both turn
// the socket's error code into a sentence that says what to change, under the same error code.

import { GravityError } from '../errors.ts';

/**
 * E_LISTEN for a failed listen, with the reason in words.
 * @example server.once('error', (error) => reject(listenError('0.0.0.0', 7575, 'the health endpoint', error)));
 */
export function listenError(host: string, port: number, what: string, error: NodeJS.ErrnoException): GravityError {
  const why =
    error.code === 'EADDRINUSE'
      ? 'the address is in use'
      : error.code === 'EACCES'
        ? 'permission denied (a port below 1024 needs root)'
        : error.code === 'EADDRNOTAVAIL'
          ? 'not an address of this host'
          : error.message;
  return new GravityError('E_LISTEN', `cannot listen on ${host}:${port} for ${what}: ${why}`, { cause: error });
}
