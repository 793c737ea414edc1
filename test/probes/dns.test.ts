// The dns checker: the system resolver for `localhost` (and a name under .invalid, which must not
// resolve), and a real UDP nameserver started by the test on 127.0.0.1 for the `nameservers` path:
// an answer, NXDOMAIN, and a server that never answers (the deadline must end the check).

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { dnsChecker } from '../../src/probes/dns.ts';
import { assertProblems, mustCompile, runCheck } from './helpers.ts';
import type { BadConfig } from './helpers.ts';

/** A tiny authoritative nameserver: A records from `records`, NXDOMAIN for other names, or silence. */
async function startNameserver(records: Record<string, string[]>, mode: { silent: boolean }): Promise<{ address: string; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (mode.silent || query.length < 12) return;
    // The question: labels up to a zero byte, then type and class.
    let offset = 12;
    const labels: string[] = [];
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset] ?? 0;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += length + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    const addresses = records[name];
    const answers = type === 1 && addresses !== undefined ? addresses : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(addresses === undefined ? 0x8183 : 0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const answerRecords = answers.map((address) => {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0);
      record.writeUInt16BE(1, 2);
      record.writeUInt16BE(1, 4);
      record.writeUInt32BE(60, 6);
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((part, index) => record.writeUInt8(Number(part), 12 + index));
      return record;
    });
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...answerRecords]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return { address: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

describe('dns checker', () => {
  it('is running when the system resolver resolves localhost', async () => {
    const result = await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'localhost' }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('checks the expected address', async () => {
    assert.equal((await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'localhost', family: 'ipv4', expectedAddresses: '127.0.0.1' }))).status, 'running');
    const result = await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'localhost', family: 'ipv4', expectedAddresses: ['10.9.9.9', '10.9.9.10'] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^lookup localhost: got 127\.0\.0\.1.*, expected one of 10\.9\.9\.9, 10\.9\.9\.10$/);
  });

  it('fails for a name that does not exist', async () => {
    const result = await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'gravity-probe-test.invalid' }), 5000);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^lookup gravity-probe-test\.invalid: (no such host|temporary failure in name resolution|timed out after 5000ms)$/);
  });

  describe('with nameservers', () => {
    const mode = { silent: false };
    let server: { address: string; close(): Promise<void> };
    before(async () => {
      server = await startNameserver({ 'leader.gravity.local': ['10.1.2.3'] }, mode);
    });
    after(() => server.close());

    it('asks the given server and checks the answer', async () => {
      mode.silent = false;
      const config = mustCompile(dnsChecker, { hostname: 'leader.gravity.local', nameservers: [server.address], expectedAddresses: '10.1.2.3' });
      const result = await runCheck(dnsChecker, config);
      assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
    });

    it('fails with "no such host" for NXDOMAIN', async () => {
      mode.silent = false;
      const result = await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'follower.gravity.local', nameservers: [server.address] }));
      assert.equal(result.error, `lookup follower.gravity.local on ${server.address}: no such host`);
    });

    it('fails at its deadline when the server never answers', async () => {
      mode.silent = true;
      const result = await runCheck(dnsChecker, mustCompile(dnsChecker, { hostname: 'leader.gravity.local', nameservers: [server.address] }), 300);
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', new RegExp(`^lookup leader\\.gravity\\.local on ${server.address}: (timed out after 300ms|i/o timeout)$`));
      assert.ok(result.elapsedMs < 1500, `took ${result.elapsedMs} ms`);
    });
  });

  const bad: BadConfig[] = [
    { name: 'a missing hostname', raw: {}, problems: [/^probes\[0\]\.hostname: required: a host name/] },
    { name: 'a hostname with a space', raw: { hostname: 'my host' }, problems: [/^probes\[0\]\.hostname: must be a host name/] },
    { name: 'a bad expected address', raw: { hostname: 'a.b', expectedAddresses: 'ten' }, problems: [/^probes\[0\]\.expectedAddresses: must be an IP address/] },
    { name: 'a bad address in the list', raw: { hostname: 'a.b', expectedAddresses: ['10.0.0.1', 'x'] }, problems: [/^probes\[0\]\.expectedAddresses\[1\]: must be an IP address, got "x"$/] },
    { name: 'an unknown family', raw: { hostname: 'a.b', family: 'inet' }, problems: [/^probes\[0\]\.family: must be one of any, ipv4, ipv6/] },
    { name: 'a nameserver name', raw: { hostname: 'a.b', nameservers: ['dns.google'] }, problems: [/^probes\[0\]\.nameservers\[0\]: must be a nameserver address/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(dnsChecker, entry));
});
