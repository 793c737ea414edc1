// A real agent (`gravity start`) with `rpc.listen` on the loopback alias 127.0.0.11: it makes its
// cluster CA and node certificate in its state dir, answers the node RPC to a second node whose
// certificate is issued from that CA (read from the state dir, as another node of the cluster would
// hold one), refuses a client without a certificate, and closes the server when it stops.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClusterCa } from '../../src/cluster/ca.ts';
import { issueNodeCertificate } from '../../src/cluster/node-certificate.ts';
import { callPeer, type RpcClientOptions, type RpcPeer } from '../../src/cluster/rpc-client.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { killAgent, loggedUrl, startConfiguredAgent } from '../cli/run-cli.ts';

const host = '127.0.0.11';
const port = 3012;

describe('integration: the node RPC of a real agent', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned | undefined;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-rpc-'));
    agent = await startConfiguredAgent(stateDir, [
      'cluster: { name: rpc-test }',
      `node: { name: n1, advertiseAddr: "${host}" }`,
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      `rpc: { listen: "${host}:${port}" }`,
      'probes: []',
    ]);
    assert.equal(await loggedUrl(agent, 'node RPC listening'), `https://${host}:${port}`);
  });

  after(async () => {
    await killAgent(agent);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("answers /v1/time, /v1/agent and /v1/status to a node certificate of the agent's own CA", async () => {
    assert.ok(existsSync(join(stateDir, 'pki', 'ca.pem')) && existsSync(join(stateDir, 'pki', 'ca-key.pem')));
    const ca = await loadClusterCa(stateDir);
    assert.ok(ca !== undefined);
    const second = await issueNodeCertificate(ca, { name: 'n2', address: '127.0.0.12' });
    const peer: RpcPeer = { name: 'n1', address: host, port };
    const client: RpcClientOptions = { pki: { caPem: ca.certPem, certPem: second.certPem, keyPem: second.keyPem }, timeoutMs: 5000 };
    const before = Date.now();
    const { now } = await callPeer(peer, '/v1/time', client);
    assert.ok(now >= before - 1000 && now <= Date.now() + 1000, `agent time ${now}`);
    const info = await callPeer(peer, '/v1/agent', client);
    assert.equal(info.node, 'n1');
    assert.equal(info.pid, agent?.child.pid);
    assert.equal(info.state, 'running');
    const status = await callPeer(peer, '/v1/status', client);
    assert.equal(status.name, 'rpc-test');
  });

  it('refuses a client without a certificate', async () => {
    const ca = await loadClusterCa(stateDir);
    assert.ok(ca !== undefined);
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host, port, path: '/v1/time', agent: false, ca: [ca.certPem], servername: 'n1' }, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode ?? 0}`);
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code ?? error.message}`));
      req.end();
    });
    assert.match(outcome, /^refused: /u);
  });

  it('stops the server with the agent', async () => {
    assert.ok(agent !== undefined);
    agent.child.kill('SIGTERM');
    const finished = await agent.finished;
    assert.equal(finished.code, 0, finished.stderr);
    const ca = await loadClusterCa(stateDir);
    assert.ok(ca !== undefined);
    const second = await issueNodeCertificate(ca, { name: 'n2', address: '127.0.0.12' });
    await assert.rejects(callPeer({ name: 'n1', address: host, port }, '/v1/time', { pki: { caPem: ca.certPem, certPem: second.certPem, keyPem: second.keyPem } }), {
      code: 'E_RPC_UNREACHABLE',
    });
  });
});
