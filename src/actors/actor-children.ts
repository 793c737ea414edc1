// The actors a tree child's actor runs below itself — the machines and promises it invokes or spawns,
// such as the status hook's running `job` — as nodes of the live tree, so that `gravity debug tree`
// and the Control Panel's actors page show them under their parent with the same paths the
// inspection records carry (`<parent path>/<id>`). They are not supervised: each lives as long as its
// parent keeps it, and is never restarted.

import type { AnyActorRef } from 'xstate';
import { drawableNameOfLogic } from '../statechart/registry.ts';
import type { ChildState, TreeNodeInfo } from '../supervisor/child.ts';
import { toJsonValue } from './inspection.ts';

/** The parts of an XState snapshot this reads; any actor's snapshot fits. */
interface SnapshotParts {
  status?: unknown;
  value?: unknown;
  machine?: unknown;
  children?: unknown;
}

function isActorRef(value: unknown): value is AnyActorRef {
  return typeof value === 'object' && value !== null && typeof (value as { getSnapshot?: unknown }).getSnapshot === 'function';
}

function stateOf(status: unknown): ChildState {
  if (status === 'active') return 'running';
  if (status === 'error') return 'failed';
  return 'stopped';
}

/**
 * The actors below an actor, from its snapshot's `children`, each with its own children: plain tree
 * nodes of type `worker`, on the calling thread, `temporary`, never restarted.
 * @example
 * actorChildren(statusHook.getSnapshot(), 'agent/hook:status')
 * // [{ id: 'job', path: 'agent/hook:status/job', type: 'worker', thread: 'main', state: 'running', restart: 'temporary',
 * //    actor: 'hook-job', actorState: { running: 'attempting' }, restarts: 0, children: [{ id: 'attempt', ... }] }]
 */
export function actorChildren(snapshot: unknown, parentPath: string): TreeNodeInfo[] {
  const children = (snapshot as SnapshotParts | null | undefined)?.children;
  if (typeof children !== 'object' || children === null) return [];
  const nodes: TreeNodeInfo[] = [];
  for (const [id, ref] of Object.entries(children as Record<string, unknown>)) {
    if (!isActorRef(ref)) continue;
    const path = `${parentPath}/${id}`;
    const own = ref.getSnapshot() as SnapshotParts | undefined;
    const actor = drawableNameOfLogic((ref as { logic?: unknown }).logic);
    const below = actorChildren(own, path);
    nodes.push({
      id,
      path,
      type: 'worker',
      thread: 'main',
      state: stateOf(own?.status),
      restart: 'temporary',
      ...(actor === undefined ? {} : { actor }),
      // Only a machine has a state value; a promise's snapshot has none.
      ...(own?.machine === undefined ? {} : { actorState: toJsonValue(own.value) }),
      restarts: 0,
      ...(below.length === 0 ? {} : { children: below }),
    });
  }
  return nodes;
}
