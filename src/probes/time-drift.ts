// The `time-drift` checker: this node's clock agrees with its peers', as Satellite's timedrift
// checker requires of cluster members. Each peer's health endpoint answers `GET /time` with
// `{"time": <epoch ms>}`; with the round trip measured on an established connection, the drift is
// peerTime + rtt/2 - localTime. Over 300 ms either way fails the probe. Each request has 100 ms, as
// in Satellite: a slower answer says more about the network than about the clocks.

import { formatHostPort, KeyReader, parseHostPort } from './support/keys.ts';
import { httpRequest } from './support/http-request.ts';
import type { TlsFiles } from './support/http-request.ts';
import { bodySnippet, parseJsonObject, readTls, tlsKeys } from './support/http-keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const timeDriftCheckerId = 'time-drift';

export interface TimeDriftConfig {
  /** Other agents' health endpoints, host:port. */
  peers: string[];
  maxDriftMs: number;
  requestTimeoutMs: number;
  /** What a peer that cannot be measured (no answer, a bad answer) means for the probe. */
  unreachablePeers: 'ignore' | 'fail';
  tls: TlsFiles;
}

export const timeDriftDefaults = { maxDriftMs: 300, requestTimeoutMs: 100, unreachablePeers: 'ignore' as const, tlsVerify: false };

export type PeerDrift = { peer: string; driftMs: number; rttMs: number } | { peer: string; error: string };

/**
 * Measures one peer's drift: positive when the peer's clock is ahead of ours.
 * @example await measureDrift('10.0.0.2:7575', config, context) // { peer, driftMs: 12, rttMs: 3 }
 */
export async function measureDrift(peer: string, config: TimeDriftConfig, context: CheckContext): Promise<PeerDrift> {
  const url = `https://${peer}/time`;
  const outcome = await httpRequest({
    url,
    tls: config.tls,
    signal: context.signal,
    timeoutMs: context.timeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxBodyBytes: 4096,
  });
  if (!outcome.ok) return { peer, error: `Get ${url}: ${outcome.error}` };
  if (outcome.status !== 200) return { peer, error: `Get ${url}: status ${outcome.status} ${outcome.statusText}: ${bodySnippet(outcome.body)}` };
  const parsed = parseJsonObject(outcome.body);
  if ('error' in parsed) return { peer, error: `Get ${url}: ${parsed.error}` };
  const peerTime = parsed.value.time;
  if (typeof peerTime !== 'number' || !Number.isFinite(peerTime)) {
    return { peer, error: `Get ${url}: the answer has no "time" in epoch milliseconds: ${bodySnippet(outcome.body)}` };
  }
  const rttMs = outcome.receivedAt - outcome.sentAt;
  return { peer, rttMs, driftMs: Math.round(peerTime + rttMs / 2 - outcome.receivedAt) };
}

function describeDrift(drift: { peer: string; driftMs: number }, maxDriftMs: number): string {
  const side = drift.driftMs > 0 ? 'ahead of' : 'behind';
  return `time drift with ${drift.peer} is ${drift.driftMs > 0 ? '+' : ''}${drift.driftMs}ms (its clock is ${side} ours), above the threshold of ${maxDriftMs}ms`;
}

/**
 * @example probes: [{ checker: time-drift, peers: ['10.0.0.2:7575', '10.0.0.3:7575'] }]
 */
export const timeDriftChecker: Checker<TimeDriftConfig> = {
  id: timeDriftCheckerId,
  description: "this node's clock is within maxDrift (default 300ms) of every peer's (GET https://<peer>/time, 100ms per request)",
  keys: ['peers', 'maxDrift', 'requestTimeout', 'unreachablePeers', ...tlsKeys],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const peers = keys.list('peers', { fallback: [], minItems: 0, what: "a list of peers' health endpoints, host:port" }, (value, elementAt) => {
      const parsed = typeof value === 'string' ? parseHostPort(value) : undefined;
      return parsed === undefined ? keys.wrongElement(elementAt, 'host:port, e.g. 10.0.0.2:7575', value) : formatHostPort(parsed);
    });
    const maxDriftMs = keys.duration('maxDrift', { fallback: timeDriftDefaults.maxDriftMs, minMs: 1, maxMs: 3_600_000 });
    const requestTimeoutMs = keys.duration('requestTimeout', { fallback: timeDriftDefaults.requestTimeoutMs, minMs: 1, maxMs: 60_000 });
    const unreachablePeers = keys.oneOf('unreachablePeers', ['ignore', 'fail'] as const, timeDriftDefaults.unreachablePeers);
    const tls = readTls(keys, timeDriftDefaults.tlsVerify);
    if (peers === undefined || maxDriftMs === undefined || requestTimeoutMs === undefined || unreachablePeers === undefined || tls === undefined) {
      return undefined;
    }
    return { peers, maxDriftMs, requestTimeoutMs, unreachablePeers, tls };
  },
  async check(config: TimeDriftConfig, context: CheckContext): Promise<CheckResult> {
    if (config.peers.length === 0) return { status: 'running' };
    const drifts = await Promise.all(config.peers.map((peer) => measureDrift(peer, config, context)));
    const problems: string[] = [];
    for (const drift of drifts) {
      if ('error' in drift) {
        if (config.unreachablePeers === 'fail') problems.push(`cannot measure time drift with ${drift.peer}: ${drift.error}`);
      } else if (Math.abs(drift.driftMs) > config.maxDriftMs) {
        problems.push(describeDrift(drift, config.maxDriftMs));
      }
    }
    return problems.length === 0 ? { status: 'running' } : { status: 'failed', error: problems.join('; ') };
  },
};
