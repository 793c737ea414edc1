// This node's cluster certificates: made on first use with private modes, loaded as they are on the
// next call, the node certificate alone made again when it no longer fits, and the CA never replaced.

import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caKeyFile } from '../../src/cluster/ca.ts';
import { verifyNodeCertificate } from '../../src/cluster/node-certificate.ts';
import { ensureClusterPki, nodeKeyFile } from '../../src/cluster/pki.ts';
import { isGravityError, type ErrorCode } from '../../src/errors.ts';

function rejectsWith(code: ErrorCode): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isGravityError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  };
}

describe('cluster/pki', () => {
  const node = { name: 'node-1', address: '10.0.0.5' };
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-pki-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('makes the CA and a node certificate on first use, private to the agent', async () => {
    const pki = await ensureClusterPki(stateDir, 'prod', node);
    assert.deepEqual(pki.made, { ca: true, node: true });
    assert.equal(pki.dir, join(stateDir, 'pki'));
    assert.deepEqual(readdirSync(pki.dir).sort(), ['ca-key.pem', 'ca.pem', 'node-key.pem', 'node.pem']);
    assert.equal(statSync(pki.dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(pki.dir, caKeyFile)).mode & 0o777, 0o600);
    assert.equal(statSync(pki.nodeKeyPath).mode & 0o777, 0o600);
    assert.equal(statSync(pki.caCertPath).mode & 0o777, 0o644);
    assert.equal(statSync(pki.nodeCertPath).mode & 0o777, 0o644);
    assert.equal(readFileSync(pki.nodeCertPath, 'utf8'), pki.certPem);
    assert.equal(readFileSync(pki.caCertPath, 'utf8'), pki.caPem);
    assert.ok(new NodeX509Certificate(pki.certPem).checkPrivateKey(createPrivateKey(pki.keyPem)));
    const verified = await verifyNodeCertificate(pki.caPem, pki.certPem);
    assert.equal(verified.name, 'node-1');
    assert.deepEqual(verified.ipAddresses, ['10.0.0.5']);
  });

  it('loads what is there on the next call', async () => {
    const first = await ensureClusterPki(stateDir, 'prod', node);
    const second = await ensureClusterPki(stateDir, 'prod', node);
    assert.deepEqual(second.made, { ca: false, node: false });
    assert.equal(second.caPem, first.caPem);
    assert.equal(second.certPem, first.certPem);
    assert.equal(second.keyPem, first.keyPem);
  });

  it('reuses a certificate for an IPv6 address however the address is written', async () => {
    const first = await ensureClusterPki(stateDir, 'prod', { name: 'node-1', address: 'fd00::5' });
    const second = await ensureClusterPki(stateDir, 'prod', { name: 'node-1', address: 'fd00:0:0::5' });
    assert.deepEqual(second.made, { ca: false, node: false });
    assert.equal(second.certPem, first.certPem);
    assert.equal(new NodeX509Certificate(first.certPem).checkIP('fd00::5'), 'fd00::5');
  });

  it('makes a new node certificate, from the same CA, when the address changes or the end nears', async () => {
    const first = await ensureClusterPki(stateDir, 'prod', node);
    const moved = await ensureClusterPki(stateDir, 'prod', { ...node, address: '10.0.0.9', loopback: true });
    assert.deepEqual(moved.made, { ca: false, node: true });
    assert.equal(moved.caPem, first.caPem);
    assert.notEqual(moved.keyPem, first.keyPem);
    const certificate = new NodeX509Certificate(moved.certPem);
    assert.equal(certificate.checkIP('10.0.0.9'), '10.0.0.9');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');

    const notAfter = new Date(certificate.validTo);
    const renewed = await ensureClusterPki(stateDir, 'prod', { ...node, address: '10.0.0.9', loopback: true }, { now: new Date(notAfter.getTime() - 10 * 86_400_000) });
    assert.deepEqual(renewed.made, { ca: false, node: true });
    assert.ok(new Date(new NodeX509Certificate(renewed.certPem).validTo) > notAfter);
  });

  it('refuses the CA of another cluster, and a CA certificate without its key', async () => {
    await ensureClusterPki(stateDir, 'prod', node);
    await assert.rejects(ensureClusterPki(stateDir, 'staging', node), rejectsWith('E_PKI'));
    rmSync(join(stateDir, 'pki', caKeyFile));
    await assert.rejects(ensureClusterPki(stateDir, 'prod', node), rejectsWith('E_PKI'));
  });

  it('makes a new CA over a key left without its certificate (a CA never finished)', async () => {
    const first = await ensureClusterPki(stateDir, 'prod', node);
    rmSync(first.caCertPath);
    const second = await ensureClusterPki(stateDir, 'prod', node);
    assert.deepEqual(second.made, { ca: true, node: true });
    assert.notEqual(second.caPem, first.caPem);
  });

  it("refuses a node key others may read, and one that is not the node certificate's", async () => {
    const first = await ensureClusterPki(stateDir, 'prod', node);
    chmodSync(first.nodeKeyPath, 0o604);
    await assert.rejects(ensureClusterPki(stateDir, 'prod', node), rejectsWith('E_PKI_KEY_EXPOSED'));
    chmodSync(first.nodeKeyPath, 0o600);
    writeFileSync(join(first.dir, nodeKeyFile), readFileSync(join(first.dir, caKeyFile)));
    await assert.rejects(ensureClusterPki(stateDir, 'prod', node), rejectsWith('E_PKI_KEY_MISMATCH'));
  });

  it('makes an existing pki folder private', async () => {
    await ensureClusterPki(stateDir, 'prod', node);
    chmodSync(join(stateDir, 'pki'), 0o755);
    await ensureClusterPki(stateDir, 'prod', node);
    assert.equal(statSync(join(stateDir, 'pki')).mode & 0o777, 0o700);
  });
});
