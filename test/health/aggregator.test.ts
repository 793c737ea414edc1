import { strict as assert } from 'node:assert';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { startHealthAggregation } from '../../src/health/aggregator.ts';
import { HealthModel } from '../../src/health/model.ts';
import type { HealthSignal } from '../../src/health/types.ts';
import type { NodeEvent } from '../../src/machines/node.ts';
import type { ClusterEvent } from '../../src/machines/cluster.ts';

const record = (path: string, health: HealthSignal): InspectionRecord => ({ kind: 'snapshot', path, time: 0, status: 'active', value: null, health });

describe('health/aggregator', () => {
  it("routes each node's signals to that node's machine and to the cluster, by node name", () => {
    const bus = new InspectionBus();
    const model = new HealthModel({
      clusterName: 'prod',
      node: { name: 'n1', role: 'master', addr: '10.0.0.1' },
      probes: [{ name: 'web', checker: 'tcp', severity: 'critical' }],
      peers: [{ name: 'n2', role: 'node', addr: '10.0.0.2', probes: [{ name: 'web', checker: 'tcp', severity: 'critical' }] }],
    });
    const sent: [string, NodeEvent | ClusterEvent][] = [];
    const stop = startHealthAggregation({ bus, model, nodeName: 'n1', clock: systemClock, sendTo: (child, event) => sent.push([child, event]) });
    bus.publish(record('agent/probes/probe:web', { kind: 'probe', probe: 'web', report: { status: 'running' } }));
    bus.publish(record('agent/x', { kind: 'probe', node: 'n2', probe: 'web', report: { status: 'failed', error: 'refused' } }));
    bus.publish(record('agent/y', { kind: 'node', node: 'n2', status: 'degraded' }));
    bus.publish(record('agent/z', { kind: 'status-hook', result: 'failed', message: 'exit code 1', runs: 1 }));
    stop();
    bus.publish(record('agent/y', { kind: 'node', node: 'n1', status: 'degraded' }));
    assert.deepEqual(sent, [
      ['node:n1', { type: 'PROBE_RESULT', probe: 'web', status: 'running', severity: 'critical' }],
      ['node:n2', { type: 'PROBE_RESULT', probe: 'web', status: 'failed', severity: 'critical', error: 'refused' }],
      ['cluster', { type: 'NODE_STATUS', node: 'n2', status: 'degraded' }],
      ['cluster', { type: 'STATUS_HOOK', result: 'failed', message: 'exit code 1' }],
    ]);
  });
});
