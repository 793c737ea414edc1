// The kube-apiserver checker against a real HTTPS server shaped like the API server's /healthz:
// `ok` with a trusted CA passes, an untrusted certificate or an unhealthy answer fails with the
// reason, and a server that accepts and never answers is cut off by the deadline.

import assert from 'node:assert/strict';
import { kubeApiserverChecker } from '../../src/probes/kube-apiserver.ts';
import { assertProblems, closedPort, mustCompile, runCheck, selfSignedCertificate, startHttps, startSilentTcp, tempDir } from './helpers.ts';
import type { BadConfig, Certificate, Running, TempDir } from './helpers.ts';

describe('kube-apiserver checker', () => {
  let dir: TempDir;
  let certificate: Certificate;
  let apiserver: Running;
  let healthy = true;

  before(async () => {
    dir = tempDir('kube');
    certificate = selfSignedCertificate(dir.path);
    apiserver = await startHttps(certificate, (request, response) => {
      if (request.url !== '/healthz') response.writeHead(404).end();
      else if (healthy) response.end('ok');
      else response.writeHead(500).end('[+]ping ok\n[-]etcd failed: reason withheld\nhealthz check failed\n');
    });
  });
  after(async () => {
    await apiserver.close();
    dir.remove();
  });

  it('defaults to 127.0.0.1:6443 with TLS verification', () => {
    assert.deepEqual(mustCompile(kubeApiserverChecker, {}), { address: { host: '127.0.0.1', port: 6443 }, tls: { tlsVerify: true } });
  });

  it('is running when /healthz answers ok over verified TLS', async () => {
    healthy = true;
    const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: apiserver.address, caFile: certificate.certFile }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('is running with tlsVerify: false', async () => {
    healthy = true;
    const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: apiserver.address, tlsVerify: false }));
    assert.equal(result.status, 'running');
  });

  it('fails when the certificate is not trusted', async () => {
    const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: apiserver.address }));
    assert.match(result.error ?? '', new RegExp(`^healthz check failed: Get https://${apiserver.address}/healthz: tls: self[- ]signed certificate`));
  });

  it('fails when /healthz is not ok, with the body', async () => {
    healthy = false;
    const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: apiserver.address, tlsVerify: false }));
    assert.equal(
      result.error,
      `healthz check failed: Get https://${apiserver.address}/healthz: status 500 Internal Server Error, expected 200 ok (body: "[+]ping ok | [-]etcd failed: reason withheld | healthz check failed")`,
    );
  });

  it('fails when nothing listens', async () => {
    const port = await closedPort();
    const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: `127.0.0.1:${port}` }));
    assert.equal(result.error, `healthz check failed: Get https://127.0.0.1:${port}/healthz: dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('fails at its deadline when the server accepts and never answers', async () => {
    const silent = await startSilentTcp();
    try {
      const result = await runCheck(kubeApiserverChecker, mustCompile(kubeApiserverChecker, { address: silent.address }), 300);
      assert.equal(result.error, `healthz check failed: Get https://${silent.address}/healthz: timed out after 300ms in the TLS handshake`);
      assert.ok(result.elapsedMs >= 250 && result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    } finally {
      await silent.close();
    }
  });

  const bad: BadConfig[] = [
    { name: 'an address without a port', raw: { address: '10.0.0.1' }, problems: [/^probes\[0\]\.address: must be host:port/] },
    { name: 'a URL as the address', raw: { address: 'https://10.0.0.1:6443' }, problems: [/^probes\[0\]\.address: /] },
    { name: 'tlsVerify as a string', raw: { tlsVerify: 'false' }, problems: [/^probes\[0\]\.tlsVerify: must be true or false/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(kubeApiserverChecker, entry));
});
