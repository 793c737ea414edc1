// The config's `rpc` section: absent means no node RPC; `listen` must be an IP address and a port
// from 1 to 65535, each mistake reported with its line like the other listen fields.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { rpcCertificateIdentity } from '../../src/cluster/rpc-extension.ts';
import { failure } from '../helpers/failure.ts';

describe('config/rpc', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-rpc-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function load(lines: string[]): ReturnType<typeof loadConfig> {
    const path = join(dir, 'gravity.yaml');
    writeFileSync(path, ['cluster: { name: c }', 'node: { name: n1, advertiseAddr: 10.0.0.5 }', ...lines, ''].join('\n'));
    return loadConfig({ configPath: path, explicit: true, hostname: 'box' });
  }

  it('has no node RPC without the section', () => {
    assert.equal(load([]).rpc, undefined);
  });

  it('reads rpc.listen as an IP address and a port', () => {
    assert.deepEqual(load(['rpc: { listen: "127.0.0.11:3012" }']).rpc, { host: '127.0.0.11', port: 3012 });
    assert.deepEqual(load(['rpc: { listen: "[::]:3012" }']).rpc, { host: '::', port: 3012 });
    assert.deepEqual(load(['rpc: { listen: ":3012" }']).rpc, { host: '0.0.0.0', port: 3012 });
  });

  for (const [text, why] of [
    ['"node-1:3012"', 'a host name, not an IP address'],
    ['"127.0.0.1:0"', 'port 0'],
    ['"127.0.0.1:65536"', 'a port past 65535'],
    ['"127.0.0.1"', 'no port'],
    ['3012', 'not a string'],
  ] as const) {
    it(`refuses rpc.listen with ${why}, saying where and what it must be`, () => {
      const error = failure(() => load([`rpc: { listen: ${text} }`]));
      assert.equal(error.code, 'E_CONFIG_INVALID');
      assert.equal(error.details.length, 1, error.details.join('\n'));
      assert.match(error.details[0] ?? '', /:3:\d+: rpc\.listen: must be IP:port with a port from 1 to 65535/u);
    });
  }

  it('refuses an rpc section without listen, or with unknown keys', () => {
    assert.match(failure(() => load(['rpc: {}'])).details[0] ?? '', /rpc\.listen: required: IP:port/u);
    assert.match(failure(() => load(['rpc: { listen: "127.0.0.1:3012", port: 1 }'])).details[0] ?? '', /rpc\.port/u);
  });

  it('names the listen address in the certificate, or the advertise and loopback addresses for a wildcard', () => {
    const config = { node: { name: 'n1', role: 'master' as const, advertiseAddr: '10.0.0.5' } };
    assert.deepEqual(rpcCertificateIdentity(config, '127.0.0.11'), { name: 'n1', address: '127.0.0.11' });
    assert.deepEqual(rpcCertificateIdentity(config, '0.0.0.0'), { name: 'n1', address: '10.0.0.5', loopback: true });
    assert.deepEqual(rpcCertificateIdentity(config, '::'), { name: 'n1', address: '10.0.0.5', loopback: true });
  });
});
