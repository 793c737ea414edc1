// The agent's Prometheus metrics: values follow the health snapshot, transitions and restarts are
// counted, the text is valid exposition format, and `promtool check metrics` accepts it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHealthMetrics, transitionKindOf, transitionKinds } from '../../src/health/metrics.ts';
import type { ClusterReport } from '../../src/health/types.ts';

function report(overrides: { docker?: 'running' | 'failed'; checkedAt?: number; withLoad?: boolean } = {}): ClusterReport {
  const docker = overrides.docker ?? 'running';
  return {
    name: 'prod',
    status: docker === 'running' ? 'running' : 'degraded',
    nodes: [
      {
        name: 'node-1',
        addr: '10.0.0.5',
        role: 'master',
        member: 'alive',
        status: docker === 'running' ? 'running' : 'degraded',
        probes: [
          {
            name: 'docker',
            checker: 'docker',
            status: docker,
            severity: 'critical',
            ...(overrides.checkedAt === undefined ? {} : { checkedAt: overrides.checkedAt, durationMs: 42 }),
          },
          { name: 'web', checker: 'tcp', status: 'unknown', severity: 'critical' },
          ...(overrides.withLoad === false ? [] : [{ name: 'load', checker: 'load', status: 'running' as const, severity: 'warning' as const }]),
        ],
      },
      { name: 'node-2', addr: '10.0.0.6', role: 'node', member: 'alive', status: 'unknown', probes: [] },
    ],
    time: 0,
  };
}

/** Sample lines as `name{labels}` → value; throws on a line that is not exposition format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/, line);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)(?: \d+)?$/.exec(line);
    assert.ok(match !== null, `not a sample line: ${line}`);
    samples.set(match[1] ?? '', Number(match[2]));
  }
  return samples;
}

function promtool(text: string): Promise<{ code: number | null; output: string } | undefined> {
  return new Promise((resolve) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve(undefined);
      else resolve({ code: -1, output: error.message });
    });
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe('health/metrics', () => {
  it('sets probe, node and cluster status from the snapshot', async () => {
    const metrics = createHealthMetrics({ defaultMetrics: false });
    assert.equal(parseExposition(await metrics.metrics()).get('gravity_cluster_status'), -1, 'unknown before the first snapshot');
    metrics.updateFromReport(report({ docker: 'failed' }));
    const samples = parseExposition(await metrics.metrics());
    assert.equal(samples.get('gravity_probe_status{node="node-1",probe="docker",checker="docker"}'), 0);
    assert.equal(samples.get('gravity_probe_status{node="node-1",probe="web",checker="tcp"}'), -1);
    assert.equal(samples.get('gravity_probe_status{node="node-1",probe="load",checker="load"}'), 1);
    assert.equal(samples.get('gravity_node_status{node="node-1"}'), 0);
    assert.equal(samples.get('gravity_node_status{node="node-2"}'), -1);
    assert.equal(samples.get('gravity_cluster_status'), 0);

    metrics.updateFromReport(report({ docker: 'running', withLoad: false }));
    const after = parseExposition(await metrics.metrics());
    assert.equal(after.get('gravity_probe_status{node="node-1",probe="docker",checker="docker"}'), 1);
    assert.equal(after.get('gravity_probe_status{node="node-1",probe="load",checker="load"}'), undefined, 'a removed probe disappears');
    assert.equal(after.get('gravity_cluster_status'), 1);
  });

  it('observes each completed check once', async () => {
    const metrics = createHealthMetrics({ defaultMetrics: false });
    metrics.updateFromReport(report({ checkedAt: 1000 }));
    metrics.updateFromReport(report({ checkedAt: 1000 }));
    const count = 'gravity_probe_check_duration_seconds_count{node="node-1",probe="docker",checker="docker"}';
    assert.equal(parseExposition(await metrics.metrics()).get(count), 1);
    metrics.updateFromReport(report({ checkedAt: 2000 }));
    const samples = parseExposition(await metrics.metrics());
    assert.equal(samples.get(count), 2);
    assert.equal(samples.get('gravity_probe_check_duration_seconds_sum{node="node-1",probe="docker",checker="docker"}'), 0.084);
    assert.equal(samples.get('gravity_probe_check_duration_seconds_bucket{le="0.05",node="node-1",probe="docker",checker="docker"}'), 2);
  });

  it('counts transitions (every kind present from the start) and supervisor restarts', async () => {
    const metrics = createHealthMetrics({ defaultMetrics: false });
    let samples = parseExposition(await metrics.metrics());
    for (const kind of transitionKinds) assert.equal(samples.get(`gravity_status_transitions_total{kind="${kind}"}`), 0, kind);
    metrics.recordTransition(transitionKindOf('Probe Failed'));
    metrics.recordTransition(transitionKindOf('Probe Failed'));
    metrics.recordTransition('node_degraded');
    metrics.recordRestart('agent/probes', 'probe:web');
    samples = parseExposition(await metrics.metrics());
    assert.equal(samples.get('gravity_status_transitions_total{kind="probe_failed"}'), 2);
    assert.equal(samples.get('gravity_status_transitions_total{kind="node_degraded"}'), 1);
    assert.equal(samples.get('gravity_supervisor_restarts_total{supervisor="agent/probes",child="probe:web"}'), 1);
  });

  it('includes the default process metrics, and `promtool check metrics` accepts the text', async function () {
    const metrics = createHealthMetrics();
    metrics.updateFromReport(report({ docker: 'failed', checkedAt: 1 }));
    metrics.recordTransition('probe_failed');
    metrics.recordRestart('agent', 'node:node-1');
    const text = await metrics.metrics();
    const samples = parseExposition(text);
    assert.ok(samples.has('process_cpu_seconds_total'));
    assert.ok([...samples.keys()].some((name) => name.startsWith('nodejs_active_handles')));
    assert.ok(!samples.has('nodejs_active_handles_total'), 'a gauge named like a counter is left out');
    assert.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const checked = await promtool(text);
    if (checked === undefined) {
      console.log('    (promtool not installed (Debian package prometheus): skipping promtool check metrics)');
      this.skip();
    }
    assert.equal(checked.code, 0, checked.output);
  });
});
