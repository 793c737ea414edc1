// One wording for "this server cannot listen": the health endpoint and the Control Panel both turn
// the socket's error code into a sentence that says what to change, under the same error code.

import { GravityError } from '../errors.ts';

/** What to change, for the reason the listen failed; the address is set by health.listen or panel.listen. */
function listenHint(host: string, port: number, code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return `another process holds port ${port} ('ss -ltnp' shows which): stop it, or set another port in the config (health.listen, panel.listen)`;
    case 'EACCES':
      return `run the agent as root, or set a port of 1024 or more in the config (health.listen, panel.listen)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this host ('ip -br addr' lists them): set one of them, or 0.0.0.0, in the config`;
    default:
      return 'check the listen address in the config (health.listen, panel.listen)';
  }
}

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
  return new GravityError('E_LISTEN', `cannot listen on ${host}:${port} for ${what}: ${why}`, { cause: error, hint: listenHint(host, port, error.code) });
}
