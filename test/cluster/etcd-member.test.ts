// The etcd member's command line and its config: a single member by default (the data in
// <state-dir>/etcd, client and peer URLs on the advertise address, mutual TLS for both with the
// cluster PKI), the initial cluster and state as configured, and every mistake in `etcd.member`
// reported with its path.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { etcdClientUrl, etcdMemberArgs, ensureEtcdDataDir } from '../../src/cluster/etcd-member.ts';
import type { EtcdMemberInput } from '../../src/cluster/etcd-member.ts';
import { compileEtcdConfig } from '../../src/config/etcd-member-config.ts';
import { compileConfigText } from '../../src/config/load.ts';

const tls = { caCertPath: '/s/pki/ca.pem', nodeCertPath: '/s/pki/node.pem', nodeKeyPath: '/s/pki/node-key.pem' };
const member = { binary: 'etcd', clientPort: 2379, peerPort: 2380, state: 'new' as const };

function problemsOf(raw: unknown, node = 'n1'): string[] {
  const problems: string[] = [];
  compileEtcdConfig(raw, node, problems);
  return problems;
}

describe('cluster/etcd-member', () => {
  it('builds a single member on the advertise address with mutual TLS for clients and peers', () => {
    const input: EtcdMemberInput = { name: 'n1', advertiseAddr: '10.0.0.5', stateDir: '/s', member, tls };
    assert.deepEqual(etcdMemberArgs(input), [
      'etcd',
      '--name=n1',
      '--data-dir=/s/etcd',
      '--listen-client-urls=https://10.0.0.5:2379',
      '--advertise-client-urls=https://10.0.0.5:2379',
      '--listen-peer-urls=https://10.0.0.5:2380',
      '--initial-advertise-peer-urls=https://10.0.0.5:2380',
      '--initial-cluster=n1=https://10.0.0.5:2380',
      '--initial-cluster-state=new',
      '--cert-file=/s/pki/node.pem',
      '--key-file=/s/pki/node-key.pem',
      '--trusted-ca-file=/s/pki/ca.pem',
      '--client-cert-auth',
      '--peer-cert-file=/s/pki/node.pem',
      '--peer-key-file=/s/pki/node-key.pem',
      '--peer-trusted-ca-file=/s/pki/ca.pem',
      '--peer-client-cert-auth',
      '--logger=zap',
      '--log-level=warn',
    ]);
  });

  it('takes the configured ports, initial cluster and state; a v6 address in brackets; a host name listened on every address', () => {
    const joined = {
      ...member,
      binary: '/opt/etcd/bin/etcd',
      clientPort: 12379,
      peerPort: 12380,
      state: 'existing' as const,
      initialCluster: [
        { name: 'n0', peerUrl: 'https://10.0.0.4:12380' },
        { name: 'n1', peerUrl: 'https://10.0.0.5:12380' },
      ],
    };
    const args = etcdMemberArgs({ name: 'n1', advertiseAddr: '10.0.0.5', stateDir: '/s', member: joined, tls });
    assert.equal(args[0], '/opt/etcd/bin/etcd');
    assert.ok(args.includes('--initial-cluster=n0=https://10.0.0.4:12380,n1=https://10.0.0.5:12380'));
    assert.ok(args.includes('--initial-cluster-state=existing'));
    assert.ok(args.includes('--advertise-client-urls=https://10.0.0.5:12379'));
    assert.equal(etcdClientUrl('fd00::5', member), 'https://[fd00::5]:2379');
    const named = etcdMemberArgs({ name: 'n1', advertiseAddr: 'n1.example', stateDir: '/s', member, tls });
    assert.ok(named.includes('--listen-client-urls=https://0.0.0.0:2379'));
    assert.ok(named.includes('--advertise-client-urls=https://n1.example:2379'));
  });

  it('makes the data dir 0700, also when it was wider', () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'gravity-etcd-dir-'));
    try {
      mkdirSync(path.join(stateDir, 'etcd'), { mode: 0o755 });
      const dir = ensureEtcdDataDir(stateDir);
      assert.equal(dir, path.join(stateDir, 'etcd'));
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  describe('config: etcd.member', () => {
    it('is absent without etcd or without member; an empty member takes the defaults', () => {
      assert.equal(compileEtcdConfig(undefined, 'n1', []), undefined);
      assert.equal(compileEtcdConfig({}, 'n1', []), undefined);
      assert.deepEqual(compileEtcdConfig({ member: {} }, 'n1', []), { member });
      assert.deepEqual(compileEtcdConfig({ member: { clientPort: 1, peerPort: 65535, state: 'existing', initialCluster: ['n0=https://10.0.0.4:2380', 'n1=https://[fd00::1]:2380'] } }, 'n1', []), {
        member: {
          ...member,
          clientPort: 1,
          peerPort: 65535,
          state: 'existing',
          initialCluster: [
            { name: 'n0', peerUrl: 'https://10.0.0.4:2380' },
            { name: 'n1', peerUrl: 'https://[fd00::1]:2380' },
          ],
        },
      });
    });

    it('reports every mistake with its path', () => {
      assert.deepEqual(problemsOf({ member: { clientPort: 0, peerPort: 70000, state: 'old', extra: 1 } }), [
        'etcd.member.extra: unknown key (allowed: binary, clientPort, peerPort, initialCluster, state)',
        'etcd.member.clientPort: must be a whole number from 1 to 65535, got 0',
        'etcd.member.peerPort: must be a whole number from 1 to 65535, got 70000',
        'etcd.member.state: must be one of new, existing, got "old"',
      ]);
      assert.deepEqual(problemsOf({ member: { clientPort: 2000, peerPort: 2000 } }), ['etcd.member.peerPort: must differ from clientPort (both are 2000)']);
      assert.deepEqual(problemsOf({ member: { initialCluster: ['n1=http://10.0.0.5:2380', 'bad', 'n2=https://10.0.0.6:2380', 'n2=https://10.0.0.7:2380'] } }), [
        'etcd.member.initialCluster[0]: must be name=https://host:port (a member name of letters, digits and ._-, a port from 1 to 65535), got "n1=http://10.0.0.5:2380"',
        'etcd.member.initialCluster[1]: must be name=https://host:port (a member name of letters, digits and ._-, a port from 1 to 65535), got "bad"',
        'etcd.member.initialCluster[3]: names the member n2 twice',
      ]);
      assert.deepEqual(problemsOf({ member: { initialCluster: ['n0=https://10.0.0.4:2380'] } }), [
        "etcd.member.initialCluster: must name this node's member n1 (node.name), e.g. n1=https://<advertiseAddr>:2380",
      ]);
      assert.equal(problemsOf({ member: { initialCluster: [] } }).length, 1);
      assert.equal(problemsOf({ member: 'yes' }).length, 1);
      assert.equal(problemsOf({ members: {} }).length, 1);
    });

    it('is read from the config file, with the line of a mistake', () => {
      const ok = compileConfigText('node: { name: n1 }\netcd:\n  member: { clientPort: 12379 }\n', { file: '/x/gravity.yaml', shown: 'gravity.yaml', hostname: 'h' });
      assert.ok('config' in ok);
      assert.deepEqual(ok.config.etcd, { member: { ...member, clientPort: 12379 } });
      const wrong = compileConfigText('etcd:\n  member:\n    peerPort: -1\n', { file: '/x/gravity.yaml', shown: 'gravity.yaml', hostname: 'h' });
      assert.ok('problems' in wrong);
      assert.match(wrong.problems[0] ?? '', /^gravity\.yaml:3:\d+: etcd\.member\.peerPort: must be a whole number from 1 to 65535, got -1$/);
    });
  });
});
