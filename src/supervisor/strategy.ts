// Which children a supervisor restarts when one fails, by OTP's strategies. Pure: ids in start order
// in, the ids to stop (reverse start order) and to start again (start order) out.

import type { RestartType, Strategy } from './spec.ts';

export interface RestartPlan {
  /** Running siblings to stop before restarting, in reverse start order. */
  stop: string[];
  /** Children to start again, in start order (temporary siblings are not restarted). */
  start: string[];
  /** Temporary children that leave the tree. */
  remove: string[];
}

export interface ChildEntry {
  id: string;
  restart: RestartType;
  /** False for children that are already not running (exited, or stopped and not restarted). */
  running: boolean;
}

/**
 * @example planRestart('rest_for_one', children, 'b') // stop c (after b), start b then c
 */
export function planRestart(strategy: Strategy, children: readonly ChildEntry[], failedId: string): RestartPlan {
  const index = children.findIndex((child) => child.id === failedId);
  if (index < 0) return { stop: [], start: [], remove: [] };
  const affected =
    strategy === 'one_for_one' ? children.slice(index, index + 1) : strategy === 'one_for_all' ? [...children] : children.slice(index);
  const siblings = affected.filter((child) => child.id !== failedId);
  return {
    stop: siblings.filter((child) => child.running).map((child) => child.id).reverse(),
    start: affected
      .filter((child) => child.id === failedId || (child.restart !== 'temporary' && (child.running || child.restart === 'permanent')))
      .map((child) => child.id),
    remove: siblings.filter((child) => child.restart === 'temporary').map((child) => child.id),
  };
}

export type ExitKind = 'normal' | 'shutdown' | 'error';

/** Whether a child that exited this way is restarted, by its restart type (OTP semantics). */
export function shouldRestart(restart: RestartType, exit: ExitKind): boolean {
  if (restart === 'permanent') return true;
  if (restart === 'temporary') return false;
  return exit === 'error';
}
