// The supervision tree as the rows of a table: depth first, each with its depth for indenting, and
// the uptime of a running child measured against the agent's clock rather than the browser's.

import type { TreeResponse } from '../../api/panel-protocol.ts';
import type { TreeNodeInfo } from '../../supervisor/child.ts';

export interface TreeRow {
  node: TreeNodeInfo;
  depth: number;
}

/** Every node of the tree, the root first, depth first in the order the agent reports them. */
export function treeRows(root: TreeNodeInfo): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (node: TreeNodeInfo, depth: number): void => {
    rows.push({ node, depth });
    for (const child of node.children ?? []) visit(child, depth + 1);
  };
  visit(root, 0);
  return rows;
}


/**
 * How long a node has run, in ms, at the browser's `now`: the tree says how long at the agent's
 * `tree.now`, received at the browser's `receivedAt`. Undefined when it is not running.
 */
export function uptimeMs(node: TreeNodeInfo, tree: TreeResponse, receivedAt: number, now: number): number | undefined {
  if (node.startedAt === undefined || node.state !== 'running') return undefined;
  return Math.max(0, tree.now - node.startedAt + Math.max(0, now - receivedAt));
}
