// The time-drift checker against real HTTPS peers on 127.0.0.1 serving GET /time: a peer whose clock
// agrees passes, one ahead or behind by more than the threshold fails with the drift and its sign, a
// slow peer (over the 100 ms request timeout) is ignored or fails by `unreachablePeers`, and no peers
// at all is running. Tests that need a measurement allow 2 s per request, so that a loaded CI host
// does not turn them into timeouts.

import assert from 'node:assert/strict';
import { measureDrift, timeDriftChecker } from '../../src/probes/time-drift.ts';
import { assertProblems, closedPort, mustCompile, runCheck, selfSignedCertificate, startHttps } from './helpers.ts';
import type { BadConfig, Certificate, Running, TempDir } from './helpers.ts';
import { tempDir } from './helpers.ts';

interface FakePeer extends Running {
  offsetMs: number;
  delayMs: number;
  body?: string;
}

async function startPeer(certificate: Certificate): Promise<FakePeer> {
  const state = { offsetMs: 0, delayMs: 0, body: undefined as string | undefined };
  const running = await startHttps(certificate, (request, response) => {
    if (request.url !== '/time') {
      response.writeHead(404).end();
      return;
    }
    setTimeout(() => {
      response.setHeader('content-type', 'application/json');
      response.end(state.body ?? JSON.stringify({ time: Date.now() + state.offsetMs }));
    }, state.delayMs);
  });
  return Object.assign(state, running);
}

describe('time-drift checker', () => {
  let dir: TempDir;
  let certificate: Certificate;
  let peer: FakePeer;
  let other: FakePeer;

  before(async () => {
    dir = tempDir('drift');
    certificate = selfSignedCertificate(dir.path);
    peer = await startPeer(certificate);
    other = await startPeer(certificate);
  });
  beforeEach(() => {
    for (const each of [peer, other]) {
      each.offsetMs = 0;
      each.delayMs = 0;
      delete each.body;
    }
  });
  after(async () => {
    await peer.close();
    await other.close();
    dir.remove();
  });

  it('defaults to no peers, 300ms, 100ms per request', () => {
    assert.deepEqual(mustCompile(timeDriftChecker, {}), {
      peers: [],
      maxDriftMs: 300,
      requestTimeoutMs: 100,
      unreachablePeers: 'ignore',
      tls: { tlsVerify: false },
    });
  });

  it('is running with no peers', async () => {
    assert.equal((await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, {}))).status, 'running');
  });

  it('measures the drift as peer time + rtt/2 - local time', async () => {
    peer.offsetMs = 1000;
    const config = mustCompile(timeDriftChecker, { peers: [peer.address], requestTimeout: '2s' });
    const drift = await measureDrift(peer.address, config, { signal: AbortSignal.timeout(2000), timeoutMs: 2000, stateDir: dir.path });
    assert.ok('driftMs' in drift, JSON.stringify(drift));
    assert.ok(Math.abs(drift.driftMs - 1000) < 50, `drift ${drift.driftMs} ms`);
    assert.ok(drift.rttMs >= 0 && drift.rttMs < 100);
  });

  it('is running while every clock agrees', async () => {
    peer.offsetMs = 20;
    other.offsetMs = -20;
    const result = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address, other.address] }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails for each peer past the threshold, with the drift and its sign', async () => {
    peer.offsetMs = 1000;
    other.offsetMs = -2000;
    const result = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address, other.address], requestTimeout: '2s' }));
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      new RegExp(
        `^time drift with ${peer.address} is \\+\\d+ms \\(its clock is ahead of ours\\), above the threshold of 300ms; ` +
          `time drift with ${other.address} is -\\d+ms \\(its clock is behind ours\\), above the threshold of 300ms$`,
      ),
    );
  });

  it('takes a custom threshold', async () => {
    peer.offsetMs = 1000;
    assert.equal((await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address], maxDrift: '2s' }))).status, 'running');
  });

  it('ignores a peer slower than the request timeout by default, and fails for it with unreachablePeers: fail', async () => {
    peer.delayMs = 300;
    const ignored = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address] }));
    assert.equal(ignored.status, 'running');
    assert.ok(ignored.elapsedMs < 250, `took ${ignored.elapsedMs} ms: the 100 ms request timeout was not applied`);
    const failed = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address], unreachablePeers: 'fail' }));
    assert.equal(
      failed.error,
      `cannot measure time drift with ${peer.address}: Get https://${peer.address}/time: timed out after 100ms while awaiting response headers`,
    );
  });

  it('reports unreachable and malformed peers with unreachablePeers: fail', async () => {
    const port = await closedPort();
    peer.body = '{"now":1}';
    const result = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address, `127.0.0.1:${port}`], unreachablePeers: 'fail', requestTimeout: '2s' }));
    assert.equal(
      result.error,
      `cannot measure time drift with ${peer.address}: Get https://${peer.address}/time: the answer has no "time" in epoch milliseconds: "{\\"now\\":1}"; ` +
        `cannot measure time drift with 127.0.0.1:${port}: Get https://127.0.0.1:${port}/time: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it('verifies the peers’ certificates when asked', async () => {
    const untrusted = await runCheck(timeDriftChecker, mustCompile(timeDriftChecker, { peers: [peer.address], tlsVerify: true, unreachablePeers: 'fail', requestTimeout: '2s' }));
    assert.match(untrusted.error ?? '', /tls: self[- ]signed certificate/);
    const trusted = await runCheck(
      timeDriftChecker,
      mustCompile(timeDriftChecker, { peers: [`localhost:${peer.port}`], tlsVerify: true, caFile: certificate.certFile, unreachablePeers: 'fail', requestTimeout: '2s' }),
    );
    assert.equal(trusted.status, 'running', trusted.error);
  });

  const bad: BadConfig[] = [
    { name: 'peers as a string', raw: { peers: '10.0.0.2:7575' }, problems: [/^probes\[0\]\.peers: must be a list of peers' health endpoints/] },
    { name: 'a peer without a port', raw: { peers: ['10.0.0.2'] }, problems: [/^probes\[0\]\.peers\[0\]: must be host:port/] },
    { name: 'a drift as a number', raw: { maxDrift: 300 }, problems: [/^probes\[0\]\.maxDrift: must be a duration/] },
    { name: 'a zero request timeout', raw: { requestTimeout: '0ms' }, problems: [/^probes\[0\]\.requestTimeout: must be a duration from 1ms to 1m, got "0ms"$/] },
    { name: 'an unknown policy', raw: { unreachablePeers: 'warn' }, problems: [/^probes\[0\]\.unreachablePeers: must be one of ignore, fail/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(timeDriftChecker, entry));
});
