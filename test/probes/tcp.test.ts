// The tcp checker against real listeners on 127.0.0.1: a listening port, a closed one, a name that
// does not resolve, and a listener whose connect never completes (the deadline must end the check).

import assert from 'node:assert/strict';
import { tcpChecker } from '../../src/probes/tcp.ts';
import { assertProblems, closedPort, mustCompile, runCheck, startSilentTcp, startUnacceptingListener } from './helpers.ts';
import type { BadConfig } from './helpers.ts';

describe('tcp checker', () => {
  it('is running while something accepts connections', async () => {
    const server = await startSilentTcp();
    try {
      const result = await runCheck(tcpChecker, mustCompile(tcpChecker, { address: server.address }));
      assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
    } finally {
      await server.close();
    }
  });

  it('fails with "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    const result = await runCheck(tcpChecker, mustCompile(tcpChecker, { address: `127.0.0.1:${port}` }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('fails with "no such host" when the name does not resolve', async () => {
    const result = await runCheck(tcpChecker, mustCompile(tcpChecker, { address: 'gravity-test.invalid:80' }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^dial tcp: lookup gravity-test\.invalid: /);
  });

  it('fails at its deadline when the connect never completes', async () => {
    const listener = await startUnacceptingListener();
    try {
      const result = await runCheck(tcpChecker, mustCompile(tcpChecker, { address: listener.address }), 300);
      assert.equal(result.status, 'failed');
      assert.equal(result.error, `dial tcp ${listener.address}: timed out after 300ms connecting`);
      assert.ok(result.elapsedMs >= 250 && result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    } finally {
      await listener.close();
    }
  });

  it('accepts IPv6 addresses in brackets', () => {
    assert.deepEqual(mustCompile(tcpChecker, { address: '[::1]:8080' }), { address: { host: '::1', port: 8080 } });
  });

  const bad: BadConfig[] = [
    { name: 'missing address', raw: {}, problems: [/^probes\[0\]\.address: required: host:port/] },
    { name: 'no port', raw: { address: '127.0.0.1' }, problems: [/^probes\[0\]\.address: must be host:port .*got "127\.0\.0\.1"$/] },
    { name: 'port 0', raw: { address: '127.0.0.1:0' }, problems: [/^probes\[0\]\.address: must be host:port/] },
    { name: 'port too big', raw: { address: 'localhost:70000' }, problems: [/^probes\[0\]\.address: /] },
    { name: 'a number', raw: { address: 8080 }, problems: [/^probes\[0\]\.address: .*got 8080$/] },
    { name: 'a URL', raw: { address: 'http://x:80' }, problems: [/^probes\[0\]\.address: /] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(tcpChecker, entry));
});
