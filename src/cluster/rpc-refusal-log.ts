// Callers the node RPC refused (in the TLS handshake, or by the node certificate check after it),
// logged at most once per peer address per minute: a scanner or a misconfigured peer retrying in a
// loop must not fill the log, yet the first refusal of each address says why. The table of addresses
// is bounded, so that many addresses cannot grow it without end.

import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

/** How long after logging an address's refusal the next ones from it are only counted. */
export const refusalLogIntervalMs = 60_000;

/** The most addresses remembered; past it the oldest entries are dropped. */
export const maxRememberedPeers = 1024;

/** Where a caller was refused: in the TLS handshake, or after it, by the node certificate check (403). */
export type RefusalStage = 'handshake' | 'certificate';

interface Entry {
  loggedAt: number;
  /** Refusals since the one logged, told with the next log line of this address. */
  suppressed: number;
}

/**
 * Returns the function to call for each refused caller.
 * @example server.on('tlsClientError', (error, socket) => logRefusal(socket.remoteAddress ?? 'unknown', error.message, 'handshake'));
 */
export function refusalLogger(logger: Logger, clock: Pick<Clock, 'now'>): (address: string, reason: string, stage?: RefusalStage) => void {
  const peers = new Map<string, Entry>();
  return (address, reason, stage = 'handshake') => {
    const now = clock.now();
    const entry = peers.get(address);
    if (entry !== undefined && now - entry.loggedAt < refusalLogIntervalMs) {
      entry.suppressed += 1;
      return;
    }
    peers.delete(address);
    if (peers.size >= maxRememberedPeers) {
      const oldest = peers.keys().next().value;
      if (oldest !== undefined) peers.delete(oldest);
    }
    peers.set(address, { loggedAt: now, suppressed: 0 });
    // The reason only: a refused peer is not a fault of this agent, its stack says nothing.
    logger.warn(
      {
        peer: address,
        stage,
        reason: reason.slice(0, 200),
        ...(entry === undefined || entry.suppressed === 0 ? {} : { alsoRefused: entry.suppressed }),
      },
      'node RPC refused a caller',
    );
  };
}
