// Node certificates in real mutual TLS on 127.0.0.1: a server that asks every client for a certificate
// of the cluster CA lets in another node of the cluster and refuses, in the handshake, a client with no
// certificate, a self-signed one, or one of another cluster's CA; the client, trusting only the CA,
// accepts the server by its name or address and refuses a certificate for another address.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createClusterCa, type ClusterCa } from '../../src/cluster/ca.ts';
import { issueNodeCertificate, type NodeCertificate } from '../../src/cluster/node-certificate.ts';
import { ecdsaP256, newKeyPair, privateKeyPem, x509 } from '../../src/cluster/x509.ts';

interface ClientOptions {
  ca: string;
  key?: string;
  cert?: string;
  servername?: string;
}

/** GET / over TLS; resolves the status, rejects with the connection's error. */
function get(port: number, options: ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A self-signed certificate that looks like a node's (same name, same usages) but no CA signed. */
async function selfSigned(name: string): Promise<NodeCertificate> {
  const keys = await newKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }, { type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

describe('cluster/mutual TLS with node certificates', () => {
  let ca: ClusterCa;
  let otherCa: ClusterCa;
  let nodeA: NodeCertificate;
  let nodeB: NodeCertificate;
  let server: Server | undefined;
  let handled: string[];

  before(async () => {
    ca = await createClusterCa('prod');
    otherCa = await createClusterCa('prod');
    nodeA = await issueNodeCertificate(ca, { name: 'node-a', address: '127.0.0.1' });
    nodeB = await issueNodeCertificate(ca, { name: 'node-b', address: '10.0.0.6' });
  });

  afterEach(async () => {
    if (server === undefined) return;
    server.close();
    server.closeAllConnections();
    await once(server, 'close');
    server = undefined;
  });

  /** Serves 200 on 127.0.0.1 with `serverCert`, to clients with a certificate of the cluster CA only. */
  async function serve(serverCert: NodeCertificate): Promise<number> {
    handled = [];
    server = createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true }, (req, res) => {
      handled.push(String((req.socket as TLSSocket).getPeerCertificate().subject.CN));
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /**
   * Expects the server to refuse the client in the TLS handshake, for `why`: OpenSSL's reason when the
   * client sent no certificate, or the verification error of the one it sent.
   */
  async function refused(port: number, client: ClientOptions, why: RegExp): Promise<void> {
    assert.ok(server !== undefined);
    const handshakeError = once(server, 'tlsClientError') as Promise<[Error, TLSSocket]>;
    await assert.rejects(get(port, client));
    const [error, socket] = await handshakeError;
    assert.match(String(socket.authorizationError ?? error.message), why);
    assert.deepEqual(handled, []);
  }

  it('lets in a client with another node certificate of the same CA', async () => {
    const port = await serve(nodeA);
    assert.equal(await get(port, { ca: ca.certPem, key: nodeB.keyPem, cert: nodeB.certPem }), 200);
    assert.equal(await get(port, { ca: ca.certPem, key: nodeB.keyPem, cert: nodeB.certPem, servername: 'node-a' }), 200);
    assert.deepEqual(handled, ['node-b', 'node-b']);
  });

  it('refuses a client without a certificate', async () => {
    const port = await serve(nodeA);
    await refused(port, { ca: ca.certPem }, /peer did not return a certificate/u);
  });

  it('refuses a client with a self-signed certificate', async () => {
    const port = await serve(nodeA);
    const own = await selfSigned('node-b');
    await refused(port, { ca: ca.certPem, key: own.keyPem, cert: own.certPem }, /^DEPTH_ZERO_SELF_SIGNED_CERT$/u);
  });

  it("refuses a client with a certificate of another cluster's CA", async () => {
    const port = await serve(nodeA);
    const foreign = await issueNodeCertificate(otherCa, { name: 'node-b', address: '127.0.0.1' });
    await refused(port, { ca: ca.certPem, key: foreign.keyPem, cert: foreign.certPem }, /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/u);
  });

  it('the client refuses a server whose certificate names another address or name', async () => {
    const port = await serve(nodeB); // node-b's certificate names 10.0.0.6, not 127.0.0.1
    await assert.rejects(get(port, { ca: ca.certPem, key: nodeA.keyPem, cert: nodeA.certPem }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await assert.rejects(get(port, { ca: ca.certPem, key: nodeA.keyPem, cert: nodeA.certPem, servername: 'node-z' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    assert.equal(await get(port, { ca: ca.certPem, key: nodeA.keyPem, cert: nodeA.certPem, servername: 'node-b' }), 200);
  });

  it("the client refuses a server with a certificate of another cluster's CA", async () => {
    const foreign = await issueNodeCertificate(otherCa, { name: 'node-a', address: '127.0.0.1' });
    const port = await serve(foreign);
    await assert.rejects(get(port, { ca: ca.certPem, key: nodeB.keyPem, cert: nodeB.certPem }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    assert.deepEqual(handled, []);
  });
});
