// The `tcp` checker: something accepts connections at host:port. The simplest liveness test of a
// listening service (Consul's TCP check): connect, then close at once; refused, unreachable or
// unanswered within the probe's timeout is a failure.

import net from 'node:net';
import { describeError, errorCode } from './support/describe-error.ts';
import { formatHostPort, KeyReader } from './support/keys.ts';
import type { HostPort } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const tcpCheckerId = 'tcp';

export interface TcpConfig {
  address: HostPort;
}

/**
 * Connects to host:port once; resolves with a one-line reason on failure.
 * @example await dialTcp({ host: '127.0.0.1', port: 22 }, signal, 1000) // undefined when it connected
 */
export function dialTcp(address: HostPort, signal: AbortSignal, timeoutMs: number): Promise<string | undefined> {
  const target = formatHostPort(address);
  if (signal.aborted) return Promise.resolve(`dial tcp ${target}: timed out after ${timeoutMs}ms connecting`);
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const finish = (reason: string | undefined): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(reason);
    };
    const onAbort = (): void => finish(`dial tcp ${target}: timed out after ${timeoutMs}ms connecting`);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error) => {
      const code = errorCode(error);
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'ENODATA') {
        finish(`dial tcp: lookup ${address.host}: ${describeError(error)}`);
      } else {
        finish(`dial tcp ${target}: connect: ${describeError(error)}`);
      }
    });
  });
}

/**
 * @example probes: [{ checker: tcp, name: web, address: 127.0.0.1:8080 }]
 */
export const tcpChecker: Checker<TcpConfig> = {
  id: tcpCheckerId,
  description: 'a TCP connection to address (host:port) succeeds',
  keys: ['address'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const address = keys.hostPort('address', { required: true });
    return address === undefined ? undefined : { address };
  },
  async check(config: TcpConfig, context: CheckContext): Promise<CheckResult> {
    const reason = await dialTcp(config.address, context.signal, context.timeoutMs);
    return reason === undefined ? { status: 'running' } : { status: 'failed', error: reason };
  },
};
