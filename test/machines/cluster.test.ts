import { strict as assert } from 'node:assert';
import { createActor } from 'xstate';
import { clusterMachine, degradedReason, degradedReasons } from '../../src/machines/cluster.ts';
import type { ClusterEvent } from '../../src/machines/cluster.ts';

function run(statusHook: boolean, events: ClusterEvent[]) {
  const actor = createActor(clusterMachine, { input: { name: 'prod', nodes: ['n1', 'n2'], statusHook } }).start();
  for (const event of events) actor.send(event);
  return actor.getSnapshot();
}

describe('machines/cluster', () => {
  const table: { name: string; hook: boolean; events: ClusterEvent[]; value: string; reason: string | undefined }[] = [
    { name: 'degraded while nodes are unknown', hook: false, events: [], value: 'degraded', reason: degradedReasons.clusterDegraded },
    {
      name: 'running once every node runs',
      hook: false,
      events: [
        { type: 'NODE_STATUS', node: 'n1', status: 'running' },
        { type: 'NODE_STATUS', node: 'n2', status: 'running' },
      ],
      value: 'running',
      reason: undefined,
    },
    {
      name: 'a degraded node degrades the cluster',
      hook: false,
      events: [
        { type: 'NODE_STATUS', node: 'n1', status: 'running' },
        { type: 'NODE_STATUS', node: 'n2', status: 'degraded' },
      ],
      value: 'degraded',
      reason: degradedReasons.clusterDegraded,
    },
    {
      name: 'an offline node degrades the cluster',
      hook: false,
      events: [
        { type: 'NODE_STATUS', node: 'n1', status: 'running' },
        { type: 'NODE_STATUS', node: 'n2', status: 'offline' },
      ],
      value: 'degraded',
      reason: degradedReasons.clusterDegraded,
    },
    {
      name: 'a failing status hook degrades a cluster of healthy nodes',
      hook: true,
      events: [
        { type: 'NODE_STATUS', node: 'n1', status: 'running' },
        { type: 'NODE_STATUS', node: 'n2', status: 'running' },
        { type: 'STATUS_HOOK', result: 'failed', message: 'exit code 1' },
      ],
      value: 'degraded',
      reason: degradedReasons.statusCheckFailed,
    },
    {
      name: 'the status hook passing again recovers it',
      hook: true,
      events: [
        { type: 'NODE_STATUS', node: 'n1', status: 'running' },
        { type: 'NODE_STATUS', node: 'n2', status: 'running' },
        { type: 'STATUS_HOOK', result: 'failed' },
        { type: 'STATUS_HOOK', result: 'passed' },
      ],
      value: 'running',
      reason: undefined,
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const snapshot = run(row.hook, row.events);
      assert.equal(snapshot.value, row.value);
      assert.equal(degradedReason(snapshot.context), row.reason);
    });
  }
});
