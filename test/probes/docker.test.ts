// The docker checker against a real HTTP server on a unix socket playing the Docker daemon: a good
// /version answer, the seed's exact error when the socket is missing, a daemon that answers badly,
// and one that accepts and never answers (the deadline must end the check).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { dockerChecker } from '../../src/probes/docker.ts';
import { assertProblems, mustCompile, runCheck, startUnixHttp, tempDir } from './helpers.ts';
import type { BadConfig, TempDir } from './helpers.ts';

describe('docker checker', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('docker');
  });
  after(() => dir.remove());

  it('defaults to /var/run/docker.sock', () => {
    assert.deepEqual(mustCompile(dockerChecker, {}), { socket: '/var/run/docker.sock' });
  });

  it('is running when the daemon answers GET /version', async () => {
    const socket = join(dir.path, 'good.sock');
    const requests: string[] = [];
    const daemon = await startUnixHttp(socket, (request, response) => {
      requests.push(`${request.method} ${request.url} host=${request.headers.host}`);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ Version: '24.0.7', ApiVersion: '1.43' }));
    });
    try {
      const result = await runCheck(dockerChecker, mustCompile(dockerChecker, { socket }));
      assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
      assert.deepEqual(requests, ['GET /version host=docker']);
    } finally {
      await daemon.close();
    }
  });

  it("fails with the seed's error when the socket does not exist", async () => {
    const socket = join(dir.path, 'missing.sock');
    const result = await runCheck(dockerChecker, mustCompile(dockerChecker, { socket }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `healthz check failed: Get http://docker/version: dial unix ${socket}: connect: no such file or directory`);
  });

  it('fails with "connection refused" when nothing listens on the path', async () => {
    const socket = join(dir.path, 'stale.sock');
    writeFileSync(socket, '');
    const result = await runCheck(dockerChecker, mustCompile(dockerChecker, { socket }));
    assert.equal(result.error, `healthz check failed: Get http://docker/version: dial unix ${socket}: connect: connection refused`);
  });

  it('fails when the daemon answers with an error status or without a version', async () => {
    const socket = join(dir.path, 'bad.sock');
    let answer = { status: 500, body: '{"message":"daemon is shutting down"}' };
    const daemon = await startUnixHttp(socket, (_request, response) => {
      response.writeHead(answer.status).end(answer.body);
    });
    try {
      const config = mustCompile(dockerChecker, { socket });
      assert.equal(
        (await runCheck(dockerChecker, config)).error,
        'healthz check failed: Get http://docker/version: status 500 Internal Server Error (body: "{\\"message\\":\\"daemon is shutting down\\"}")',
      );
      answer = { status: 200, body: 'hello' };
      assert.match((await runCheck(dockerChecker, config)).error ?? '', /^healthz check failed: Get http:\/\/docker\/version: the answer is not JSON/);
      answer = { status: 200, body: '{}' };
      assert.equal((await runCheck(dockerChecker, config)).error, 'healthz check failed: Get http://docker/version: the answer has no Version: "{}"');
    } finally {
      await daemon.close();
    }
  });

  it('fails at its deadline when the daemon accepts and never answers', async () => {
    const socket = join(dir.path, 'hung.sock');
    const connections: net.Socket[] = [];
    const server = net.createServer((connection) => connections.push(connection));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const result = await runCheck(dockerChecker, mustCompile(dockerChecker, { socket }), 300);
      assert.equal(result.error, 'healthz check failed: Get http://docker/version: timed out after 300ms while awaiting response headers');
      assert.ok(result.elapsedMs >= 250 && result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    } finally {
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  const bad: BadConfig[] = [
    { name: 'a socket that is not a string', raw: { socket: 2375 }, problems: [/^probes\[0\]\.socket: must be the path of the Docker daemon socket, got 2375$/] },
    { name: 'an empty socket', raw: { socket: '' }, problems: [/^probes\[0\]\.socket: /] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(dockerChecker, entry));
});
