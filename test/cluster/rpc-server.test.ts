// The node RPC over real mutual TLS on 127.0.0.1: another node of the cluster gets the status, the
// agent and the time; the handshake refuses, before any handler, a client without a certificate, with
// a self-signed one, one of another cluster's CA, or the CA's serverAuth-only endpoint certificate;
// wrong methods, unknown paths and large bodies get 405, 404 and 413. The client refuses a server
// whose certificate is not the node it called, and gives up on a silent listener with E_RPC_UNREACHABLE.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createClusterCa, type ClusterCa } from '../../src/cluster/ca.ts';
import { issueNodeCertificate, issueServerCertificate, type NodeCertificate } from '../../src/cluster/node-certificate.ts';
import { callPeer, rpcTimeout, type RpcPeer } from '../../src/cluster/rpc-client.ts';
import { maxRpcConnections, maxRpcRequestBytes, maxRpcResponseBytes, type RpcAgentInfo } from '../../src/cluster/rpc-protocol.ts';
import { startRpcServer, type RpcServer } from '../../src/cluster/rpc-server.ts';
import { ecdsaP256, newKeyPair, privateKeyPem, x509 } from '../../src/cluster/x509.ts';
import { systemClock } from '../../src/clock.ts';
import { GravityError } from '../../src/errors.ts';
import type { ClusterReport } from '../../src/health/types.ts';
import { waitFor } from '../helpers/wait.ts';

const report: ClusterReport = { name: 'prod', status: 'running', nodes: [], time: 1 };
const agentInfo: RpcAgentInfo = { node: 'node-a', pid: 42, version: '0.1.0', state: 'running', startedAt: 7 };

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

/** A certificate of the CA for clientAuth only: the handshake takes it, the node check does not. */
async function clientOnly(ca: ClusterCa, name: string): Promise<NodeCertificate> {
  const keys = await newKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: `CN=${name}`,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One request with any method and body, as node-b. */
function raw(port: number, ca: string, client: NodeCertificate, method: string, path: string, body?: Buffer, chunked = false): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers = chunked ? { 'transfer-encoding': 'chunked' } : {};
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false, ca: [ca], cert: client.certPem, key: client.keyPem, servername: 'node-a' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    if (chunked && body !== undefined) {
      req.write(body); // no content-length: the server counts what comes
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('cluster/node RPC server and client', function () {
  this.timeout(20_000);
  let ca: ClusterCa;
  let otherCa: ClusterCa;
  let nodeA: NodeCertificate;
  let nodeB: NodeCertificate;
  let server: RpcServer | undefined;
  let silent: net.Server | undefined;
  let calls: number;
  let logLines: Record<string, unknown>[];

  before(async () => {
    ca = await createClusterCa('prod');
    otherCa = await createClusterCa('prod');
    nodeA = await issueNodeCertificate(ca, { name: 'node-a', address: '127.0.0.1' });
    nodeB = await issueNodeCertificate(ca, { name: 'node-b', address: '127.0.0.2' });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (silent !== undefined) {
      silent.close();
      await once(silent, 'close');
      silent = undefined;
    }
  });

  /** Serves as node-a (or with `serverCert`) on 127.0.0.1, counting the handler calls. */
  async function serve(serverCert: NodeCertificate = nodeA): Promise<RpcPeer> {
    calls = 0;
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await startRpcServer({
      host: '127.0.0.1',
      port: 0,
      pki: { caPem: ca.certPem, certPem: serverCert.certPem, keyPem: serverCert.keyPem },
      status: () => {
        calls += 1;
        return report;
      },
      agent: () => {
        calls += 1;
        return agentInfo;
      },
      logger: pino({ level: 'debug' }, sink),
      clock: systemClock,
    });
    return { name: 'node-a', address: '127.0.0.1', port: server.port };
  }

  const asNodeB = (): { pki: { caPem: string; certPem: string; keyPem: string } } => ({ pki: { caPem: ca.certPem, certPem: nodeB.certPem, keyPem: nodeB.keyPem } });

  it('answers another node of the cluster: status, agent and time', async () => {
    const peer = await serve();
    assert.deepEqual(await callPeer(peer, '/v1/status', asNodeB()), report);
    assert.deepEqual(await callPeer(peer, '/v1/agent', asNodeB()), agentInfo);
    const before = Date.now();
    const { now } = await callPeer(peer, '/v1/time', asNodeB());
    assert.ok(now >= before && now <= Date.now(), `time ${now}`);
    assert.deepEqual(await callPeer({ address: '127.0.0.1', port: peer.port }, '/v1/time', asNodeB()).then((time) => typeof time.now), 'number');
    assert.equal(calls, 2);
    assert.ok(logLines.some((line) => line.caller === 'node-b' && line.path === '/v1/status'));
  });

  /** Expects a refusal in the handshake: the client fails, no handler runs, the refusal is logged. */
  async function refusedInHandshake(client: { certPem?: string; keyPem?: string }, reason: RegExp): Promise<void> {
    const peer = await serve();
    const error = await new Promise<Error>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: peer.port, path: '/v1/status', agent: false, ca: [ca.certPem], servername: 'node-a', ...(client.certPem === undefined ? {} : { cert: client.certPem, key: client.keyPem }) },
        (res) => {
          res.resume();
          resolve(new Error(`answered ${res.statusCode ?? 0}`));
        },
      );
      req.on('error', resolve);
      req.end();
    });
    assert.doesNotMatch(error.message, /^answered/u);
    await waitFor(() => logLines.some((line) => line.msg === 'node RPC refused a caller'), 5000, 'the refusal in the log');
    const logged = logLines.filter((line) => line.msg === 'node RPC refused a caller');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.peer, '127.0.0.1');
    assert.equal(logged[0]?.stage, 'handshake');
    assert.match(String(logged[0]?.reason), reason);
    assert.equal(logged[0]?.err, undefined);
    assert.equal(JSON.stringify(logged[0]).includes('    at '), false);
    assert.equal(calls, 0);
  }

  it('refuses in the handshake a client without a certificate', async () => {
    await refusedInHandshake({}, /certificate/iu);
  });

  it('refuses in the handshake a client with a self-signed certificate', async () => {
    await refusedInHandshake(await selfSigned('node-b'), /^DEPTH_ZERO_SELF_SIGNED_CERT$/u);
  });

  it("refuses in the handshake a client with a certificate of another cluster's CA", async () => {
    const foreign = await issueNodeCertificate(otherCa, { name: 'node-b', address: '127.0.0.1' });
    await refusedInHandshake(foreign, /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/u);
  });

  it("refuses in the handshake the CA's serverAuth-only endpoint certificate", async () => {
    const endpoint = await issueServerCertificate(ca, { commonName: 'node-b', dnsNames: ['node-b'], ipAddresses: ['127.0.0.1'] }, { validityYears: 1 });
    await refusedInHandshake(endpoint, /purpose/iu);
  });

  it('the client says E_RPC_REFUSED when the server refuses its certificate', async () => {
    const peer = await serve();
    const foreign = await issueNodeCertificate(otherCa, { name: 'node-b', address: '127.0.0.1' });
    await assert.rejects(callPeer(peer, '/v1/time', { pki: { caPem: ca.certPem, certPem: foreign.certPem, keyPem: foreign.keyPem } }), { code: 'E_RPC_REFUSED' });
    assert.equal(calls, 0);
  });

  it('answers 403 to a CA-signed client certificate that is not a node certificate (no serverAuth)', async () => {
    const peer = await serve();
    const answer = await raw(peer.port, ca.certPem, await clientOnly(ca, 'intruder'), 'GET', '/v1/status');
    assert.equal(answer.status, 403);
    assert.match(String(answer.body.message), /serverAuth/u);
    assert.equal(calls, 0);
    assert.ok(logLines.some((line) => line.msg === 'node RPC refused a caller' && line.stage === 'certificate'));
  });

  it('holds at most 64 connections at once', async () => {
    const peer = await serve();
    const idle: net.Socket[] = [];
    try {
      for (let index = 0; index < maxRpcConnections; index += 1) {
        const socket = net.connect(peer.port, '127.0.0.1');
        idle.push(socket);
        await once(socket, 'connect');
      }
      await assert.rejects(callPeer(peer, '/v1/time', asNodeB()), { code: 'E_RPC_UNREACHABLE' });
    } finally {
      for (const socket of idle) socket.destroy();
    }
    await waitFor(async () => (await callPeer(peer, '/v1/time', asNodeB()).then(() => true, () => false)), 5000, 'a free connection');
  });

  it('the client refuses an answer past 1 MiB', async () => {
    const big = createServer({ key: nodeA.keyPem, cert: nodeA.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true }, (_req, res) => {
      res.end(JSON.stringify({ now: 1, padding: 'x'.repeat(maxRpcResponseBytes) }));
    });
    big.listen(0, '127.0.0.1');
    await once(big, 'listening');
    try {
      const port = (big.address() as AddressInfo).port;
      await assert.rejects(callPeer({ name: 'node-a', address: '127.0.0.1', port }, '/v1/time', asNodeB()), (error: unknown) => {
        assert.ok(error instanceof GravityError);
        assert.equal(error.code, 'E_RPC_RESPONSE');
        assert.match(error.message, /more than 1 MiB/u);
        return true;
      });
    } finally {
      big.close();
      big.closeAllConnections();
      await once(big, 'close');
    }
  });

  it('answers 405 to other methods, 404 to unknown paths, 413 past 64 KiB of body', async () => {
    const peer = await serve();
    const post = await raw(peer.port, ca.certPem, nodeB, 'POST', '/v1/time', Buffer.from('{}'));
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    assert.equal(post.body.error, 'method_not_allowed');
    const unknown = await raw(peer.port, ca.certPem, nodeB, 'GET', '/v2/nothing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'not_found');
    const large = await raw(peer.port, ca.certPem, nodeB, 'POST', '/v1/status', Buffer.alloc(maxRpcRequestBytes + 1, 'x'));
    assert.equal(large.status, 413);
    assert.match(String(large.body.message), /64 KiB/u);
    const streamed = await raw(peer.port, ca.certPem, nodeB, 'GET', '/v1/time', Buffer.alloc(maxRpcRequestBytes + 1, 'x'), true);
    assert.equal(streamed.status, 413);
    assert.equal(calls, 0);
    await assert.rejects(callPeer({ ...peer, port: peer.port }, '/v1/nothing' as '/v1/time', asNodeB()), { code: 'E_RPC_RESPONSE' });
  });

  it('the client refuses a server whose certificate names another node, or is no node certificate', async () => {
    const peer = await serve(nodeB); // node-b's certificate, reached as node-a
    await assert.rejects(callPeer(peer, '/v1/time', { pki: { caPem: ca.certPem, certPem: nodeA.certPem, keyPem: nodeA.keyPem } }), (error: unknown) => {
      assert.ok(error instanceof GravityError);
      assert.equal(error.code, 'E_RPC_REFUSED');
      assert.match(error.message, /node node-b, not of node node-a/u);
      return true;
    });
    // Without a name, the address dialled (127.0.0.1) must be named: node-b's certificate names 127.0.0.2.
    await assert.rejects(callPeer({ address: '127.0.0.1', port: peer.port }, '/v1/time', asNodeB()), { code: 'E_RPC_REFUSED' });
    await server?.close();
    const endpoint = await issueServerCertificate(ca, { commonName: 'node-a', dnsNames: ['node-a'], ipAddresses: ['127.0.0.1'] }, { validityYears: 1 });
    const endpointPeer = await serve(endpoint);
    await assert.rejects(callPeer(endpointPeer, '/v1/time', asNodeB()), { code: 'E_RPC_REFUSED' });
    assert.equal(calls, 0);
  });

  it('gives E_RPC_UNREACHABLE for a listener that never answers, and for a closed port', async () => {
    silent = net.createServer((socket) => socket.resume()); // accepts and reads, never speaks
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    await assert.rejects(callPeer({ name: 'node-a', address: '127.0.0.1', port }, '/v1/time', { ...asNodeB(), timeoutMs: 200 }), (error: unknown) => {
      assert.ok(error instanceof GravityError);
      assert.equal(error.code, 'E_RPC_UNREACHABLE');
      assert.ok(error.userError);
      assert.match(error.message, /within 200 ms/u);
      return true;
    });
    silent.close();
    await once(silent, 'close');
    silent = undefined;
    await assert.rejects(callPeer({ address: '127.0.0.1', port }, '/v1/time', asNodeB()), { code: 'E_RPC_UNREACHABLE' });
  });

  it('range-checks the timeout and the peer', async () => {
    assert.equal(rpcTimeout(undefined), 2000);
    assert.equal(rpcTimeout(10), 10);
    for (const bad of [9, 60_001, 1.5, Number.NaN]) assert.throws(() => rpcTimeout(bad), { code: 'E_USAGE' });
    for (const port of [0, 65_536, 1.5]) await assert.rejects(callPeer({ address: '127.0.0.1', port }, '/v1/time', asNodeB()), { code: 'E_USAGE' });
    await assert.rejects(callPeer({ address: 'a'.repeat(254), port: 3012 }, '/v1/time', asNodeB()), { code: 'E_USAGE' });
    await assert.rejects(callPeer({ address: '127.0.0.1', port: 3012 }, '/v1/time', { ...asNodeB(), timeoutMs: 0 }), { code: 'E_USAGE' });
  });
});
