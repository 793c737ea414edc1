// A TCP listener on 127.0.0.1 that accepts and closes at once: the target of a tcp probe in the
// integration and browser tests, stopped and started again to fail and recover the probe.

import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** Listens on `port` (0: a free one). */
export function listenTcp(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Stops listening; resolves once the listener is closed. */
export function closeTcp(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
