// A real agent runs this node's etcd member (the real etcd server): once the agent runs, the member
// answers a client with the state dir's cluster certificates over mutual TLS, and the tree shows the
// etcd child running; killed with SIGKILL, the member is restarted by the supervisor with its data
// kept; when the agent stops, no etcd process of its data dir is left.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { TreeView } from '../../src/cli/format-tree.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { killAgent, runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { etcdBinary } from '../helpers/etcd-server.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

/** A port free on 127.0.0.1 now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The pids of living etcd processes whose command line names this data dir. */
function etcdPids(dataDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const state = /\) (\S)/.exec(readFileSync(`/proc/${name}/stat`, 'utf8'))?.[1];
      if (argv.includes(`--data-dir=${dataDir}`) && state !== 'Z') pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('integration: the agent runs its etcd member (real etcd)', function () {
  this.timeout(120_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  let client: Etcd3 | undefined;

  before(function () {
    if (!existsSync(etcdBinary)) this.skip();
  });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-etcd-member-'));
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await killAgent(agent);
    agent = undefined;
    for (const pid of etcdPids(join(stateDir, 'etcd'))) process.kill(pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function etcdNodeState(): Promise<string | undefined> {
    const result = await runCli(['debug', 'tree', '--state-dir', stateDir, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const view = JSON.parse(result.stdout) as TreeView;
    return view.root.children?.find((node) => node.id === 'etcd')?.state;
  }

  /** The agent's config lines with a member on free ports. */
  async function memberConfig(): Promise<{ lines: string[]; clientPort: number }> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const lines = [
      'cluster: { name: c }',
      'node: { name: n1, advertiseAddr: 127.0.0.1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'probes: []',
      `etcd: { member: { binary: ${etcdBinary}, clientPort: ${clientPort}, peerPort: ${peerPort} } }`,
    ];
    return { lines, clientPort };
  }

  /** A client with the state dir's cluster certificates. */
  function tlsClient(clientPort: number): Etcd3 {
    const pki = join(stateDir, 'pki');
    return new Etcd3({
      hosts: [`https://127.0.0.1:${clientPort}`],
      credentials: {
        rootCertificate: readFileSync(join(pki, 'ca.pem')),
        certChain: readFileSync(join(pki, 'node.pem')),
        privateKey: readFileSync(join(pki, 'node-key.pem')),
      },
    });
  }

  it('answers a TLS client, is restarted with its data after SIGKILL, and is gone when the agent stops', async () => {
    const { lines, clientPort } = await memberConfig();
    agent = await startConfiguredAgent(stateDir, lines);
    const dataDir = join(stateDir, 'etcd');
    client = tlsClient(clientPort);
    // The agent runs only once its member answered: no wait here.
    await client.put('greeting').value('hello');
    assert.equal(await client.get('greeting').string(), 'hello');
    assert.equal(await etcdNodeState(), 'running');
    const shown = await runCli(['debug', 'tree', '--state-dir', stateDir]);
    const etcdLine = shown.stdout.split('\n').find((line) => /\betcd\b/.test(line));
    assert.match(etcdLine ?? '', /running/, shown.stdout);

    const [first, ...others] = etcdPids(dataDir);
    assert.ok(first !== undefined && others.length === 0, `one etcd process, got ${String(first)} ${others.join(' ')}`);
    process.kill(first, 'SIGKILL');
    const second = await waitForValue(() => etcdPids(dataDir).find((pid) => pid !== first), 30_000, 'the restarted etcd process');
    await waitFor(async () => (await etcdNodeState()) === 'running', 30_000, 'the etcd child to run again', 100);
    assert.equal(await client.get('greeting').string(), 'hello');
    assert.deepEqual(etcdPids(dataDir), [second]);

    agent.child.kill('SIGTERM');
    const finished = await agent.finished;
    assert.equal(finished.code, 0, finished.stdout + finished.stderr);
    assert.deepEqual(etcdPids(dataDir), []);
    agent = undefined;
  });

  it('a member left running by a killed agent is ended by the next agent, which runs its own on the same data', async () => {
    const { lines, clientPort } = await memberConfig();
    agent = await startConfiguredAgent(stateDir, lines);
    const dataDir = join(stateDir, 'etcd');
    client = tlsClient(clientPort);
    await client.put('kept').value('yes');
    const [orphan] = etcdPids(dataDir);
    assert.ok(orphan !== undefined);
    await killAgent(agent);
    agent = undefined;
    assert.deepEqual(etcdPids(dataDir), [orphan], 'the member outlives an agent killed with SIGKILL');

    agent = await startConfiguredAgent(stateDir, lines);
    const pids = etcdPids(dataDir);
    assert.equal(pids.length, 1);
    assert.notEqual(pids[0], orphan);
    assert.equal(await client.get('kept').string(), 'yes');
    assert.match(agent.stdout(), /ended the etcd member an earlier agent left running/);
  });
});
