import { strict as assert } from 'node:assert';
import type sinon from 'sinon';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { startActorChild } from '../../src/actors/actor-child.ts';
import { healthReporterOf } from '../../src/actors/health-reporting.ts';
import { builtinActors } from '../../src/actors/registry.ts';
import type { ChildContext } from '../../src/supervisor/child.ts';
import type { ProbeInput } from '../../src/machines/probe.ts';
import type { HealthSignal } from '../../src/health/types.ts';
import type { NodeEvent } from '../../src/machines/node.ts';
import type { ClusterEvent } from '../../src/machines/cluster.ts';
import { installFakeClock } from '../helpers/fake-children.ts';

describe('actors/health-reporting', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: ReturnType<typeof installFakeClock>['clock'];
  let bus: InspectionBus;
  let snapshots: Extract<InspectionRecord, { kind: 'snapshot' }>[];
  beforeEach(() => {
    ({ fake, clock } = installFakeClock());
    bus = new InspectionBus();
    snapshots = [];
    bus.subscribe((record) => {
      if (record.kind === 'snapshot') snapshots.push(record);
    });
  });
  afterEach(() => fake.restore());

  const context = (path: string): ChildContext => ({ path, bus, clock, onExit: () => undefined });
  const signals = (): HealthSignal[] => snapshots.flatMap((record) => (record.health === undefined ? [] : [record.health]));

  it('only the probe, node, cluster and status-hook actors report health', () => {
    assert.deepEqual(
      Object.entries(builtinActors)
        .filter(([, logic]) => healthReporterOf(logic) !== undefined)
        .map(([name]) => name)
        .sort(),
      ['cluster', 'node', 'probe', 'status-hook'],
    );
  });

  it("a node actor's snapshot records carry its typed status, named by the node", async () => {
    const child = startActorChild(builtinActors.node!, { name: 'n1', role: 'master', expectedProbes: ['web'] }, 'node:n1', context('agent/node:n1'));
    const event: NodeEvent = { type: 'PROBE_RESULT', probe: 'web', status: 'failed', severity: 'critical', error: 'refused' };
    child.send(event);
    assert.deepEqual(signals(), [
      { kind: 'node', node: 'n1', status: 'starting' },
      { kind: 'node', node: 'n1', status: 'degraded' },
    ]);
    await child.stop(100);
  });

  it("a cluster actor's records carry its status, reason and whether it still awaits nodes", async () => {
    const child = startActorChild(builtinActors.cluster!, { name: 'prod', nodes: ['n1'], statusHook: false }, 'cluster', context('agent/cluster'));
    const event: ClusterEvent = { type: 'NODE_STATUS', node: 'n1', status: 'running' };
    child.send(event);
    assert.deepEqual(signals(), [
      { kind: 'cluster', cluster: 'prod', status: 'degraded', reason: 'one or more of cluster nodes are not healthy', awaitingNodes: true },
      { kind: 'cluster', cluster: 'prod', status: 'running', awaitingNodes: false },
    ]);
    await child.stop(100);
  });

  it("a probe actor's records carry its report; its nested check actor's records carry none", async () => {
    const input: ProbeInput = {
      name: 'web',
      checker: 'no-such-checker',
      severity: 'critical',
      intervalMs: 1000,
      timeoutMs: 500,
      failuresBeforeFailed: 1,
      successesBeforeRunning: 1,
      config: {},
      stateDir: '/tmp',
    };
    const child = startActorChild(builtinActors.probe!, input, 'probe:web', context('agent/probes/probe:web'));
    await fake.tickAsync(0);
    const last = signals().at(-1);
    assert.equal(last?.kind, 'probe');
    assert.ok(last?.kind === 'probe');
    assert.equal(last.probe, 'web');
    assert.equal(last.node, undefined);
    assert.equal(last.report.status, 'failed');
    assert.match(last.report.error ?? '', /unknown checker/);
    assert.ok(snapshots.some((record) => record.path !== 'agent/probes/probe:web'), 'the nested check actor published snapshots');
    assert.ok(snapshots.filter((record) => record.path !== 'agent/probes/probe:web').every((record) => record.health === undefined));
    await child.stop(100);
  });

  it('other actors report no health', async () => {
    const child = startActorChild(builtinActors.idle!, undefined, 'idle', context('agent/idle'));
    assert.ok(snapshots.length > 0);
    assert.deepEqual(signals(), []);
    await child.stop(100);
  });
});
