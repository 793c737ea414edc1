// The contract between a supervisor and whatever it supervises: an actor on this thread, a subtree
// on a worker thread, or a nested supervisor. A started child reports its own exit once, and can be
// asked to stop within a shutdown time.

import type { EventObject } from 'xstate';
import type { Clock } from '../clock.ts';
import type { SerializedError } from '../errors.ts';
import type { InspectionBus, JsonValue } from '../actors/inspection.ts';
import type { ChildType, HeartbeatSpec, RestartType, Shutdown, Strategy, ThreadPlacement } from './spec.ts';

/** Why a child stopped: on its own (`normal`), because it was told to (`shutdown`), or a failure. */
export type ExitReason =
  | { kind: 'normal' }
  | { kind: 'shutdown'; killed?: boolean }
  | { kind: 'error'; error: SerializedError };

/** The life of a child as its supervisor sees it: a documented literal union. */
export type ChildState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** One node of the live tree, as `gravity debug tree` prints it. Plain data. */
export interface TreeNodeInfo {
  id: string;
  path: string;
  type: ChildType;
  thread: ThreadPlacement;
  state: ChildState;
  restart: RestartType;
  /** The built-in actor it runs (`probe`, `node`, ...), for children started from the registry. */
  actor?: string;
  /** The machine's current state value, for actors. */
  actorState?: JsonValue;
  restarts: number;
  /** Epoch ms of the current incarnation's start, while running. */
  startedAt?: number;
  lastExit?: string;
  strategy?: Strategy;
  children?: TreeNodeInfo[];
}

export interface ChildContext {
  /** The child's path in the tree, e.g. `agent/node:n1/probes`. */
  path: string;
  bus: InspectionBus;
  clock: Clock;
  /** Called once when the child stops by itself (not when asked to stop). */
  onExit: (reason: ExitReason) => void;
  /** The parent supervisor's heartbeat, for children hosted on a worker thread. */
  heartbeat?: HeartbeatSpec;
  /**
   * For a child hosted on a worker thread: the program a new thread runs instead of the host entry
   * (`src/actors/worker-entry.ts`), never a warm spare. Tests use it for a thread that fails to load.
   */
  workerEntry?: URL;
}

export interface RunningChild {
  /** Stops the child: cleanly within `shutdown`, else killed. Resolves when it is gone. */
  stop(shutdown: Shutdown): Promise<ExitReason>;
  send(event: EventObject): void;
  /** The live subtree below this child (supervisors) and its actor state (actors). */
  describe(): Promise<Pick<TreeNodeInfo, 'actorState' | 'children' | 'strategy'>>;
}

/** Formats an exit reason for logs and the tree. */
export function describeExit(reason: ExitReason): string {
  if (reason.kind === 'error') return `error: ${reason.error.message}`;
  if (reason.kind === 'shutdown') return reason.killed === true ? 'killed' : 'shutdown';
  return 'normal';
}
