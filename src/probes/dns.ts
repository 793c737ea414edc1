// The `dns` checker: a name resolves (and, optionally, to an expected address). By default it asks
// the system resolver (getaddrinfo: /etc/hosts, then the nameservers of /etc/resolv.conf), which is
// what every program on the host sees; with `nameservers` it queries those servers directly, as
// Satellite's dns checker queries the cluster's own resolvers.

import dns from 'node:dns';
import { isIP } from 'node:net';
import { describeError, errorCode } from './support/describe-error.ts';
import { untilAborted } from './support/deadline.ts';
import { formatHostPort, KeyReader, parseHostPort } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const dnsCheckerId = 'dns';

export type DnsFamily = 'any' | 'ipv4' | 'ipv6';

export interface DnsConfig {
  hostname: string;
  /** Passing needs at least one of these among the answers (any answer when empty). */
  expectedAddresses: string[];
  family: DnsFamily;
  /** `ip` or `ip:port` servers to ask directly; the system resolver when empty. */
  nameservers: string[];
}

const hostnamePattern = /^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/;

/** One spelling per address (`0:0::1` and `::1` are the same IPv6 address). */
export function normalizeAddress(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** A DNS error's reason, in the words of Go's resolver (`no such host`, `i/o timeout`). */
function dnsReason(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOTFOUND':
    case 'ENODATA':
      return 'no such host';
    case 'ETIMEOUT':
      return 'i/o timeout';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ESERVFAIL':
      return 'server misbehaving';
    case 'EREFUSED':
      return 'the server refused the query';
    default:
      return describeError(error);
  }
}

async function systemLookup(config: DnsConfig): Promise<string[]> {
  const family = config.family === 'ipv4' ? 4 : config.family === 'ipv6' ? 6 : 0;
  const answers = await dns.promises.lookup(config.hostname, { all: true, family });
  return answers.map((answer) => answer.address);
}

async function serverLookup(config: DnsConfig, context: CheckContext): Promise<string[]> {
  const resolver = new dns.promises.Resolver({ timeout: Math.max(1, context.timeoutMs), tries: 1 });
  resolver.setServers(config.nameservers);
  const cancel = (): void => resolver.cancel();
  context.signal.addEventListener('abort', cancel, { once: true });
  try {
    const queries: Promise<string[]>[] = [];
    if (config.family !== 'ipv6') queries.push(resolver.resolve4(config.hostname));
    if (config.family !== 'ipv4') queries.push(resolver.resolve6(config.hostname));
    const results = await Promise.allSettled(queries);
    const addresses = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    // With `any`, a name with only A records answers ENODATA for AAAA: that is not a failure.
    if (addresses.length === 0 && failure !== undefined) throw failure.reason;
    return addresses;
  } finally {
    context.signal.removeEventListener('abort', cancel);
  }
}

/**
 * @example probes: [{ checker: dns, hostname: leader.telekube.local, nameservers: [127.0.0.2] }]
 */
export const dnsChecker: Checker<DnsConfig> = {
  id: dnsCheckerId,
  description: 'hostname resolves (system resolver, or the given nameservers), optionally to one of expectedAddresses',
  keys: ['hostname', 'expectedAddresses', 'family', 'nameservers'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const hostname = keys.string('hostname', { required: true, what: 'a host name such as example.com', pattern: hostnamePattern });
    let expectedAddresses: string[] | undefined;
    if (typeof raw.expectedAddresses === 'string') {
      if (isIP(raw.expectedAddresses) === 0) {
        keys.problem('expectedAddresses', `must be an IP address or a list of them, got ${JSON.stringify(raw.expectedAddresses)}`);
        expectedAddresses = undefined;
      } else expectedAddresses = [normalizeAddress(raw.expectedAddresses)];
    } else {
      expectedAddresses = keys.list('expectedAddresses', { fallback: [], what: 'an IP address or a list of them' }, (value, elementAt) =>
        typeof value === 'string' && isIP(value) !== 0 ? normalizeAddress(value) : keys.wrongElement(elementAt, 'an IP address', value),
      );
    }
    const family = keys.oneOf('family', ['any', 'ipv4', 'ipv6'] as const, 'any');
    const nameservers = keys.list('nameservers', { fallback: [], what: 'a list of nameserver addresses (ip or ip:port)' }, (value, elementAt) => {
      if (typeof value === 'string' && isIP(value) !== 0) return value;
      const parsed = typeof value === 'string' ? parseHostPort(value) : undefined;
      if (parsed !== undefined && isIP(parsed.host) !== 0) return formatHostPort(parsed);
      return keys.wrongElement(elementAt, 'a nameserver address: an IP, or IP:port', value);
    });
    if (hostname === undefined || expectedAddresses === undefined || family === undefined || nameservers === undefined) return undefined;
    return { hostname, expectedAddresses, family, nameservers };
  },
  async check(config: DnsConfig, context: CheckContext): Promise<CheckResult> {
    const via = config.nameservers.length === 0 ? '' : ` on ${config.nameservers.join(',')}`;
    const label = `lookup ${config.hostname}${via}`;
    let addresses: string[];
    try {
      const work = config.nameservers.length === 0 ? systemLookup(config) : serverLookup(config, context);
      const raced = await untilAborted(work, context.signal);
      if (!raced.done) return { status: 'failed', error: `${label}: timed out after ${context.timeoutMs}ms` };
      addresses = raced.value.map(normalizeAddress);
    } catch (error) {
      return { status: 'failed', error: `${label}: ${dnsReason(error)}` };
    }
    if (addresses.length === 0) return { status: 'failed', error: `${label}: no addresses` };
    if (config.expectedAddresses.length > 0 && !config.expectedAddresses.some((expected) => addresses.includes(expected))) {
      const wanted = config.expectedAddresses.length === 1 ? config.expectedAddresses[0] : `one of ${config.expectedAddresses.join(', ')}`;
      return { status: 'failed', error: `${label}: got ${addresses.join(', ')}, expected ${wanted}` };
    }
    return { status: 'running' };
  },
};
