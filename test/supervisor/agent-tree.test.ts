// The agent's tree from its configuration: cluster, this node, the status hook when the app has one,
// and the probes under a worker-hosted supervisor, in the order health data needs them; this node's
// etcd member, when configured, right after the task pool.

import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { TaskPoolSlot } from '../../src/actors/task-pool-actor.ts';
import { agentTaskPoolInput, agentTaskPoolShutdownMs, agentTreeSpecInput, buildAgentTreeSpec } from '../../src/supervisor/agent-tree.ts';
import type { AgentTreeConfig } from '../../src/supervisor/agent-tree.ts';
import { validateSupervisorSpec } from '../../src/supervisor/spec.ts';
import { etcdShutdownMs } from '../../src/cluster/etcd-member.ts';

const config: AgentTreeConfig = {
  cluster: { name: 'prod' },
  node: { name: 'node-1', role: 'master', advertiseAddr: '127.0.0.1' },
  stateDir: '/var/lib/gravity',
  statusHookIntervalMs: 30_000,
  probes: [
    {
      name: 'web',
      checker: 'tcp',
      intervalMs: 1000,
      timeoutMs: 500,
      failuresBeforeFailed: 2,
      successesBeforeRunning: 1,
      severity: 'critical',
      config: { address: '127.0.0.1:8080' },
      source: { checker: 'tcp', name: 'web', address: '127.0.0.1:8080', interval: '1s' },
    },
  ],
  app: {
    path: '/etc/gravity/app.yaml',
    hooks: { status: { command: ['/bin/true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 } },
  },
};

describe('supervisor/agent-tree', () => {
  it('builds cluster, node, status hook and the worker-hosted probes, in that order', () => {
    const spec = buildAgentTreeSpec({ config });
    assert.equal(spec.strategy, 'one_for_one');
    assert.deepEqual(
      spec.children.map((child) => [child.id, child.type, child.thread]),
      [
        ['cluster', 'worker', 'main'],
        ['node:node-1', 'worker', 'main'],
        ['hook:status', 'worker', 'main'],
        ['probes', 'supervisor', 'worker'],
        ['operations', 'supervisor', 'main'],
      ],
    );
    const [cluster, node, hook, probes, operations] = spec.children;
    // Requests on operations are added as they come: it starts empty.
    assert.ok(operations?.type === 'supervisor');
    assert.deepEqual(operations.start.supervisor.children, []);
    assert.deepEqual(cluster?.start, { actor: 'cluster', input: { name: 'prod', nodes: ['node-1'], statusHook: true } });
    assert.deepEqual(node?.start, { actor: 'node', input: { name: 'node-1', role: 'master', expectedProbes: ['web'] } });
    assert.deepEqual(hook?.start, { actor: 'status-hook', input: { job: config.app!.hooks.status, intervalMs: 30_000 } });
    assert.ok(probes?.type === 'supervisor');
    const [web] = probes.start.supervisor.children;
    assert.equal(web?.id, 'probe:web');
    assert.deepEqual(web?.start, {
      actor: 'probe',
      input: {
        name: 'web',
        checker: 'tcp',
        severity: 'critical',
        intervalMs: 1000,
        timeoutMs: 500,
        failuresBeforeFailed: 2,
        successesBeforeRunning: 1,
        config: config.probes[0]!.source,
        stateDir: '/var/lib/gravity',
      },
    });
  });

  it('with a task pool slot: the tasks child comes first (it stops last), on the main thread, with its shutdown time', () => {
    const spec = buildAgentTreeSpec({ config, tasks: new TaskPoolSlot() });
    assert.deepEqual(
      spec.children.map((child) => child.id),
      ['tasks', 'cluster', 'node:node-1', 'hook:status', 'probes', 'operations'],
    );
    const [tasks] = spec.children;
    assert.ok(tasks !== undefined && tasks.type === 'worker');
    assert.deepEqual(
      { thread: tasks.thread, restart: tasks.restart, shutdown: tasks.shutdown },
      { thread: 'main', restart: 'permanent', shutdown: agentTaskPoolShutdownMs },
    );
    assert.ok('logic' in tasks.start);
    assert.deepEqual(tasks.start.input, agentTaskPoolInput);
    assert.ok(!buildAgentTreeSpec({ config }).children.some((child) => child.id === 'tasks'));
  });

  it('with an etcd member: the etcd child comes right after the task pool (it stops late), permanent, 10 s to stop', () => {
    const member = { binary: 'etcd', clientPort: 2379, peerPort: 2380, state: 'new' as const };
    const spec = buildAgentTreeSpec({ config: { ...config, etcd: { member } }, tasks: new TaskPoolSlot() });
    assert.deepEqual(
      spec.children.map((child) => child.id),
      ['tasks', 'etcd', 'cluster', 'node:node-1', 'hook:status', 'probes', 'operations'],
    );
    const etcd = spec.children[1];
    assert.ok(etcd !== undefined && etcd.type === 'worker');
    assert.deepEqual({ thread: etcd.thread, restart: etcd.restart, shutdown: etcd.shutdown }, { thread: 'main', restart: 'permanent', shutdown: etcdShutdownMs });
    assert.equal(etcdShutdownMs, 10_000);
    assert.ok('starter' in etcd.start && typeof etcd.start.starter === 'function');
    assert.equal(buildAgentTreeSpec({ config: { ...config, etcd: { member } } }).children[0]?.id, 'etcd');
    assert.ok(!buildAgentTreeSpec({ config }).children.some((child) => child.id === 'etcd'));
  });

  it('without an app status hook there is no hook:status child', () => {
    const spec = buildAgentTreeSpec({ config: { ...config, app: undefined } });
    assert.ok(!spec.children.some((child) => child.id === 'hook:status'));
  });

  it('without a config: a master named after the host, no probes; the input form is a valid spec', () => {
    assert.equal(buildAgentTreeSpec().children[1]?.id, `node:${hostname()}`);
    assert.deepEqual(validateSupervisorSpec(agentTreeSpecInput({ config })), []);
  });
});
