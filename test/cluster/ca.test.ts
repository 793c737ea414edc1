// The cluster CA: its fields (self-signed, CA:true, pathLen 0, keyCertSign, ten years, a random
// 128-bit serial), its files in <state-dir>/pki/ and their modes, and every file it refuses to load.

import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caCertFile, caKeyFile, createClusterCa, loadClusterCa, saveClusterCa } from '../../src/cluster/ca.ts';
import { x509 } from '../../src/cluster/x509.ts';
import { isGravityError, type ErrorCode } from '../../src/errors.ts';

function rejectsWith(code: ErrorCode): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isGravityError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  };
}

describe('cluster/ca', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-ca-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('makes a self-signed CA that may sign node certificates only, valid ten years', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const ca = await createClusterCa('prod', { now });
    const certificate = new x509.X509Certificate(ca.certPem);
    assert.equal(certificate.subject, 'CN=prod gravity cluster CA');
    assert.equal(certificate.issuer, certificate.subject);
    assert.ok(await certificate.isSelfSigned());
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    assert.equal(constraints?.ca, true);
    assert.equal(constraints?.pathLength, 0);
    assert.equal(constraints?.critical, true);
    const usages = certificate.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    assert.ok((usages & x509.KeyUsageFlags.keyCertSign) !== 0);
    assert.equal(certificate.notAfter.toISOString(), '2036-03-01T12:00:00.000Z');
    assert.ok(certificate.notBefore <= now);
    // 128 random bits (a leading zero byte is not written).
    assert.match(certificate.serialNumber, /^[0-9a-f]{1,32}$/u);
    const other = await createClusterCa('prod', { now });
    assert.notEqual(new x509.X509Certificate(other.certPem).serialNumber, certificate.serialNumber);

    const node = new NodeX509Certificate(ca.certPem);
    assert.equal(node.ca, true);
    assert.equal(node.publicKey.asymmetricKeyType, 'ec');
    assert.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(node.fingerprint256, /^[0-9A-F:]+$/u);
    assert.ok(node.checkPrivateKey(createPrivateKey(ca.keyPem)));
  });

  it('saves the CA in a private pki folder (0700), its key 0600, and loads it back', async () => {
    const ca = await createClusterCa('prod');
    saveClusterCa(stateDir, ca);
    assert.equal(statSync(join(stateDir, 'pki')).mode & 0o777, 0o700);
    assert.equal(statSync(join(stateDir, 'pki', caKeyFile)).mode & 0o777, 0o600);
    assert.equal(statSync(join(stateDir, 'pki', caCertFile)).mode & 0o777, 0o644);
    const loaded = await loadClusterCa(stateDir);
    assert.ok(loaded !== undefined);
    assert.equal(loaded.clusterName, 'prod');
    assert.equal(loaded.certPem, ca.certPem);
    assert.equal(loaded.keyPem, ca.keyPem);
    assert.match(loaded.keyPem, /^-----BEGIN PRIVATE KEY-----\n/u);
  });

  it('loads nothing when there is no CA yet', async () => {
    assert.equal(await loadClusterCa(stateDir), undefined);
  });

  it('refuses a key that is not the certificate’s', async () => {
    saveClusterCa(stateDir, await createClusterCa('prod'));
    const other = await createClusterCa('prod');
    writeFileSync(join(stateDir, 'pki', caKeyFile), other.keyPem, { mode: 0o600 });
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI_KEY_MISMATCH'));
  });

  it('refuses a key its group or other users may read, and leaves its mode alone', async () => {
    saveClusterCa(stateDir, await createClusterCa('prod'));
    const keyPath = join(stateDir, 'pki', caKeyFile);
    chmodSync(keyPath, 0o644);
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI_KEY_EXPOSED'));
    chmodSync(keyPath, 0o640);
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI_KEY_EXPOSED'));
    assert.equal(statSync(keyPath).mode & 0o777, 0o640);
  });

  it('refuses a certificate or key file over 64 KiB', async () => {
    const ca = await createClusterCa('prod');
    saveClusterCa(stateDir, ca);
    writeFileSync(join(stateDir, 'pki', caCertFile), ca.certPem + 'x'.repeat(64 * 1024));
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI_FILE_TOO_LARGE'));
    saveClusterCa(stateDir, ca);
    writeFileSync(join(stateDir, 'pki', caKeyFile), ca.keyPem + 'x'.repeat(64 * 1024), { mode: 0o600 });
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI_FILE_TOO_LARGE'));
  });

  it('refuses a CA certificate without its key, and a damaged certificate', async () => {
    const ca = await createClusterCa('prod');
    saveClusterCa(stateDir, ca);
    rmSync(join(stateDir, 'pki', caKeyFile));
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI'));
    saveClusterCa(stateDir, ca);
    writeFileSync(join(stateDir, 'pki', caCertFile), 'not a certificate');
    await assert.rejects(loadClusterCa(stateDir), rejectsWith('E_PKI'));
  });

  it('refuses a cluster name that cannot go into a certificate', async () => {
    await assert.rejects(createClusterCa('a/b'), rejectsWith('E_PKI_NAME_INVALID'));
    await assert.rejects(createClusterCa('CN=x, O=y'), rejectsWith('E_PKI_NAME_INVALID'));
    await assert.rejects(createClusterCa('x'.repeat(64)), rejectsWith('E_PKI_NAME_INVALID'));
  });
});
