// Finding one child in a described supervision tree (TreeNodeInfo) by its path: the CLI's
// `debug statechart --actor` and the panel's actors page both look actors up this way.

import type { TreeNodeInfo } from './child.ts';

/**
 * The node at `path` in the tree under `root`, or undefined.
 * @example findTreeNode(tree.root, 'agent/node:n1')?.actorState
 */
export function findTreeNode(root: TreeNodeInfo, path: string): TreeNodeInfo | undefined {
  if (root.path === path) return root;
  for (const child of root.children ?? []) {
    const found = findTreeNode(child, path);
    if (found !== undefined) return found;
  }
  return undefined;
}
