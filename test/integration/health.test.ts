// The agent's main job end to end, as an operator sees it: a real agent process started from the CLI
// with a config on temp ports and a temp state dir, a real TCP listener as the probe target, and a
// real status hook. Stopping the target degrades the node and the cluster (503, `gravity status`
// exit 5 with [×], history `Probe Failed` / `Node Degraded`); starting it again recovers them. The
// same for a status hook that fails, passes, and hangs past its deadline. The endpoint's certificate
// verifies against the cluster CA the agent made in its state dir.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthEndpointJson } from '../../src/health/types.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { cliMain, loggedUrl, logRecords, runCli, spawnTs, waitForAgent } from '../cli/run-cli.ts';
import { closeTcp, listenTcp } from '../helpers/tcp-target.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { listProcesses } from '../helpers/proc.ts';
import { httpsGet } from '../helpers/https-get.ts';

/** Live (not zombie) processes whose command line is exactly these words. */
function running(...argv: string[]): number[] {
  const wanted = argv.join('\0') + '\0';
  return listProcesses()
    .filter((entry) => entry.state !== 'Z')
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8') === wanted;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map((entry) => entry.pid);
}

interface Answer {
  status: number;
  body: HealthEndpointJson;
}

async function get(url: string): Promise<Answer> {
  const answer = await httpsGet(url);
  return { status: answer.status, body: JSON.parse(answer.text) as HealthEndpointJson };
}

async function startAgent(stateDir: string, configLines: string[]): Promise<{ agent: Spawned; url: string }> {
  const config = join(stateDir, 'gravity.yaml');
  writeFileSync(config, configLines.join('\n') + '\n');
  const agent = spawnTs(cliMain, ['start', '--state-dir', stateDir, '--config', config]);
  await waitForAgent(stateDir, agent);
  const url = await loggedUrl(agent, 'health endpoint listening');
  return { agent, url };
}

async function stopAgent(agent: Spawned): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  agent.child.kill('SIGTERM');
  const finished = await agent.finished;
  assert.equal(finished.code, 0, finished.stderr);
}

async function history(stateDir: string): Promise<string> {
  const result = await runCli(['status', 'history', '--state-dir', stateDir]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('integration: health probing, the endpoint, status and history (real processes)', function () {
  this.timeout(90_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-health-'));
  });
  afterEach(async () => {
    if (agent !== undefined) await stopAgent(agent);
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a TCP target going down degrades node and cluster; coming back recovers them', async () => {
    let target = await listenTcp();
    const address = target.address();
    assert.ok(address !== null && typeof address === 'object');
    const port = address.port;
    const started = await startAgent(stateDir, [
      'cluster: { name: prod }',
      'node: { name: node-1, role: master, advertiseAddr: 127.0.0.1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'probes:',
      `  - { checker: tcp, name: web, address: "127.0.0.1:${port}", interval: 1s, timeout: 500ms }`,
    ]);
    agent = started.agent;
    const healthy = await waitForValue(async () => {
      const answer = await get(started.url);
      return answer.status === 200 ? answer : undefined;
    }, 15_000, 'the cluster to be running');
    // The endpoint's certificate is the cluster CA's: trusting ca.pem alone verifies it (`curl --cacert`).
    const caPem = readFileSync(join(stateDir, 'pki', 'ca.pem'), 'utf8');
    const verified = await httpsGet(started.url, 2000, { ca: caPem });
    assert.equal(verified.status, 200);
    assert.equal((JSON.parse(verified.text) as HealthEndpointJson).status, 'running');
    assert.deepEqual(healthy.body, {
      status: 'running',
      nodes: [
        {
          name: 'node-1',
          member_status: { name: 'node-1', addr: '127.0.0.1', status: 'alive', tags: { publicip: '127.0.0.1', role: 'master' } },
          status: 'running',
          probes: [{ checker: 'web', status: 'running' }],
        },
      ],
    });

    await closeTcp(target);
    const degraded = await waitForValue(async () => {
      const answer = await get(started.url);
      return answer.status === 503 ? answer : undefined;
    }, 10_000, 'the endpoint to answer 503');
    assert.equal(degraded.body.status, 'degraded');
    assert.equal(degraded.body.nodes[0]?.status, 'degraded');
    const probe = degraded.body.nodes[0]?.probes[0];
    assert.equal(probe?.status, 'failed');
    assert.match(probe?.error ?? '', /connection refused/);

    const status = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(status.code, 5, status.stderr);
    assert.match(status.stdout, /Cluster status:\s+degraded/);
    assert.match(status.stdout, /\[×\]\s+web \(.*connection refused\)/);
    await waitFor(async () => /\[Probe Failed\]\s+node=node-1 checker=web/.test(await history(stateDir)), 10_000, 'Probe Failed in the history');
    assert.match(await history(stateDir), /\[Node Degraded\]\s+node=node-1/);

    target = await listenTcp(port);
    await waitFor(async () => (await get(started.url)).status === 200, 10_000, 'the endpoint to answer 200 again');
    const recovered = await history(stateDir);
    assert.match(recovered, /\[Probe Succeeded\]\s+node=node-1 checker=web/);
    assert.match(recovered, /\[Node Recovered\]\s+node=node-1/);
    const lines = recovered.trimEnd().split('\n');
    assert.ok(
      lines.findIndex((line) => line.includes('[Probe Failed]')) < lines.findIndex((line) => line.includes('[Node Degraded]')),
      `cause before effect:\n${recovered}`,
    );
    const ok = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(ok.code, 0, ok.stderr);
    await closeTcp(target);

    // The history outlives the agent: read from the store with the agent down.
    await stopAgent(agent);
    agent = undefined;
    assert.match(await history(stateDir), /\[Node Recovered\]/);
  });

  it('a failing status hook degrades the cluster with its reason; passing again recovers it; a hang is killed at its deadline', async () => {
    const flag = join(stateDir, 'app-healthy');
    const hang = join(stateDir, 'hang');
    writeFileSync(
      join(stateDir, 'app.yaml'),
      [
        'name: shop',
        'version: "1.0.0"',
        'hooks:',
        '  status:',
        '    job:',
        `      command: ["sh", "-c", "if [ -f ${hang} ]; then sleep 61; fi; test -f ${flag}"]`,
        '      activeDeadlineSeconds: 1',
        '',
      ].join('\n'),
    );
    writeFileSync(flag, '');
    const started = await startAgent(stateDir, [
      'cluster: { name: prod }',
      'node: { name: node-1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'app: ./app.yaml',
      'statusHook: { interval: 1s }',
    ]);
    agent = started.agent;
    await waitFor(async () => (await get(started.url)).status === 200, 15_000, 'the cluster to be running');

    unlinkSync(flag);
    await waitFor(async () => (await get(started.url)).status === 503, 10_000, 'the failing hook to degrade the cluster');
    const status = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(status.code, 5);
    assert.match(status.stdout, /Cluster status:\s+degraded \(application status check failed\)/);
    await waitFor(
      async () => /\[Cluster Degraded\]\s+reason="application status check failed"/.test(await history(stateDir)),
      10_000,
      'Cluster Degraded in the history',
    );

    writeFileSync(flag, '');
    await waitFor(async () => (await get(started.url)).status === 200, 10_000, 'the passing hook to recover the cluster');
    assert.match(await history(stateDir), /\[Cluster Recovered\]/);

    writeFileSync(hang, '');
    await waitFor(async () => (await get(started.url)).status === 503, 10_000, 'a hung hook to count as failed');
    const hungStatus = await runCli(['status', '--state-dir', stateDir, '--format', 'json']);
    assert.equal(hungStatus.code, 5);
    const log = logRecords(started.agent.stdout());
    assert.ok(log.some((record) => record.msg === 'cluster degraded'));
    assert.ok(running('sleep', '61').length <= 1, 'at most the current run hangs: earlier ones were killed');
    unlinkSync(hang);
    await waitFor(async () => (await get(started.url)).status === 200, 10_000, 'recovery after the hang');
    assert.ok(!existsSync(hang));
    await waitFor(() => running('sleep', '61').length === 0, 5000, 'every hung hook process (and its children) to be gone');
  });
});
