// `gravity status` and `gravity status history` as real processes. With the agent down, the history
// is read from a store the test prepares in the state dir (filters, empty history, a damaged file);
// with an agent up (a control server in this process standing in for it), both commands ask it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryResult, SystemFactsResult } from '../../src/api/control-protocol.ts';
import type { ControlHandlers, ControlServer } from '../../src/api/control-server.ts';
import { startControlServer } from '../../src/api/control-server.ts';
import { formatHistoryLine } from '../../src/cli/format-history.ts';
import { ExitCode, GravityError } from '../../src/errors.ts';
import type { ClusterReport } from '../../src/health/types.ts';
import { openSqliteStore, storePath } from '../../src/store/sqlite.ts';
import type { HistoryEvent, HistoryQuery } from '../../src/store/types.ts';
import { gravityVersion } from '../../src/version.ts';
import { runCli } from './run-cli.ts';

const stackLine = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
const minute = 60_000;

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe('gravity status (real process)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let server: ControlServer | undefined;
  const now = Date.now();
  const events: HistoryEvent[] = [
    { id: 'e1', time: now - 180 * minute, type: 'Probe Failed', node: 'node-1', checker: 'web', detail: 'dial tcp 127.0.0.1:8080: connect: connection refused' },
    { id: 'e2', time: now - 179 * minute, type: 'Node Degraded', node: 'node-1' },
    { id: 'e3', time: now - 90 * minute, type: 'Probe Failed', node: 'node-2', checker: 'disk-space' },
    { id: 'e4', time: now - 20 * minute, type: 'Probe Succeeded', node: 'node-1', checker: 'web' },
    { id: 'e5', time: now - 20 * minute + 1, type: 'Node Recovered', node: 'node-1' },
    { id: 'e6', time: now - 10 * minute, type: 'Node Degraded', node: 'node-2' },
  ];

  async function prepareStore(stored: readonly HistoryEvent[]): Promise<void> {
    const store = openSqliteStore(stateDir);
    try {
      await store.history.append(stored);
    } finally {
      await store.close();
    }
  }

  async function serve(handlers: Partial<ControlHandlers>): Promise<void> {
    server = await startControlServer({
      socketPath: join(stateDir, 'agent.sock'),
      handlers: {
        ping: () => ({ pid: process.pid, version: '9.9.9', state: 'running', stateDir, startedAt: now }),
        tree: () => {
          throw new Error('not used here');
        },
        ...handlers,
      },
    });
  }

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-status-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('status history, agent down (read from the store)', () => {
    it('prints every event, oldest first, one line each', async () => {
      await prepareStore([...events].reverse());
      const result = await runCli(['status', 'history', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.deepEqual(lines(result.stdout), events.map(formatHistoryLine));
      assert.match(result.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[Node Degraded\] {5}node=node-1$/m);
    });

    it('--since and --node filter, alone and together; --format json gives the events', async () => {
      await prepareStore(events);
      const since = await runCli(['status', 'history', '--since', '1h', '--state-dir', stateDir]);
      assert.equal(since.code, 0, since.stderr);
      assert.deepEqual(lines(since.stdout), [events[3], events[4], events[5]].map((item) => formatHistoryLine(item as HistoryEvent)));

      const node = await runCli(['--state-dir', stateDir, 'status', 'history', '--node', 'node-2']);
      assert.equal(node.code, 0, node.stderr);
      assert.deepEqual(lines(node.stdout), [events[2], events[5]].map((item) => formatHistoryLine(item as HistoryEvent)));

      const both = await runCli(['status', 'history', '--node', 'node-1', '--since', '2h30m', '--format', 'json', '--state-dir', stateDir]);
      assert.equal(both.code, 0, both.stderr);
      assert.deepEqual(JSON.parse(both.stdout), [events[3], events[4]]);
    });

    it('an empty history, and a state dir where no agent ever ran, say there is nothing to show', async () => {
      await prepareStore([]);
      const empty = await runCli(['status', 'history', '--state-dir', stateDir]);
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.stdout, 'No status history available to display.\n');

      const never = await runCli(['status', 'history', '--state-dir', join(stateDir, 'never-used')]);
      assert.equal(never.code, 0, never.stderr);
      assert.equal(never.stdout, 'No status history available to display.\n');

      await prepareStore(events);
      const filtered = await runCli(['status', 'history', '--node', 'node-9', '--state-dir', stateDir]);
      assert.equal(filtered.stdout, 'No status history available to display.\n');
      const json = await runCli(['status', 'history', '--node', 'node-9', '--format', 'json', '--state-dir', stateDir]);
      assert.equal(json.stdout, '[]\n');
    });

    it('a bad --since is a one-line usage error, exit 2, nothing on stdout', async () => {
      for (const bad of ['soon', '5', '-1h', '']) {
        const result = await runCli(['status', 'history', '--since', bad, '--state-dir', stateDir]);
        assert.equal(result.code, ExitCode.usage, `${bad}: ${result.stderr}`);
        assert.equal(result.stdout, '');
        const [first] = lines(result.stderr);
        assert.equal(first, `error: option '--since <duration>' argument '${bad}' is invalid. expected a duration such as 90s, 30m, 2h or 7d`);
        assert.doesNotMatch(result.stderr, stackLine);
      }
    });

    it('a damaged store: the E_STORE error naming the file, with a hint, exit 2', async () => {
      writeFileSync(storePath(stateDir), 'garbage, not SQLite\n'.repeat(100));
      const result = await runCli(['status', 'history', '--state-dir', stateDir]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      const [first, hint] = lines(result.stderr);
      assert.equal(first, `error: ${storePath(stateDir)} is not a usable SQLite database (file is not a database)`);
      assert.match(hint ?? '', /^hint: .*move the file aside/);
      assert.doesNotMatch(result.stderr, stackLine);
    });
  });

  describe('status history, agent up', () => {
    it('asks the agent, passing the filters, rather than reading the store', async () => {
      await prepareStore([events[0] as HistoryEvent]);
      const asked: HistoryQuery[] = [];
      const fromAgent: HistoryEvent[] = [{ id: 'a1', time: now - minute, type: 'Cluster Degraded', detail: 'application status check failed' }];
      await serve({
        history: (query): HistoryResult => {
          asked.push(query);
          return { events: fromAgent };
        },
      });
      const result = await runCli(['status', 'history', '--since', '30m', '--node', 'node-1', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(lines(result.stdout), fromAgent.map(formatHistoryLine));
      assert.equal(asked.length, 1);
      const [query] = asked;
      assert.equal(query?.node, 'node-1');
      assert.ok(query?.since !== undefined && Math.abs(query.since - (Date.now() - 30 * minute)) < 30_000, `since ${String(query?.since)}`);
    });
  });

  describe('status', () => {
    const healthy: ClusterReport = {
      name: 'prod',
      status: 'running',
      nodes: [
        {
          name: 'node-1',
          addr: '127.0.0.1',
          role: 'master',
          member: 'alive',
          status: 'running',
          probes: [{ name: 'web', checker: 'tcp', status: 'running', severity: 'critical' }],
        },
      ],
      time: now,
    };
    const degraded: ClusterReport = {
      ...healthy,
      status: 'degraded',
      nodes: [
        {
          ...(healthy.nodes[0] as ClusterReport['nodes'][number]),
          status: 'degraded',
          probes: [{ name: 'web', checker: 'tcp', status: 'failed', severity: 'critical', error: 'dial tcp 127.0.0.1:8080: connect: connection refused' }],
        },
      ],
    };

    it('with no agent: the one-line not-running error, exit 3', async () => {
      const result = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(result.code, ExitCode.agentState);
      assert.equal(result.stdout, '');
      assert.equal(lines(result.stderr)[0], `error: no agent is running for state dir ${stateDir}: start it with 'gravity start'`);
      assert.doesNotMatch(result.stderr, stackLine);
    });

    it('a healthy cluster: the status with both versions, exit 0', async () => {
      await serve({ status: () => healthy });
      const result = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.deepEqual(lines(result.stdout), [
        'Cluster name:     prod',
        'Cluster status:   active',
        `Gravity version:  ${gravityVersion()} (client) / 9.9.9 (server)`,
        'Cluster nodes:',
        '    Masters:',
        '        * node-1 / 127.0.0.1',
        '            Status:  healthy',
      ]);
    });

    it('a degraded cluster: the failed probe marked [×], the reason on stderr, exit 5', async () => {
      await serve({ status: () => degraded });
      const result = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(result.code, ExitCode.clusterDegraded, result.stderr);
      assert.match(result.stdout, /^Cluster status: {3}degraded \(one or more of cluster nodes are not healthy\)$/m);
      assert.match(result.stdout, /^ {12}\[×\] {6}web \(dial tcp 127\.0\.0\.1:8080: connect: connection refused\)$/m);
      assert.equal(lines(result.stderr)[0], 'error: the cluster is degraded: one or more of cluster nodes are not healthy');
      assert.doesNotMatch(result.stderr, stackLine);
    });

    const system: SystemFactsResult = {
      cpu: { count: 4, model: 'Intel Xeon' },
      memory: { total: 16 * 1024 ** 3, available: 12.5 * 1024 ** 3 },
      os: { distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0-18-amd64' },
      disks: [{ mount: '/', fs: '/dev/vda1', type: 'ext4', size: 100 * 1024 ** 3, used: 25 * 1024 ** 3, available: 70 * 1024 ** 3 }],
      disksTruncated: false,
      readAt: now,
    };

    it("with the agent's system facts: the System section after the nodes, and system in --format json", async () => {
      await serve({ status: () => healthy, system: () => system });
      const text = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stderr, '');
      assert.deepEqual(lines(text.stdout).slice(-7), [
        '            Status:  healthy',
        'System:',
        '    CPU:     4 × Intel Xeon',
        '    Memory:  12.5 GiB available of 16.0 GiB',
        '    OS:      Debian GNU/Linux 12 (kernel 6.1.0-18-amd64)',
        '    Disks:',
        '        /  100.0 GiB  25.0 GiB used  70.0 GiB available',
      ]);
      const json = await runCli(['status', '--format', 'json', '--state-dir', stateDir]);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), { ...healthy, system });
    });

    it('system facts the agent could not read: the status without the section, a warning on stderr, exit 0', async () => {
      await serve({ status: () => healthy, system: () => Promise.reject(new GravityError('E_TASK_TIMEOUT', 'task "system-facts" overran its deadline of 5000 ms')) });
      const result = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout, /^System:/m);
      assert.equal(lines(result.stderr)[0], 'warning: no system facts from the agent: task "system-facts" overran its deadline of 5000 ms');
    });

    it('--format json prints the ClusterReport (and still exits 5 while degraded)', async () => {
      await serve({ status: () => degraded });
      const result = await runCli(['status', '--format', 'json', '--state-dir', stateDir]);
      assert.equal(result.code, ExitCode.clusterDegraded);
      assert.deepEqual(JSON.parse(result.stdout), degraded);
    });
  });
});
