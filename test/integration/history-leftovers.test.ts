// A real agent started again with another configuration closes what the earlier one left open in the
// status history: a failed probe that is gone gets `Probe Removed`, a renamed node's failed probes
// and its degraded state get `Probe Removed` and `Node Removed`; `gravity status history` shows them,
// once.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawned } from '../cli/run-cli.ts';
import { cliMain, killAgent, runCli, spawnTs, waitForAgent } from '../cli/run-cli.ts';
import { closeTcp, listenTcp } from '../helpers/tcp-target.ts';
import { waitFor } from '../helpers/wait.ts';

describe('integration: history left open by an earlier configuration (real agent, started three times)', function () {
  this.timeout(120_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  let closedPort: number;

  before(async () => {
    // A port nothing listens on: the probes on it fail with "connection refused".
    const server = await listenTcp();
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    closedPort = address.port;
    await closeTcp(server);
  });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-leftovers-'));
  });
  afterEach(async () => {
    await killAgent(agent);
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function start(node: string, probes: string[]): Promise<void> {
    const config = join(stateDir, 'gravity.yaml');
    writeFileSync(
      config,
      [
        'cluster: { name: prod }',
        `node: { name: ${node}, role: master, advertiseAddr: 127.0.0.1 }`,
        'health: { listen: "127.0.0.1:0" }',
        'panel: { enabled: false }',
        'probes:',
        ...probes.map((name) => `  - { checker: tcp, name: ${name}, address: "127.0.0.1:${closedPort}", interval: 1s, timeout: 500ms }`),
        '',
      ].join('\n'),
    );
    agent = spawnTs(cliMain, ['start', '--state-dir', stateDir, '--config', config]);
    await waitForAgent(stateDir, agent);
  }

  async function stop(): Promise<void> {
    assert.ok(agent !== undefined);
    agent.child.kill('SIGTERM');
    const finished = await agent.finished;
    assert.equal(finished.code, 0, finished.stderr);
  }

  async function history(): Promise<string[]> {
    const result = await runCli(['status', 'history', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trimEnd().split('\n');
  }

  const count = (lines: string[], pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;

  it('a removed probe, then a renamed node: each closed once, after what it closes', async () => {
    await start('node-1', ['web', 'db']);
    await waitFor(async () => {
      const lines = await history();
      return count(lines, /\[Probe Failed\]\s+node=node-1 checker=db /) === 1 && count(lines, /\[Node Degraded\]\s+node=node-1$/) === 1;
    }, 20_000, 'db failed and node-1 degraded in the history');
    await stop();

    // The same node without the db probe.
    await start('node-1', ['web']);
    const second = await history();
    assert.equal(count(second, /\[Probe Removed\]\s+node=node-1 checker=db$/), 1, second.join('\n'));
    assert.equal(count(second, /\[Probe Removed\]/), 1, `only db is removed:\n${second.join('\n')}`);
    assert.equal(count(second, /\[Node Removed\]/), 0, second.join('\n'));
    const failedAt = second.findIndex((line) => /\[Probe Failed\]\s+node=node-1 checker=db /.test(line));
    const removedAt = second.findIndex((line) => line.includes('[Probe Removed]'));
    assert.ok(failedAt >= 0 && failedAt < removedAt, second.join('\n'));
    await waitFor(async () => count(await history(), /\[Probe Failed\]\s+node=node-1 checker=web /) === 2, 20_000, 'web to fail again under the second configuration');
    await stop();

    // The node renamed: node-1's failed web probe and its degraded state are closed; db is not closed twice.
    await start('node-2', ['web']);
    const third = await history();
    assert.equal(count(third, /\[Probe Removed\]\s+node=node-1 checker=web$/), 1, third.join('\n'));
    assert.equal(count(third, /\[Node Removed\]\s+node=node-1$/), 1, third.join('\n'));
    assert.equal(count(third, /\[Probe Removed\]\s+node=node-1 checker=db$/), 1, `db was closed already:\n${third.join('\n')}`);
    assert.equal(count(third, /\[(Probe|Node) Removed\]\s+node=node-2/), 0, third.join('\n'));
    await stop();

    // A restart with the same configuration closes nothing more.
    await start('node-2', ['web']);
    const fourth = await history();
    assert.equal(count(fourth, /\[(Probe|Node) Removed\]/), 3, fourth.join('\n'));
    await stop();
  });
});
