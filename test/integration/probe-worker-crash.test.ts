// The probes' worker thread dies (a sibling actor on it calls process.exit): the root supervisor
// restarts the probes subtree on a fresh thread, probing resumes, and the health endpoint answers
// every request throughout. In process, with the real agent, real worker threads and real HTTPS.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { healthExtension } from '../../src/health/health-extension.ts';
import { runAgent } from '../../src/supervisor/agent.ts';
import type { Agent } from '../../src/supervisor/agent.ts';
import { agentRootPath, agentTreeSpecInput } from '../../src/supervisor/agent-tree.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { httpsStatus } from '../helpers/https-get.ts';

describe('integration: the probes worker thread dies', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Agent | undefined;
  let target: Server;
  afterEach(async () => {
    await agent?.stop('test over');
    await new Promise<void>((resolve) => target.close(() => resolve()));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('is restarted by the root supervisor; probing resumes; the endpoint answers throughout', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-crash-'));
    target = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()));
    const address = target.address();
    assert.ok(address !== null && typeof address === 'object');
    const configPath = join(stateDir, 'gravity.yaml');
    writeFileSync(
      configPath,
      ['node: { name: n1 }', 'probes:', `  - { checker: tcp, name: web, address: "127.0.0.1:${address.port}", interval: 1s, timeout: 500ms }`, ''].join('\n'),
    );
    const config = loadConfig({ configPath, explicit: true, stateDirFlag: stateDir });
    const input = agentTreeSpecInput({ config });
    const probes = input.children.find((child) => child.id === 'probes');
    assert.ok(probes !== undefined && 'supervisor' in probes.start);
    probes.start.supervisor.children.push({
      id: 'thread-killer',
      start: {
        module: new URL('../fixtures/thread-killer.ts', import.meta.url).href,
        export: 'threadKiller',
        input: { marker: join(stateDir, 'killed'), afterMs: 1500 },
      },
    });

    let url = '';
    const records: InspectionRecord[] = [];
    agent = await runAgent({
      stateDir,
      spec: compileSupervisorSpec(input, agentRootPath),
      logger: pino({ level: 'silent' }),
      handleSignals: false,
      extensions: [healthExtension(config, { port: 0, onListening: (listening) => (url = listening) })],
    });
    agent.bus.subscribe((record) => records.push(record), { pathPrefix: 'agent' });
    await waitFor(async () => url !== '' && (await httpsStatus(url)) === 200, 15_000, 'the cluster to be running');

    // Ask the endpoint every 50 ms until the thread has died and probing has resumed.
    const answers: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        answers.push(await httpsStatus(url));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const restart = await waitForValue(
      () => records.find((record) => record.kind === 'supervisor' && record.path === 'agent' && record.child === 'probes' && record.action === 'restart'),
      15_000,
      'the root to restart the probes subtree',
    );
    assert.ok(restart.kind === 'supervisor');
    assert.match(restart.reason, /exited with code 9|worker/);
    await waitFor(
      () =>
        records.some(
          (record) => record.kind === 'snapshot' && record.path === 'agent/probes/probe:web' && record.time > restart.time && record.status === 'active',
        ),
      10_000,
      'the web probe to check again on the new thread',
    );
    await waitFor(async () => (await httpsStatus(url)) === 200, 10_000, 'the cluster to be running after the restart');
    polling = false;
    await poller;
    assert.ok(answers.length > 10, `the endpoint was asked ${answers.length} times`);
    assert.ok(answers.every((code) => code === 200 || code === 503), `every request was answered: ${answers.join(',')}`);
    // The probes on the new thread can report before the thread's start call has returned to the
    // root, so the root may still show the subtree as starting for a moment.
    const currentAgent = agent;
    const probesNode = await waitForValue(async () => {
      const tree = await currentAgent.root.describe();
      const node = tree.children?.find((child) => child.id === 'probes');
      return node?.state === 'running' ? node : undefined;
    }, 10_000, 'the root to show the probes subtree running again');
    assert.equal(probesNode.restarts, 1);
  });
});
