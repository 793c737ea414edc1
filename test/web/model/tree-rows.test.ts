// The supervision tree as table rows: depth first with depths, a node found by path, and uptimes
// against the agent's clock that keep counting in the browser.

import assert from 'node:assert/strict';
import type { TreeNodeInfo } from '../../../src/supervisor/child.ts';
import { findTreeNode } from '../../../src/supervisor/find-tree-node.ts';
import { treeRows, uptimeMs } from '../../../src/web/model/tree-rows.ts';

function child(path: string, extra: Partial<TreeNodeInfo> = {}): TreeNodeInfo {
  const id = path.split('/').pop() ?? path;
  return { id, path, type: 'worker', thread: 'main', state: 'running', restart: 'permanent', restarts: 0, ...extra };
}

const root = child('agent', {
  type: 'supervisor',
  children: [child('agent/probes', { type: 'supervisor', children: [child('agent/probes/probe:web', { actor: 'probe', startedAt: 1_000 })] }), child('agent/cluster')],
});

describe('web/tree-rows', () => {
  it('lists every node depth first with its depth', () => {
    assert.deepEqual(
      treeRows(root).map((row) => `${row.depth} ${row.node.path}`),
      ['0 agent', '1 agent/probes', '2 agent/probes/probe:web', '1 agent/cluster'],
    );
  });

  it("lists an actor's own actors below it, and finds them by path", () => {
    const job = child('agent/hook:status/job', { restart: 'temporary', actor: 'hook-job', actorState: { running: 'attempting' }, children: [child('agent/hook:status/job/attempt', { restart: 'temporary' })] });
    const tree = child('agent', { type: 'supervisor', children: [child('agent/hook:status', { actor: 'status-hook', actorState: 'running', children: [job] })] });
    assert.deepEqual(
      treeRows(tree).map((row) => `${row.depth} ${row.node.path}`),
      ['0 agent', '1 agent/hook:status', '2 agent/hook:status/job', '3 agent/hook:status/job/attempt'],
    );
    assert.equal(findTreeNode(tree, 'agent/hook:status/job')?.actor, 'hook-job');
  });

  it('finds a node by its path', () => {
    assert.equal(findTreeNode(root, 'agent/probes/probe:web')?.actor, 'probe');
    assert.equal(findTreeNode(root, 'agent/nowhere'), undefined);
  });

  it('counts uptime from the agent’s clock, then the browser’s', () => {
    const web = findTreeNode(root, 'agent/probes/probe:web')!;
    const tree = { now: 61_000, root };
    assert.equal(uptimeMs(web, tree, 500_000, 500_000), 60_000);
    assert.equal(uptimeMs(web, tree, 500_000, 505_000), 65_000);
    assert.equal(uptimeMs(child('x', { state: 'restarting', startedAt: 1 }), tree, 0, 0), undefined);
    assert.equal(uptimeMs(child('x'), tree, 0, 0), undefined);
  });
});
