// A node certificate: what it names and may be used for, and the check another node makes of it
// (signed by the cluster CA, within its dates, not a CA); openssl, when installed, reads and verifies
// what the library made.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate as NodeX509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterCa, type ClusterCa } from '../../src/cluster/ca.ts';
import { issueNodeCertificate, verifyNodeCertificate } from '../../src/cluster/node-certificate.ts';
import { x509 } from '../../src/cluster/x509.ts';
import { isGravityError, type ErrorCode } from '../../src/errors.ts';

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

function rejectsWith(code: ErrorCode): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isGravityError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  };
}

function opensslPresent(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('cluster/node-certificate', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  let ca: ClusterCa;
  before(async () => {
    ca = await createClusterCa('prod', { now });
  });

  it('names the node and its address, serves both ends of mutual TLS, is no CA, and lasts a year', async () => {
    const issued = await issueNodeCertificate(ca, { name: 'node-1', address: '10.0.0.5' }, { now });
    const certificate = new NodeX509Certificate(issued.certPem);
    assert.equal(certificate.subject, 'CN=node-1');
    assert.equal(certificate.issuer, 'CN=prod gravity cluster CA');
    assert.equal(certificate.ca, false);
    assert.deepEqual([...(certificate.keyUsage ?? [])].sort(), [serverAuth, clientAuth]);
    assert.equal(certificate.subjectAltName, 'DNS:node-1, IP Address:10.0.0.5');
    assert.equal(certificate.checkHost('node-1'), 'node-1');
    assert.equal(certificate.checkIP('10.0.0.5'), '10.0.0.5');
    assert.equal(certificate.checkIP('127.0.0.1'), undefined);
    assert.equal(certificate.checkHost('localhost'), undefined);
    assert.ok(certificate.verify(new NodeX509Certificate(ca.certPem).publicKey));
    assert.ok(certificate.checkPrivateKey(createPrivateKey(issued.keyPem)));
    assert.equal(new Date(certificate.validTo).toISOString(), '2027-03-01T12:00:00.000Z');

    const parsed = new x509.X509Certificate(issued.certPem);
    assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.critical, true);
    assert.equal((parsed.getExtension(x509.KeyUsagesExtension)?.usages ?? 0) & x509.KeyUsageFlags.keyCertSign, 0);
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(!createPrivateKey(issued.keyPem).equals(createPrivateKey(ca.keyPem)));
  });

  it('names localhost and 127.0.0.1 too when asked, and a host name address as a DNS name', async () => {
    const issued = await issueNodeCertificate(ca, { name: 'node-1', address: 'node-1.example.net', loopback: true }, { now });
    const certificate = new NodeX509Certificate(issued.certPem);
    assert.equal(certificate.subjectAltName, 'DNS:node-1, DNS:node-1.example.net, DNS:localhost, IP Address:127.0.0.1');
  });

  it('refuses a name or address that cannot go into a certificate', async () => {
    await assert.rejects(issueNodeCertificate(ca, { name: 'node 1', address: '10.0.0.5' }), rejectsWith('E_PKI_NAME_INVALID'));
    await assert.rejects(issueNodeCertificate(ca, { name: 'node-1', address: '0.0.0.0' }), rejectsWith('E_PKI_NAME_INVALID'));
    await assert.rejects(issueNodeCertificate(ca, { name: 'node-1', address: 'a b' }), rejectsWith('E_PKI_NAME_INVALID'));
  });

  it('verifies a certificate of the cluster and returns what it names', async () => {
    const issued = await issueNodeCertificate(ca, { name: 'node-2', address: '10.0.0.6', loopback: true }, { now });
    const verified = await verifyNodeCertificate(ca.certPem, issued.certPem, { now: new Date('2026-06-01T00:00:00Z') });
    assert.equal(verified.name, 'node-2');
    assert.deepEqual(verified.dnsNames, ['node-2', 'localhost']);
    assert.deepEqual(verified.ipAddresses, ['10.0.0.6', '127.0.0.1']);
    assert.equal(verified.notAfter.toISOString(), '2027-03-01T12:00:00.000Z');
  });

  it('refuses a certificate of another cluster, one out of its dates, the CA itself, and a self-signed one', async () => {
    const issued = await issueNodeCertificate(ca, { name: 'node-2', address: '10.0.0.6' }, { now });
    const otherCa = await createClusterCa('prod', { now });
    const foreign = await issueNodeCertificate(otherCa, { name: 'node-2', address: '10.0.0.6' }, { now });
    await assert.rejects(verifyNodeCertificate(ca.certPem, foreign.certPem, { now }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(ca.certPem, issued.certPem, { now: new Date('2027-03-02T00:00:00Z') }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(ca.certPem, issued.certPem, { now: new Date('2026-02-01T00:00:00Z') }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(ca.certPem, ca.certPem, { now }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(ca.certPem, otherCa.certPem, { now }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(issued.certPem, issued.certPem, { now }), rejectsWith('E_CERT_INVALID'));
    await assert.rejects(verifyNodeCertificate(ca.certPem, 'not a certificate', { now }), rejectsWith('E_CERT_INVALID'));
  });

  it('makes certificates openssl reads and verifies', async function () {
    if (!opensslPresent()) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'gravity-node-cert-'));
    try {
      const current = await createClusterCa('prod');
      const issued = await issueNodeCertificate(current, { name: 'node-1', address: '10.0.0.5' });
      writeFileSync(join(dir, 'ca.pem'), current.certPem);
      writeFileSync(join(dir, 'node.pem'), issued.certPem);
      const caText = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'ca.pem')], { encoding: 'utf8' });
      assert.match(caText, /Subject: CN ?= ?prod gravity cluster CA/u);
      assert.match(caText, /CA:TRUE, pathlen:0/u);
      assert.match(caText, /Certificate Sign/u);
      assert.match(caText, /ecdsa-with-SHA256/u);
      const nodeText = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'node.pem')], { encoding: 'utf8' });
      assert.match(nodeText, /CA:FALSE/u);
      assert.match(nodeText, /TLS Web Server Authentication, TLS Web Client Authentication/u);
      assert.match(nodeText, /DNS:node-1, IP Address:10\.0\.0\.5/u);
      assert.match(nodeText, /NIST CURVE: P-256|prime256v1/u);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'node.pem')], { encoding: 'utf8' });
      assert.match(verified, /node\.pem: OK/u);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
