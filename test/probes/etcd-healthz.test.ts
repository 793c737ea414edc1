// The etcd-healthz checker against real HTTP and HTTPS servers shaped like etcd's /health: every
// healthy endpoint passes, one unhealthy or unreachable endpoint fails the probe and is named, TLS
// uses caFile, and an endpoint that never answers is cut off by the deadline.

import assert from 'node:assert/strict';
import { etcdHealthzChecker } from '../../src/probes/etcd-healthz.ts';
import {
  assertProblems,
  closedPort,
  mustCompile,
  runCheck,
  selfSignedCertificate,
  startHttp,
  startHttps,
  startSilentTcp,
  tempDir,
} from './helpers.ts';
import type { BadConfig, Certificate, Handler, Running, TempDir } from './helpers.ts';

const etcd = (answer: () => { status: number; body: string }): Handler => (request, response) => {
  if (request.url !== '/health') {
    response.writeHead(404).end('404 page not found\n');
    return;
  }
  const { status, body } = answer();
  response.writeHead(status, { 'content-type': 'application/json' }).end(body);
};

describe('etcd-healthz checker', () => {
  let dir: TempDir;
  let certificate: Certificate;
  let healthy: Running;
  let unhealthy: Running;
  let secure: Running;

  before(async () => {
    dir = tempDir('etcd');
    certificate = selfSignedCertificate(dir.path);
    healthy = await startHttp(etcd(() => ({ status: 200, body: '{"health":"true","reason":""}' })));
    unhealthy = await startHttp(etcd(() => ({ status: 503, body: '{"health":"false","reason":"RAFT NO LEADER"}' })));
    secure = await startHttps(certificate, etcd(() => ({ status: 200, body: '{"health":"true"}' })));
  });
  after(async () => {
    await healthy.close();
    await unhealthy.close();
    await secure.close();
    dir.remove();
  });

  it('defaults to the local client URL', () => {
    assert.deepEqual(mustCompile(etcdHealthzChecker, {}), { endpoints: ['http://127.0.0.1:2379'], tls: { tlsVerify: true } });
  });

  it('is running when every endpoint is healthy', async () => {
    const config = mustCompile(etcdHealthzChecker, {
      endpoints: [`http://${healthy.address}`, `https://localhost:${secure.port}/`],
      caFile: certificate.certFile,
    });
    const result = await runCheck(etcdHealthzChecker, config);
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails when one endpoint is unhealthy or unreachable, naming each', async () => {
    const port = await closedPort();
    const config = mustCompile(etcdHealthzChecker, { endpoints: [`http://${healthy.address}`, `http://${unhealthy.address}`, `http://127.0.0.1:${port}`] });
    const result = await runCheck(etcdHealthzChecker, config);
    assert.equal(result.status, 'failed');
    assert.equal(
      result.error,
      `healthz check failed: Get http://${unhealthy.address}/health: etcd reports unhealthy (reason: RAFT NO LEADER): "{\\"health\\":\\"false\\",\\"reason\\":\\"RAFT NO LEADER\\"}"; ` +
        `Get http://127.0.0.1:${port}/health: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it("fails when the server's certificate is not trusted", async () => {
    const result = await runCheck(etcdHealthzChecker, mustCompile(etcdHealthzChecker, { endpoints: [`https://${secure.address}`] }));
    assert.match(result.error ?? '', /^healthz check failed: Get https:\/\/127\.0\.0\.1:\d+\/health: tls: self[- ]signed certificate/);
  });

  it('fails when the answer is not etcd-shaped', async () => {
    const result = await runCheck(etcdHealthzChecker, mustCompile(etcdHealthzChecker, { endpoints: [`http://${healthy.address}/v2`] }));
    assert.match(result.error ?? '', /^healthz check failed: Get http:\/\/127\.0\.0\.1:\d+\/v2\/health: status 404, the answer is not JSON/);
  });

  it('fails at its deadline when an endpoint accepts and never answers', async () => {
    const silent = await startSilentTcp();
    try {
      const result = await runCheck(etcdHealthzChecker, mustCompile(etcdHealthzChecker, { endpoints: [`http://${healthy.address}`, `http://${silent.address}`] }), 300);
      assert.equal(result.error, `healthz check failed: Get http://${silent.address}/health: timed out after 300ms while awaiting response headers`);
      assert.ok(result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    } finally {
      await silent.close();
    }
  });

  const bad: BadConfig[] = [
    { name: 'endpoints as a string', raw: { endpoints: 'http://127.0.0.1:2379' }, problems: [/^probes\[0\]\.endpoints: must be a list of etcd client URLs/] },
    { name: 'an empty list', raw: { endpoints: [] }, problems: [/^probes\[0\]\.endpoints: must be a list/] },
    {
      name: 'bad endpoints',
      raw: { endpoints: ['127.0.0.1:2379', 'http://ok:2379', 'unix:///x'] },
      problems: [/^probes\[0\]\.endpoints\[0\]: must be an http or https URL/, /^probes\[0\]\.endpoints\[2\]: must be an http or https URL/],
    },
    { name: 'keyFile without certFile', raw: { keyFile: '/k.pem' }, problems: [/^probes\[0\]\.certFile: required with the other/] },
    { name: 'caFile not a string', raw: { caFile: true }, problems: [/^probes\[0\]\.caFile: must be the path of a PEM file, got true$/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(etcdHealthzChecker, entry));
});
