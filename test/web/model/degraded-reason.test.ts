// The degraded reason the top bar shows: failed probes with their errors and unhealthy nodes rather
// than the cluster machine's generic sentence, which is kept when it says something else.

import assert from 'node:assert/strict';
import type { ClusterReport, NodeReport, ProbeReport } from '../../../src/health/types.ts';
import { degradedReasons } from '../../../src/machines/cluster.ts';
import { degradedLines, degradedReason, nodeProblems, nodesUnhealthyReason } from '../../../src/web/model/degraded-reason.ts';

function probe(name: string, status: ProbeReport['status'], error?: string): ProbeReport {
  return { name, checker: 'tcp', status, severity: 'critical', ...(error === undefined ? {} : { error }) };
}

function node(name: string, extra: Partial<NodeReport> = {}): NodeReport {
  return { name, addr: '10.0.0.1', role: 'master', member: 'alive', status: 'running', probes: [], ...extra };
}

function report(extra: Partial<ClusterReport>): ClusterReport {
  return { name: 'prod', status: 'degraded', nodes: [], time: 0, ...extra };
}

describe('web/degraded-reason', () => {
  it('knows the cluster machine’s generic reason', () => {
    assert.equal(nodesUnhealthyReason, degradedReasons.clusterDegraded);
  });

  it('names each failed probe with its error instead of the generic reason', () => {
    const degraded = report({
      reason: degradedReasons.clusterDegraded,
      nodes: [node('node-1', { status: 'degraded', probes: [probe('tcp-target', 'failed', 'connection refused'), probe('disk', 'running')] })],
    });
    assert.equal(degradedReason(degraded), 'node-1: probe tcp-target failed: connection refused');
  });

  it('keeps a specific reason first, then the node problems', () => {
    const degraded = report({
      reason: degradedReasons.statusCheckFailed,
      nodes: [node('node-1', { status: 'degraded', probes: [probe('web', 'failed')] }), node('node-2', { member: 'failed' })],
    });
    assert.deepEqual(degradedLines(degraded), ['application status check failed', 'node-1: probe web failed', 'node-2: member failed']);
  });

  it('falls back to the reason, or to the node status alone', () => {
    assert.equal(degradedReason(report({ reason: 'starting: waiting for the first health checks', nodes: [node('n1', { status: 'unknown' })] })), 'starting: waiting for the first health checks');
    assert.equal(degradedReason(report({})), 'degraded');
    assert.deepEqual(nodeProblems(node('n1', { status: 'degraded' })), ['n1: degraded']);
  });

  it('says nothing while running', () => {
    assert.equal(degradedReason(report({ status: 'running', nodes: [node('n1', { probes: [probe('web', 'failed', 'x')] })] })), undefined);
  });
});
