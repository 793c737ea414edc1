// The `etcd-healthz` checker: every etcd endpoint answers `GET /health` with `{"health":"true"}`, as
// Satellite's etcd-healthz checker asks each member. One unhealthy or unreachable endpoint fails the
// probe, and the error names each endpoint that failed and why.

import { KeyReader } from './support/keys.ts';
import { httpRequest } from './support/http-request.ts';
import type { TlsFiles } from './support/http-request.ts';
import { bodySnippet, parseJsonObject, readTls, tlsKeys } from './support/http-keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const etcdHealthzCheckerId = 'etcd-healthz';

export interface EtcdHealthzConfig {
  /** Client URLs, without the /health path. */
  endpoints: string[];
  tls: TlsFiles;
}

export const etcdHealthzDefaults = { endpoints: ['http://127.0.0.1:2379'] };

async function checkEndpoint(endpoint: string, tls: TlsFiles, context: CheckContext): Promise<string | undefined> {
  const url = `${endpoint.replace(/\/+$/, '')}/health`;
  const label = `Get ${url}`;
  const outcome = await httpRequest({ url, tls, signal: context.signal, timeoutMs: context.timeoutMs });
  if (!outcome.ok) return `${label}: ${outcome.error}`;
  const parsed = parseJsonObject(outcome.body);
  if ('error' in parsed) return `${label}: status ${outcome.status}, ${parsed.error}`;
  const { health, reason } = parsed.value;
  if (health === 'true' || health === true) return undefined;
  const why = typeof reason === 'string' && reason !== '' ? ` (reason: ${reason})` : '';
  return `${label}: etcd reports unhealthy${why}: ${bodySnippet(outcome.body)}`;
}

/**
 * @example probes: [{ checker: etcd-healthz, endpoints: ['https://10.0.0.1:2379'], caFile: /etc/etcd/ca.pem, certFile: ..., keyFile: ... }]
 */
export const etcdHealthzChecker: Checker<EtcdHealthzConfig> = {
  id: etcdHealthzCheckerId,
  description: 'every etcd endpoint answers GET /health with {"health":"true"}',
  keys: ['endpoints', ...tlsKeys],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const endpoints = keys.list(
      'endpoints',
      { fallback: etcdHealthzDefaults.endpoints, what: 'a list of etcd client URLs such as https://127.0.0.1:2379' },
      (value, elementAt) => {
        if (typeof value === 'string') {
          try {
            const url = new URL(value);
            if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return value;
          } catch (error) {
            return keys.wrongElement(elementAt, `an http or https URL such as https://127.0.0.1:2379 (${(error as Error).message})`, value);
          }
        }
        return keys.wrongElement(elementAt, 'an http or https URL such as https://127.0.0.1:2379', value);
      },
    );
    const tls = readTls(keys);
    if (endpoints === undefined || tls === undefined) return undefined;
    return { endpoints, tls };
  },
  async check(config: EtcdHealthzConfig, context: CheckContext): Promise<CheckResult> {
    const failures = (await Promise.all(config.endpoints.map((endpoint) => checkEndpoint(endpoint, config.tls, context)))).filter(
      (failure): failure is string => failure !== undefined,
    );
    if (failures.length === 0) return { status: 'running' };
    return { status: 'failed', error: `healthz check failed: ${failures.join('; ')}` };
  },
};
