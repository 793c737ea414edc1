import { strict as assert } from 'node:assert';
import { HealthModel } from '../../src/health/model.ts';
import type { HealthTransition } from '../../src/health/model.ts';
import { toHistoryEvents } from '../../src/health/timeline.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import type { HealthSignal } from '../../src/health/types.ts';
import { degradedReason } from '../../src/machines/cluster.ts';
import type { ClusterNodeStatus, StatusHookState } from '../../src/machines/cluster.ts';

const model = (): HealthModel =>
  new HealthModel({
    clusterName: 'prod',
    node: { name: 'n1', role: 'master', addr: '10.0.0.1' },
    probes: [
      { name: 'web', checker: 'tcp', severity: 'critical' },
      { name: 'disk', checker: 'disk-space', severity: 'warning' },
    ],
  });

/** A snapshot record as a health actor's host publishes it: with its typed health signal. */
const snapshot = (path: string, health?: HealthSignal): InspectionRecord => ({
  kind: 'snapshot',
  path,
  time: 0,
  status: 'active',
  value: null,
  ...(health === undefined ? {} : { health }),
});
const probe = (name: string, status: 'unknown' | 'running' | 'failed', error?: string, node?: string): InspectionRecord =>
  snapshot(`agent/probes/probe:${name}`, {
    kind: 'probe',
    ...(node === undefined ? {} : { node }),
    probe: name,
    report: { status, ...(status === 'failed' && error !== undefined ? { error } : {}), checkedAt: 5, durationMs: 2 },
  });
const node = (name: string, status: 'starting' | 'running' | 'degraded' | 'stopped'): InspectionRecord =>
  snapshot(`agent/node:${name}`, { kind: 'node', node: name, status });
const cluster = (status: 'running' | 'degraded', nodes: Record<string, ClusterNodeStatus>, statusHook: StatusHookState = 'none'): InspectionRecord => {
  const context = { name: 'prod', nodes, statusHook, statusHookMessage: undefined };
  const reason = status === 'degraded' ? degradedReason(context) : undefined;
  return snapshot('agent/cluster', {
    kind: 'cluster',
    cluster: 'prod',
    status,
    ...(reason === undefined ? {} : { reason }),
    awaitingNodes: Object.values(nodes).includes('unknown'),
  });
};

describe('health/model', () => {
  it('starts with every probe unknown and the cluster degraded (starting)', () => {
    const report = model().report(1);
    assert.equal(report.status, 'degraded');
    assert.deepEqual(
      report.nodes[0]?.probes.map((p) => [p.name, p.status]),
      [
        ['web', 'unknown'],
        ['disk', 'unknown'],
      ],
    );
  });

  it('follows probe, node and cluster snapshots, and reports each transition once', () => {
    const m = model();
    const all: HealthTransition[] = [];
    const feed = (record: InspectionRecord): void => void all.push(...m.apply(record));
    feed(probe('web', 'running'));
    feed(probe('web', 'running'));
    feed(probe('web', 'failed', 'dial tcp 127.0.0.1:8080: connection refused'));
    feed(probe('web', 'failed', 'another error text'));
    feed(node('n1', 'degraded'));
    feed(cluster('degraded', { n1: 'degraded' }));
    assert.deepEqual(
      all.map((t) => `${t.kind}:${'to' in t ? t.to : t.result}`),
      ['probe:running', 'probe:failed', 'node:degraded', 'cluster:degraded'],
    );
    const report = m.report(2);
    assert.equal(report.reason, 'one or more of cluster nodes are not healthy');
    assert.equal(report.nodes[0]?.status, 'degraded');
    assert.deepEqual(report.nodes[0]?.probes[0], {
      name: 'web',
      checker: 'tcp',
      status: 'failed',
      severity: 'critical',
      error: 'another error text',
      checkedAt: 5,
      durationMs: 2,
    });
  });

  it('a cluster still waiting for its nodes is degraded (starting) without a transition; a healthy first verdict adds none', () => {
    const m = model();
    assert.deepEqual(m.apply(cluster('degraded', { n1: 'unknown' })), []);
    assert.match(m.report(0).reason ?? '', /^starting/);
    assert.deepEqual(m.apply(cluster('running', { n1: 'running' })), []);
    assert.equal(m.report(0).status, 'running');
    assert.equal(m.apply(cluster('degraded', { n1: 'degraded' })).length, 1);
  });

  it('ignores records without a health signal (other actors, nested actors below a probe) and unknown probes', () => {
    const m = model();
    assert.deepEqual(m.apply(snapshot('agent/probes/probe:web/x:0')), []);
    assert.deepEqual(m.apply(probe('nope', 'failed')), []);
    assert.deepEqual(m.apply({ kind: 'event', path: 'agent/cluster', time: 0, event: { type: 'X' } }), []);
  });

  it('reports the status hook result once per run', () => {
    const m = model();
    const hook = (runs: number, result: 'passed' | 'failed'): InspectionRecord =>
      snapshot('agent/hook:status', { kind: 'status-hook', runs, result, message: 'exit code 1' });
    assert.equal(m.apply(hook(1, 'failed')).length, 1);
    assert.equal(m.apply(hook(1, 'failed')).length, 0);
    assert.equal(m.apply(hook(2, 'passed')).length, 1);
  });
});

describe('health/model: several nodes', () => {
  const twoNodes = (): HealthModel =>
    new HealthModel({
      clusterName: 'prod',
      node: { name: 'n1', role: 'master', addr: '10.0.0.1' },
      probes: [{ name: 'web', checker: 'tcp', severity: 'critical' }],
      peers: [{ name: 'n2', role: 'node', addr: '10.0.0.2', probes: [{ name: 'web', checker: 'tcp', severity: 'critical' }] }],
    });

  it("keys probes and node statuses by node name: each node's events change only its entry", () => {
    const m = twoNodes();
    const all: HealthTransition[] = [];
    const feed = (record: InspectionRecord): void => void all.push(...m.apply(record));
    feed(probe('web', 'running'));
    feed(probe('web', 'failed', 'refused', 'n2'));
    feed(node('n1', 'running'));
    feed(node('n2', 'degraded'));
    assert.deepEqual(
      all.map((t) => `${t.kind}:${'node' in t ? (t.node ?? '') : ''}:${'to' in t ? t.to : ''}`),
      ['probe:n1:running', 'probe:n2:failed', 'node:n1:running', 'node:n2:degraded'],
    );
    const report = m.report(0);
    assert.deepEqual(
      report.nodes.map((n) => [n.name, n.addr, n.role, n.status, n.probes.map((p) => `${p.name}=${p.status}${p.error === undefined ? '' : `(${p.error})`}`)]),
      [
        ['n1', '10.0.0.1', 'master', 'running', ['web=running']],
        ['n2', '10.0.0.2', 'node', 'degraded', ['web=failed(refused)']],
      ],
    );
    assert.equal(m.probe('web', 'n2')?.status, 'failed');
    assert.equal(m.probe('web')?.status, 'running');
    assert.deepEqual(m.nodeNames(), ['n1', 'n2']);
  });

  it("ignores a node it does not know; history events name each transition's node", () => {
    const m = twoNodes();
    assert.deepEqual(m.apply(node('n9', 'degraded')), []);
    assert.deepEqual(m.apply(probe('web', 'failed', 'x', 'n9')), []);
    const events = toHistoryEvents([...m.apply(probe('web', 'failed', 'refused', 'n2')), ...m.apply(node('n2', 'degraded'))], 'n1', 0);
    assert.deepEqual(
      events.map((e) => [e.type, e.node]),
      [
        ['Probe Failed', 'n2'],
        ['Node Degraded', 'n2'],
      ],
    );
  });
});

describe('health/timeline', () => {
  it('records failures, recoveries and node/cluster changes, not first successes', () => {
    const events = toHistoryEvents(
      [
        { kind: 'probe', probe: 'web', checker: 'tcp', severity: 'critical', from: 'unknown', to: 'running' },
        { kind: 'probe', probe: 'web', checker: 'tcp', severity: 'critical', from: 'running', to: 'failed', error: 'refused' },
        { kind: 'node', from: 'running', to: 'degraded' },
        { kind: 'cluster', from: 'running', to: 'degraded', reason: 'application status check failed' },
        { kind: 'probe', probe: 'web', checker: 'tcp', severity: 'critical', from: 'failed', to: 'running' },
        { kind: 'node', from: 'degraded', to: 'running' },
        { kind: 'cluster', from: 'degraded', to: 'running' },
      ],
      'n1',
      1000,
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.node ?? '', e.checker ?? '', e.detail ?? '']),
      [
        ['Probe Failed', 'n1', 'web', 'refused'],
        ['Node Degraded', 'n1', '', ''],
        ['Cluster Degraded', '', '', 'application status check failed'],
        ['Probe Succeeded', 'n1', 'web', ''],
        ['Node Recovered', 'n1', '', ''],
        ['Cluster Recovered', '', '', ''],
      ],
    );
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
  });
});
