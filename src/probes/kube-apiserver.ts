// The `kube-apiserver` checker: the Kubernetes API server answers `GET https://<address>/healthz`
// with `ok`, the check behind the seed's `kube-apiserver` probe. The API server's certificate is
// usually signed by the cluster's own CA: give it with `caFile`, or set `tlsVerify: false`.

import { formatHostPort, KeyReader } from './support/keys.ts';
import type { HostPort } from './support/keys.ts';
import { httpRequest } from './support/http-request.ts';
import type { TlsFiles } from './support/http-request.ts';
import { bodySnippet, readTls, tlsKeys } from './support/http-keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const kubeApiserverCheckerId = 'kube-apiserver';

export interface KubeApiserverConfig {
  address: HostPort;
  tls: TlsFiles;
}

export const kubeApiserverDefaults = { address: { host: '127.0.0.1', port: 6443 } };

/**
 * @example probes: [{ checker: kube-apiserver, address: 10.0.0.1:6443, caFile: /etc/kubernetes/pki/ca.crt }]
 */
export const kubeApiserverChecker: Checker<KubeApiserverConfig> = {
  id: kubeApiserverCheckerId,
  description: 'the Kubernetes API server answers GET https://<address>/healthz with ok',
  keys: ['address', ...tlsKeys],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const address = keys.hostPort('address', { fallback: kubeApiserverDefaults.address });
    const tls = readTls(keys);
    if (address === undefined || tls === undefined) return undefined;
    return { address, tls };
  },
  async check(config: KubeApiserverConfig, context: CheckContext): Promise<CheckResult> {
    const url = `https://${formatHostPort(config.address)}/healthz`;
    const label = `healthz check failed: Get ${url}`;
    const outcome = await httpRequest({ url, tls: config.tls, signal: context.signal, timeoutMs: context.timeoutMs });
    if (!outcome.ok) return { status: 'failed', error: `${label}: ${outcome.error}` };
    const body = outcome.body.trim();
    if (outcome.status !== 200 || body !== 'ok') {
      return { status: 'failed', error: `${label}: status ${outcome.status} ${outcome.statusText}, expected 200 ok (body: ${bodySnippet(outcome.body)})` };
    }
    return { status: 'running' };
  },
};
