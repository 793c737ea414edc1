// The health endpoint's certificate: signed by the cluster CA of the state dir (made in-process, the
// CA too on first use), kept private in the state dir, reused on the next start, made again when the
// node gets a new address or the CA changes; a client that trusts only ca.pem verifies it.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerCertificate, type ServerCertificate } from '../../src/api/tls.ts';
import { createClusterCa, saveClusterCa } from '../../src/cluster/ca.ts';
import { isGravityError } from '../../src/errors.ts';

const serverAuth = '1.3.6.1.5.5.7.3.1';

/** Serves `certificate` on 127.0.0.1 and GETs it as `host` trusting only `caPem`; resolves the body or rejects with the TLS error. */
async function fetchVerified(certificate: ServerCertificate, caPem: string, host = '127.0.0.1'): Promise<string> {
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (_request, response) => response.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const request = https.get({ host: '127.0.0.1', servername: host === '127.0.0.1' ? undefined : host, headers: { host }, port, path: '/', ca: caPem, agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(body));
      });
      request.on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('api/tls', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-tls-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const caPath = (): string => join(stateDir, 'pki', 'ca.pem');

  it('makes a certificate signed by the cluster CA once, private to the agent, and reuses it', async () => {
    const first = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: ['10.0.0.5', '0.0.0.0'] });
    assert.equal(first.generated, true);
    assert.equal(first.keyPath, join(stateDir, 'tls', 'server.key'));
    assert.equal(first.certPath, join(stateDir, 'tls', 'server.crt'));
    assert.equal(statSync(join(stateDir, 'tls')).mode & 0o777, 0o700);
    assert.equal(statSync(first.keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(first.certPath).mode & 0o777, 0o644);
    assert.equal(statSync(join(stateDir, 'pki', 'ca-key.pem')).mode & 0o777, 0o600);

    const certificate = new X509Certificate(first.cert);
    const ca = new X509Certificate(readFileSync(caPath(), 'utf8'));
    assert.match(ca.subject, /CN=prod gravity cluster CA/);
    assert.ok(certificate.checkIssued(ca));
    assert.ok(certificate.verify(ca.publicKey));
    assert.equal(certificate.ca, false);
    assert.deepEqual(certificate.keyUsage, [serverAuth]);
    assert.match(certificate.subject, /CN=node-1/);
    const sans = certificate.subjectAltName ?? '';
    assert.match(sans, /DNS:node-1/);
    assert.match(sans, /DNS:localhost/);
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(certificate.checkIP('10.0.0.5'), '10.0.0.5');
    assert.ok(certificate.checkIP('::1') !== undefined);
    assert.equal(certificate.checkIP('0.0.0.0'), undefined);
    assert.equal(certificate.checkHost('node-1'), 'node-1');
    assert.ok(certificate.checkPrivateKey(createPrivateKey(first.key)));
    assert.ok(Date.parse(certificate.validTo) > Date.now() + 9 * 365 * 86_400_000);
    assert.ok(Date.parse(certificate.validTo) <= Date.parse(ca.validTo));

    const second = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: ['10.0.0.5'] });
    assert.equal(second.generated, false);
    assert.equal(second.cert, first.cert);
    assert.equal(second.key, first.key);
    assert.equal(readFileSync(caPath(), 'utf8'), ca.toString());
  });

  it('is verified by a client that trusts only the cluster CA, by IP address and by name', async () => {
    const made = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const caPem = readFileSync(caPath(), 'utf8');
    assert.equal(await fetchVerified(made, caPem), 'ok');
    assert.equal(await fetchVerified(made, caPem, 'localhost'), 'ok');
    assert.equal(await fetchVerified(made, caPem, 'node-1'), 'ok');
  });

  it('is refused by a client that trusts another cluster CA only', async () => {
    const made = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const other = await createClusterCa('prod');
    await assert.rejects(fetchVerified(made, other.certPem), (error: NodeJS.ErrnoException) => error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('makes a new one when the cluster CA changes, and the new one verifies with the new ca.pem', async () => {
    const first = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const oldCa = readFileSync(caPath(), 'utf8');
    saveClusterCa(stateDir, await createClusterCa('prod'));
    const newCa = readFileSync(caPath(), 'utf8');
    assert.notEqual(newCa, oldCa);

    const second = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    assert.equal(second.generated, true);
    assert.notEqual(second.cert, first.cert);
    assert.ok(new X509Certificate(second.cert).checkIssued(new X509Certificate(newCa)));
    assert.equal(await fetchVerified(second, newCa), 'ok');
    const third = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    assert.equal(third.generated, false);
  });

  it('makes a new one in place of a certificate that is not the CA\'s (one left by an older version, or put there by hand)', async () => {
    const made = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    // A certificate that names everything and matches its key, but whose issuer is another CA.
    const elsewhere = mkdtempSync(join(tmpdir(), 'gravity-tls-other-'));
    try {
      const foreign = await ensureServerCertificate(elsewhere, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
      writeFileSync(made.keyPath, foreign.key);
      writeFileSync(made.certPath, foreign.cert);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    const again = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    assert.equal(again.generated, true);
    assert.equal(await fetchVerified(again, readFileSync(caPath(), 'utf8')), 'ok');
  });

  it('refuses the CA of another cluster instead of making a new one over it', async () => {
    await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const before = readFileSync(caPath(), 'utf8');
    await assert.rejects(ensureServerCertificate(stateDir, { clusterName: 'staging', hostnames: ['node-1'], ips: [] }), (error) => {
      assert.ok(isGravityError(error, 'E_PKI'));
      assert.match(error.message, /cluster prod, not of staging/);
      return true;
    });
    assert.equal(readFileSync(caPath(), 'utf8'), before);
  });

  it('makes a new one when the node is reached by an address the old one does not name', async () => {
    const first = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const second = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: ['10.0.0.9'] });
    assert.equal(second.generated, true);
    assert.notEqual(second.cert, first.cert);
    assert.equal(new X509Certificate(second.cert).checkIP('10.0.0.9'), '10.0.0.9');
  });

  it('makes a new one when the stored files are damaged', async () => {
    const first = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    writeFileSync(first.certPath, 'not a certificate');
    const second = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    assert.equal(second.generated, true);
    assert.doesNotThrow(() => new X509Certificate(second.cert));
  });

  it('makes a new one when it expires within 30 days', async () => {
    const first = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [] });
    const validTo = Date.parse(new X509Certificate(first.cert).validTo);
    const reused = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [], now: validTo - 31 * 86_400_000 });
    assert.equal(reused.generated, false);
    const renewed = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: [], now: validTo - 29 * 86_400_000 });
    assert.equal(renewed.generated, true);
  });

  it('names an address given by host name as a DNS name', async () => {
    const made = await ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['node-1'], ips: ['node-1.example.com', 'localhost'] });
    assert.equal(new X509Certificate(made.cert).checkHost('node-1.example.com'), 'node-1.example.com');
  });

  it('refuses a host name that cannot go in a certificate', async () => {
    await assert.rejects(ensureServerCertificate(stateDir, { clusterName: 'prod', hostnames: ['bad name,DNS:evil'], ips: [] }), (error) =>
      isGravityError(error, 'E_TLS'),
    );
  });
});
