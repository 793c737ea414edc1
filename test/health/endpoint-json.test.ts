// The health endpoint's JSON as a pure function of the snapshot: Gravity's keys in Gravity's
// order, `error` only on failed probes, `severity` only on warnings, the address in addr and publicip.

import assert from 'node:assert/strict';
import { healthEndpointJson, healthHttpStatus, nodeEndpointJson } from '../../src/health/endpoint-json.ts';
import type { NodeReport } from '../../src/health/types.ts';

function node(overrides: Partial<NodeReport> = {}): NodeReport {
  return { name: 'node-1', addr: '10.0.0.5', role: 'node', member: 'alive', status: 'running', probes: [], ...overrides };
}

describe('health/endpoint-json', () => {
  it("builds Gravity's shape with its keys in order", () => {
    const json = healthEndpointJson({
      name: 'prod',
      status: 'degraded',
      reason: 'not shown',
      application: { name: 'shop' },
      time: 1,
      nodes: [
        node({
          status: 'degraded',
          probes: [
            { name: 'web', checker: 'tcp', status: 'failed', severity: 'critical', error: 'dial tcp 127.0.0.1:8080: connect: connection refused', durationMs: 1 },
            { name: 'disk', checker: 'disk-space', status: 'running', severity: 'warning' },
            { name: 'load', checker: 'load', status: 'unknown', severity: 'critical', error: 'ignored unless failed' },
          ],
        }),
      ],
    });
    assert.equal(
      JSON.stringify(json),
      JSON.stringify({
        nodes: [
          {
            member_status: { addr: '10.0.0.5', name: 'node-1', status: 'alive', tags: { publicip: '10.0.0.5', role: 'node' } },
            name: 'node-1',
            probes: [
              { checker: 'web', error: 'dial tcp 127.0.0.1:8080: connect: connection refused', status: 'failed' },
              { checker: 'disk', severity: 'warning', status: 'running' },
              { checker: 'load', status: 'unknown' },
            ],
            status: 'degraded',
          },
        ],
        status: 'degraded',
      }),
    );
  });

  it('puts the address without its port in publicip', () => {
    assert.equal(nodeEndpointJson(node({ addr: '10.0.0.5:7575' })).member_status.tags.publicip, '10.0.0.5');
    assert.equal(nodeEndpointJson(node({ addr: '[fd00::5]:7575' })).member_status.tags.publicip, 'fd00::5');
    assert.equal(nodeEndpointJson(node({ addr: 'fd00::5' })).member_status.tags.publicip, 'fd00::5');
    assert.equal(nodeEndpointJson(node({ addr: '' })).member_status.tags.publicip, '');
  });

  it('answers 200 only while running', () => {
    assert.equal(healthHttpStatus('running'), 200);
    assert.equal(healthHttpStatus('degraded'), 503);
    assert.equal(healthHttpStatus('unknown'), 503);
  });
});
