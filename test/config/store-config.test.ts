// The config's `store` section: the embedded store by default, an etcd cluster with its endpoints,
// prefix and TLS files, and every mistake refused with its path (too many endpoints, a URL that is
// not http(s)://host:port, mixed schemes, https without TLS, TLS for http, a half client pair).

import assert from 'node:assert/strict';
import { compileConfigText } from '../../src/config/load.ts';
import { parseEtcdEndpoint } from '../../src/config/store-config.ts';

function compile(text: string): ReturnType<typeof compileConfigText> {
  return compileConfigText(text, { file: '/etc/gravity/gravity.yaml', shown: 'gravity.yaml', hostname: 'box-1' });
}

function problems(text: string): string[] {
  const result = compile(text);
  assert.ok('problems' in result, 'expected the config to be refused');
  return result.problems;
}

describe('config: store', () => {
  it('is absent (the embedded store) unless named', () => {
    const result = compile('cluster: { name: c1 }\n');
    assert.ok('config' in result);
    assert.equal(result.config.store, undefined);
    const sqlite = compile('store: { kind: sqlite }\n');
    assert.ok('config' in sqlite);
    assert.deepEqual(sqlite.config.store, { kind: 'sqlite' });
  });

  it('takes an etcd cluster with its prefix (ending with /) and TLS files resolved against the config file', () => {
    const result = compile(
      ['store:', '  kind: etcd', '  endpoints: [https://10.0.0.1:2379, "https://[fd00::1]:2379", https://etcd-2.example:2379]', '  prefix: /gravity/prod', '  tls: { ca: tls/ca.pem, cert: /pki/client.pem, key: tls/client-key.pem }'].join('\n'),
    );
    assert.ok('config' in result, JSON.stringify(result));
    assert.deepEqual(result.config.store, {
      kind: 'etcd',
      endpoints: ['https://10.0.0.1:2379', 'https://[fd00::1]:2379', 'https://etcd-2.example:2379'],
      prefix: '/gravity/prod/',
      tls: { ca: '/etc/gravity/tls/ca.pem', cert: '/pki/client.pem', key: '/etc/gravity/tls/client-key.pem' },
    });
  });

  it('refuses a missing, empty or too long list of endpoints', () => {
    assert.match(problems('store: { kind: etcd }').join('\n'), /store\.endpoints: required/);
    assert.match(problems('store: { kind: etcd, endpoints: [] }').join('\n'), /store\.endpoints: must be a list of 1 to 16/);
    const many = Array.from({ length: 17 }, (_, index) => `http://127.0.0.1:${2379 + index}`).join(', ');
    assert.match(problems(`store: { kind: etcd, endpoints: [${many}] }`).join('\n'), /store\.endpoints: must be a list of 1 to 16/);
  });

  it('refuses an endpoint that is not http(s)://host:port, naming it', () => {
    for (const bad of ['127.0.0.1:2379', 'ftp://127.0.0.1:2379', 'http://127.0.0.1', 'http://127.0.0.1:0', 'http://127.0.0.1:65536', 'http://127.0.0.1:2379/v3', 'http://[zz::1]:2379']) {
      assert.equal(parseEtcdEndpoint(bad), undefined, bad);
    }
    assert.match(problems('store: { kind: etcd, endpoints: [http://127.0.0.1:2379, "127.0.0.1:2380"] }').join('\n'), /store\.endpoints\[1\]: must be http:\/\/host:port/);
  });

  it('refuses mixed schemes, https without TLS, TLS for http, and a certificate without its key', () => {
    assert.match(problems('store: { kind: etcd, endpoints: [http://10.0.0.1:2379, https://10.0.0.2:2379] }').join('\n'), /all be http or all be https/);
    assert.match(problems('store: { kind: etcd, endpoints: [https://10.0.0.1:2379] }').join('\n'), /store\.tls: required for https/);
    assert.match(problems('store: { kind: etcd, endpoints: [http://10.0.0.1:2379], tls: { ca: ca.pem } }').join('\n'), /store\.tls: is only for https/);
    assert.match(problems('store: { kind: etcd, endpoints: [https://10.0.0.1:2379], tls: { ca: ca.pem, cert: c.pem } }').join('\n'), /store\.tls: needs both cert and key/);
    assert.match(problems('store: { kind: etcd, endpoints: [https://10.0.0.1:2379], tls: { cert: c.pem, key: k.pem } }').join('\n'), /store\.tls\.ca: required/);
  });

  it('refuses an unknown kind, a bad prefix, and etcd keys on the embedded store', () => {
    assert.match(problems('store: { kind: redis }').join('\n'), /store\.kind: must be one of sqlite, etcd/);
    assert.match(problems('store: { kind: etcd, endpoints: [http://10.0.0.1:2379], prefix: gravity }').join('\n'), /store\.prefix: must be a key prefix/);
    assert.match(problems('store: { kind: sqlite, endpoints: [http://10.0.0.1:2379] }').join('\n'), /store\.endpoints: is only for kind: etcd/);
  });
});
