// The STATUS= line that `systemctl status` shows, from the agent's health report.

import assert from 'node:assert/strict';
import type { ClusterReport, ProbeReport } from '../../src/health/types.ts';
import { clusterStatusLine } from '../../src/system/status-line.ts';

const probe = (name: string, status: ProbeReport['status'], extra: Partial<ProbeReport> = {}): ProbeReport => ({
  name,
  checker: name,
  status,
  severity: 'critical',
  ...extra,
});

function report(status: ClusterReport['status'], probes: ProbeReport[], reason?: string): ClusterReport {
  return {
    name: 'prod',
    status,
    ...(reason === undefined ? {} : { reason }),
    nodes: [{ name: 'node-1', addr: '10.0.0.5', role: 'master', member: 'alive', status: status === 'running' ? 'running' : 'degraded', probes }],
    time: 0,
  };
}

describe('system/status-line', () => {
  it('says the cluster runs, with what it counts', () => {
    assert.equal(clusterStatusLine(report('running', [probe('disk', 'running'), probe('web', 'running')])), 'cluster running: 1 node, 2 probes passing');
    assert.equal(clusterStatusLine(report('running', [])), 'cluster running: 1 node, 0 probes passing');
  });

  it('names a failed warning probe without calling the cluster degraded', () => {
    const line = clusterStatusLine(report('running', [probe('load', 'failed', { severity: 'warning', error: 'load 9.1 > 8' }), probe('web', 'running')]));
    assert.equal(line, 'cluster running: 1 node, 1 of 2 probes passing (warning: probe load failed on node-1: load 9.1 > 8)');
  });

  it('names the first failed critical probe with its error, and how many more failed', () => {
    const line = clusterStatusLine(
      report('degraded', [probe('web', 'failed', { error: 'dial tcp 127.0.0.1:8080: connection refused' }), probe('db', 'failed')], 'one or more of cluster nodes are not healthy'),
    );
    assert.equal(line, 'cluster degraded: probe web failed on node-1: dial tcp 127.0.0.1:8080: connection refused (+1 more)');
  });

  it('gives the reason when no probe explains it (a failing status hook), and the start as a start', () => {
    assert.equal(clusterStatusLine(report('degraded', [probe('web', 'running')], 'application status check failed')), 'cluster degraded: application status check failed');
    assert.equal(clusterStatusLine(report('degraded', [probe('web', 'unknown')], 'starting: waiting for the first health checks')), 'cluster starting: waiting for the first health checks');
  });

  it('is one line even when an error has several', () => {
    const line = clusterStatusLine(report('degraded', [probe('app', 'failed', { error: 'exit code 1:\nfirst\nsecond' })], 'x'));
    assert.ok(!line.includes('\n'));
    assert.equal(line, 'cluster degraded: probe app failed on node-1: exit code 1: first second');
  });
});
