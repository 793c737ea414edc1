// The cluster machine: the cluster's status as the aggregate of its nodes and of the application's
// status hook. `running` while every node runs and the status hook (if any) passes; `degraded` while
// a node is degraded, offline or unknown, or the status hook fails. Pure: node statuses and hook
// results arrive as events.

import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';

export type ClusterNodeStatus = 'unknown' | 'starting' | 'running' | 'degraded' | 'offline' | 'stopped';
export type StatusHookState = 'none' | 'pending' | 'passing' | 'failing';

export interface ClusterInput {
  name: string;
  /** The nodes the cluster expects (each starts `unknown`). */
  nodes: string[];
  /** Whether the application defines a status hook. */
  statusHook: boolean;
}

export interface ClusterContext {
  name: string;
  nodes: Record<string, ClusterNodeStatus>;
  statusHook: StatusHookState;
  statusHookMessage: string | undefined;
}

export type ClusterEvent =
  | { type: 'NODE_STATUS'; node: string; status: ClusterNodeStatus }
  | { type: 'STATUS_HOOK'; result: 'passed' | 'failed'; message?: string }
  | { type: 'SHUTDOWN' };

export type ClusterStatusValue = 'running' | 'degraded' | 'stopped';

/** Gravity's degraded reasons, as `gravity status` prints them. */
export const degradedReasons = {
  statusCheckFailed: 'application status check failed',
  clusterDegraded: 'one or more of cluster nodes are not healthy',
} as const;

/** Why the cluster is degraded, or undefined when it is not. */
export function degradedReason(context: ClusterContext): string | undefined {
  const unhealthy = Object.entries(context.nodes).filter(([, status]) => status !== 'running');
  if (context.statusHook === 'failing') return degradedReasons.statusCheckFailed;
  if (unhealthy.length > 0) return degradedReasons.clusterDegraded;
  if (context.statusHook === 'pending') return 'waiting for the first application status check';
  return undefined;
}

export const clusterMachine = setup({
  types: { input: {} as ClusterInput, context: {} as ClusterContext, events: {} as ClusterEvent },
  guards: {
    healthy: ({ context }) => degradedReason(context) === undefined,
  },
  actions: {
    recordNode: assign({
      nodes: ({ context, event }) => (event.type === 'NODE_STATUS' ? { ...context.nodes, [event.node]: event.status } : context.nodes),
    }),
    recordHook: assign(({ event }) =>
      event.type === 'STATUS_HOOK'
        ? { statusHook: event.result === 'passed' ? ('passing' as const) : ('failing' as const), statusHookMessage: event.message }
        : {},
    ),
  },
}).createMachine({
  id: 'cluster',
  context: ({ input }) => ({
    name: input.name,
    nodes: Object.fromEntries(input.nodes.map((node) => [node, 'unknown'])),
    statusHook: input.statusHook ? 'pending' : 'none',
    statusHookMessage: undefined,
  }),
  initial: 'evaluating',
  on: {
    NODE_STATUS: { actions: 'recordNode', target: '.evaluating' },
    STATUS_HOOK: { actions: 'recordHook', target: '.evaluating' },
    SHUTDOWN: '.stopped',
  },
  states: {
    evaluating: {
      always: [{ guard: 'healthy', target: 'running' }, { target: 'degraded' }],
    },
    running: {},
    degraded: {},
    stopped: { type: 'final' },
  },
});

/** What the cluster machine says about its health, read from a snapshot (see clusterReport). */
export interface ClusterMachineReport {
  cluster: string;
  status: ClusterStatusValue;
  /** Why it is degraded (degradedReason), only while degraded. */
  reason?: string;
  /** True while some node has not reported its status yet: a degraded verdict is not verified. */
  awaitingNodes: boolean;
}

/**
 * The cluster's health as its snapshot states it.
 * @example clusterReport(actor.getSnapshot()) // { cluster: 'prod', status: 'degraded', reason: 'application status check failed', awaitingNodes: false }
 */
export function clusterReport(snapshot: SnapshotFrom<typeof clusterMachine>): ClusterMachineReport {
  const status: ClusterStatusValue = snapshot.matches('running') ? 'running' : snapshot.matches('stopped') ? 'stopped' : 'degraded';
  const reason = status === 'degraded' ? degradedReason(snapshot.context) : undefined;
  return {
    cluster: snapshot.context.name,
    status,
    ...(reason === undefined ? {} : { reason }),
    awaitingNodes: Object.values(snapshot.context.nodes).includes('unknown'),
  };
}
