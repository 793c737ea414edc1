// The health endpoint's certificate: made once with the system's openssl, kept private in the state
// dir, reused on the next start, made again when the node gets a new address.

import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerCertificate } from '../../src/api/tls.ts';
import { isGravityError } from '../../src/errors.ts';

describe('api/tls', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-tls-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('makes a certificate once, private to the agent, and reuses it', async () => {
    const first = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: ['10.0.0.5', '0.0.0.0'] });
    assert.equal(first.generated, true);
    assert.equal(first.keyPath, join(stateDir, 'tls', 'server.key'));
    assert.equal(first.certPath, join(stateDir, 'tls', 'server.crt'));
    assert.equal(statSync(join(stateDir, 'tls')).mode & 0o777, 0o700);
    assert.equal(statSync(first.keyPath).mode & 0o777, 0o600);

    const certificate = new X509Certificate(first.cert);
    assert.match(certificate.subject, /CN=node-1/);
    const sans = certificate.subjectAltName ?? '';
    assert.match(sans, /DNS:node-1/);
    assert.match(sans, /DNS:localhost/);
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(certificate.checkIP('10.0.0.5'), '10.0.0.5');
    assert.ok(certificate.checkIP('::1') !== undefined);
    assert.equal(certificate.checkHost('node-1'), 'node-1');
    assert.ok(certificate.checkPrivateKey(createPrivateKey(first.key)));
    assert.ok(Date.parse(certificate.validTo) > Date.now() + 9 * 365 * 86_400_000);

    const second = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: ['10.0.0.5'] });
    assert.equal(second.generated, false);
    assert.equal(second.cert, first.cert);
    assert.equal(second.key, first.key);
  });

  it('makes a new one when the node is reached by an address the old one does not name', async () => {
    const first = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: [] });
    const second = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: ['10.0.0.9'] });
    assert.equal(second.generated, true);
    assert.notEqual(second.cert, first.cert);
    assert.equal(new X509Certificate(second.cert).checkIP('10.0.0.9'), '10.0.0.9');
  });

  it('makes a new one when the stored files are damaged', async () => {
    const first = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: [] });
    writeFileSync(first.certPath, 'not a certificate');
    const second = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: [] });
    assert.equal(second.generated, true);
    assert.doesNotThrow(() => new X509Certificate(second.cert));
  });

  it('says so clearly when openssl is missing', async () => {
    await assert.rejects(ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: [], openssl: join(stateDir, 'no-openssl') }), (error) => {
      assert.ok(isGravityError(error, 'E_TLS'));
      assert.match(error.message, /not found/);
      assert.match(error.hint ?? '', /openssl/);
      return true;
    });
  });

  it('names an address given by host name as a DNS name', async () => {
    const made = await ensureServerCertificate(stateDir, { hostnames: ['node-1'], ips: ['node-1.example.com', 'localhost'] });
    assert.equal(new X509Certificate(made.cert).checkHost('node-1.example.com'), 'node-1.example.com');
  });

  it('refuses a host name that cannot go in a certificate', async () => {
    await assert.rejects(ensureServerCertificate(stateDir, { hostnames: ['bad name,DNS:evil'], ips: [] }), (error) =>
      isGravityError(error, 'E_TLS'),
    );
  });
});
