// The history page refetches when a status changes, not when a probe merely checks again.

import assert from 'node:assert/strict';
import type { ClusterReport } from '../../../src/health/types.ts';
import { healthSignature } from '../../../src/web/model/health-signature.ts';

function report(probeStatus: 'running' | 'failed', checkedAt: number): ClusterReport {
  return {
    name: 'prod',
    status: 'running',
    time: checkedAt,
    nodes: [
      {
        name: 'n1',
        addr: '10.0.0.1',
        role: 'master',
        member: 'alive',
        status: 'running',
        probes: [{ name: 'web', checker: 'tcp', status: probeStatus, severity: 'critical', checkedAt, durationMs: checkedAt % 7 }],
      },
    ],
  };
}

describe('web/health-signature', () => {
  it('ignores new checks with the same results', () => {
    assert.equal(healthSignature(report('running', 1)), healthSignature(report('running', 2)));
  });

  it('changes with any status', () => {
    assert.notEqual(healthSignature(report('running', 1)), healthSignature(report('failed', 1)));
    assert.notEqual(healthSignature(report('running', 1)), healthSignature({ ...report('running', 1), status: 'degraded' }));
    assert.equal(healthSignature(undefined), '');
  });
});
