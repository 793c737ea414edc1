// One wording for "this server cannot listen": the health endpoint, the Control Panel and the node
// RPC turn the socket's error code into a sentence that says what to change, under the same error
// code; and one way for an HTTP(S) server to start listening and to close with its connections.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GravityError } from '../errors.ts';

/** What to change, for the reason the listen failed; the address is set by health.listen, panel.listen or rpc.listen. */
function listenHint(host: string, port: number, code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return `another process holds port ${port} ('ss -ltnp' shows which): stop it, or set another port in the config (health.listen, panel.listen, rpc.listen)`;
    case 'EACCES':
      return `run the agent as root, or set a port of 1024 or more in the config (health.listen, panel.listen, rpc.listen)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this host ('ip -br addr' lists them): set one of them, or 0.0.0.0, in the config`;
    default:
      return 'check the listen address in the config (health.listen, panel.listen, rpc.listen)';
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

/** A server listening: where, and how to stop it. */
export interface ListeningServer {
  readonly host: string;
  /** The port it listens on (the one picked, when asked for 0). */
  readonly port: number;
  /** `https://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
  /** Stops listening and closes every connection, keep-alive ones included. Once, however often called. */
  close(): Promise<void>;
}

/**
 * Makes the server listen (E_LISTEN, in words, when it cannot) and returns its handle; `onClose` runs
 * as it closes, for connections the server does not track itself (sockets of failed handshakes).
 * @example return listenServer(server, { host: '127.0.0.1', port: 7575, what: 'the health endpoint' });
 */
export async function listenServer(server: Server, options: { host: string; port: number; what: string; onClose?: () => void }): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(listenError(options.host, options.port, options.what, error));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url: `https://${shownHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
        options.onClose?.();
      });
      return closing;
    },
  };
}
