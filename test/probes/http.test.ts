// The http checker against real HTTP and HTTPS servers on 127.0.0.1: status ranges, body matches
// (substring and /regex/), TLS verification on and off and with a CA file, refused connections, and
// a server that accepts and never answers (the deadline must end the check).

import assert from 'node:assert/strict';
import { httpChecker } from '../../src/probes/http.ts';
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

describe('http checker', () => {
  let dir: TempDir;
  let certificate: Certificate;
  let plain: Running;
  let secure: Running;
  const seen: { method?: string; headers: Record<string, string | string[] | undefined> }[] = [];

  const handler: Handler = (request, response) => {
    seen.push({ method: request.method ?? '', headers: request.headers });
    switch (request.url) {
      case '/ok':
        response.end('all systems ok');
        break;
      case '/redirect':
        response.writeHead(302, { location: '/ok' }).end();
        break;
      case '/down':
        response.writeHead(503).end('database unreachable\nretry later');
        break;
      case '/created':
        response.writeHead(201).end('{"id":7}');
        break;
      default:
        response.writeHead(404).end('not found');
    }
  };

  before(async () => {
    dir = tempDir('http');
    certificate = selfSignedCertificate(dir.path);
    plain = await startHttp(handler);
    secure = await startHttps(certificate, handler);
  });
  after(async () => {
    await plain.close();
    await secure.close();
    dir.remove();
  });

  const check = async (raw: Record<string, unknown>, timeoutMs = 2000): Promise<{ status: string; error?: string; elapsedMs: number }> =>
    runCheck(httpChecker, mustCompile(httpChecker, raw), timeoutMs);

  it('is running for a 200 answer, and for a redirect (200-399 by default)', async () => {
    assert.equal((await check({ url: `http://${plain.address}/ok` })).status, 'running');
    assert.equal((await check({ url: `http://${plain.address}/redirect` })).status, 'running');
  });

  it('fails for a status outside the range, naming the status, the range and the body', async () => {
    const result = await check({ url: `http://${plain.address}/down` });
    assert.equal(result.status, 'failed');
    assert.equal(
      result.error,
      `Get http://${plain.address}/down: status 503 Service Unavailable, expected 200-399 (body: "database unreachable | retry later")`,
    );
  });

  it('takes a custom status range', async () => {
    assert.equal((await check({ url: `http://${plain.address}/created`, expectedStatus: '201' })).status, 'running');
    assert.equal((await check({ url: `http://${plain.address}/down`, expectedStatus: '200-299,503' })).status, 'running');
    const result = await check({ url: `http://${plain.address}/redirect`, expectedStatus: 200 });
    assert.match(result.error ?? '', /status 302 Found, expected 200$/);
  });

  it('matches the body by substring and by /regex/', async () => {
    assert.equal((await check({ url: `http://${plain.address}/ok`, body: 'systems ok' })).status, 'running');
    assert.equal((await check({ url: `http://${plain.address}/ok`, body: '/^ALL\\s+systems/i' })).status, 'running');
    const missing = await check({ url: `http://${plain.address}/ok`, body: 'healthy' });
    assert.equal(missing.error, `Get http://${plain.address}/ok: status 200 OK but the body does not contain "healthy" (body: "all systems ok")`);
    const mismatch = await check({ url: `http://${plain.address}/ok`, body: '/^ok$/' });
    assert.match(mismatch.error ?? '', /but the body does not match \/\^ok\$\/ /);
  });

  it('sends HEAD and extra headers when asked', async () => {
    seen.length = 0;
    await check({ url: `http://${plain.address}/ok`, method: 'HEAD', headers: { 'X-Probe': 'gravity', Authorization: 'Bearer t' } });
    assert.equal(seen[0]?.method, 'HEAD');
    assert.equal(seen[0]?.headers['x-probe'], 'gravity');
    assert.equal(seen[0]?.headers.authorization, 'Bearer t');
  });

  it('fails with "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    const result = await check({ url: `http://127.0.0.1:${port}/healthz` });
    assert.equal(result.error, `Get http://127.0.0.1:${port}/healthz: dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('fails at its deadline when the server accepts and never answers', async () => {
    const silent = await startSilentTcp();
    try {
      const result = await check({ url: `http://${silent.address}/` }, 300);
      assert.equal(result.status, 'failed');
      assert.equal(result.error, `Get http://${silent.address}/: timed out after 300ms while awaiting response headers`);
      assert.ok(result.elapsedMs >= 250 && result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    } finally {
      await silent.close();
    }
  });

  describe('over HTTPS', () => {
    it('refuses a self-signed certificate by default, saying what to do', async () => {
      const result = await check({ url: `https://${secure.address}/ok` });
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /^Get https:\/\/127\.0\.0\.1:\d+\/ok: tls: self[- ]signed certificate \(trust the server's CA with caFile, or set tlsVerify: false\)$/);
    });

    it('accepts it with tlsVerify: false', async () => {
      assert.equal((await check({ url: `https://${secure.address}/ok`, tlsVerify: false })).status, 'running');
    });

    it('accepts it when its CA is given in caFile', async () => {
      assert.equal((await check({ url: `https://localhost:${secure.port}/ok`, caFile: certificate.certFile })).status, 'running');
    });

    it('fails clearly when the CA file cannot be read', async () => {
      const result = await check({ url: `https://${secure.address}/ok`, caFile: `${dir.path}/missing.pem` });
      assert.equal(result.error, `Get https://${secure.address}/ok: cannot read caFile ${dir.path}/missing.pem: no such file`);
    });

    it('refuses a device as the CA file instead of reading it', async () => {
      const result = await check({ url: `https://${secure.address}/ok`, caFile: '/dev/zero' });
      assert.equal(result.error, `Get https://${secure.address}/ok: cannot read caFile /dev/zero: not a regular file (a device, pipe or socket is not read)`);
    });
  });

  it('compiles the defaults', () => {
    assert.deepEqual(mustCompile(httpChecker, { url: 'http://127.0.0.1:8080/healthz' }), {
      url: 'http://127.0.0.1:8080/healthz',
      method: 'GET',
      expectedStatus: [[200, 399]],
      headers: {},
      tls: { tlsVerify: true },
    });
  });

  const bad: BadConfig[] = [
    { name: 'a missing url', raw: {}, problems: [/^probes\[0\]\.url: required: an http or https URL/] },
    { name: 'a relative url', raw: { url: '/healthz' }, problems: [/^probes\[0\]\.url: must be an http or https URL/] },
    { name: 'an ftp url', raw: { url: 'ftp://x/' }, problems: [/^probes\[0\]\.url: must be/] },
    { name: 'a bad method', raw: { url: 'http://x/', method: 'POST' }, problems: [/^probes\[0\]\.method: must be one of GET, HEAD, got "POST"$/] },
    { name: 'a bad status range', raw: { url: 'http://x/', expectedStatus: '399-200' }, problems: [/^probes\[0\]\.expectedStatus: must be a status or range/] },
    { name: 'a status out of range', raw: { url: 'http://x/', expectedStatus: 700 }, problems: [/^probes\[0\]\.expectedStatus: /] },
    { name: 'a bad regex', raw: { url: 'http://x/', body: '/(unclosed/' }, problems: [/^probes\[0\]\.body: invalid regular expression \/\(unclosed\/: /] },
    { name: 'a body match with HEAD', raw: { url: 'http://x/', method: 'HEAD', body: 'ok' }, problems: [/^probes\[0\]\.body: a body match needs method GET/] },
    { name: 'tlsVerify as a string', raw: { url: 'https://x/', tlsVerify: 'no' }, problems: [/^probes\[0\]\.tlsVerify: must be true or false, got "no"$/] },
    { name: 'certFile without keyFile', raw: { url: 'https://x/', certFile: '/c.pem' }, problems: [/^probes\[0\]\.keyFile: required with the other/] },
    { name: 'headers as a list', raw: { url: 'http://x/', headers: ['a'] }, problems: [/^probes\[0\]\.headers: must be a mapping/] },
    { name: 'a header with a newline', raw: { url: 'http://x/', headers: { 'X-A': 'a\nb' } }, problems: [/^probes\[0\]\.headers\.X-A: /] },
    {
      name: 'several mistakes at once',
      raw: { url: 'nope', method: 'PUT', expectedStatus: 'x', tlsVerify: 1 },
      problems: [/\.url: /, /\.method: /, /\.expectedStatus: /, /\.tlsVerify: /],
    },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(httpChecker, entry));
});
