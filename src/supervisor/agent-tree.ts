// The agent's supervision tree: what `gravity start` supervises, built from the configuration. The
// root is a one_for_one supervisor. The task pool starts first (and stops last); then this node's etcd
// member when the config names one (it stops late: whatever may use it has stopped before); then children start
// in the order the health data flows backwards (cluster, then this node, then the status hook, then
// the probes), so that every result has a listener by the time it is produced; they stop in reverse. The probes run under their own
// supervisor on a worker thread, so that a check stuck in a loop cannot stall the agent. The
// `operations` supervisor comes last (it stops first): requests on operations run there as actors.

import { hostname } from 'node:os';
import type { JsonValue } from '../actors/inspection.ts';
import { taskPoolLogic } from '../actors/task-pool-actor.ts';
import type { TaskPoolSlot } from '../actors/task-pool-actor.ts';
import type { GravityConfig } from '../config/types.ts';
import { etcdMemberChildSpec } from '../cluster/etcd-member.ts';
import type { Logger } from '../log.ts';
import type { ProbeInput } from '../machines/probe.ts';
import type { ChildSpecInput, SupervisorSpec, SupervisorSpecInput } from './spec.ts';
import { compileSupervisorSpec } from './spec.ts';
import { operationsChildId, operationsSupervisorSpecInput } from '../operations/operations-spec.ts';

/** The root supervisor's path; every other path in the tree starts with it. */
export const agentRootPath = 'agent';

/** What the tree needs from the configuration (a GravityConfig has all of it). */
export type AgentTreeConfig = Pick<GravityConfig, 'cluster' | 'node' | 'stateDir' | 'probes' | 'statusHookIntervalMs' | 'app' | 'etcd'>;

export interface AgentTreeOptions {
  /** The configuration; without it, a single master named after the host with no probes. */
  config?: AgentTreeConfig;
  /**
   * Where the `tasks` child (the task pool) publishes its pool; without it the tree has no task pool.
   * The child runs on the main thread (the slot cannot cross threads; its tasks run on piscina's).
   */
  tasks?: TaskPoolSlot;
  /** Where the etcd member's log lines go. */
  logger?: Logger;
}

/** The root's child id of a node's machine (what `root.sendTo` takes). */
export function nodeChildId(node: string): string {
  return `node:${node}`;
}

/** The root's child id of the cluster machine. */
export const clusterChildId = 'cluster';

/** The task pool's sizes in the agent: one warm thread, a second one for a burst. */
export const agentTaskPoolInput = { minThreads: 1, maxThreads: 2 } as const;

/**
 * How long the task pool gets to stop: its runs end by their deadlines (at most
 * systemFactsDeadlineMs), then its threads stop; past this its threads are terminated at once.
 */
export const agentTaskPoolShutdownMs = 10_000;

function probeChild(probe: AgentTreeConfig['probes'][number], stateDir: string): ChildSpecInput {
  const input: ProbeInput = {
    name: probe.name,
    checker: probe.checker,
    severity: probe.severity,
    intervalMs: probe.intervalMs,
    timeoutMs: probe.timeoutMs,
    failuresBeforeFailed: probe.failuresBeforeFailed,
    successesBeforeRunning: probe.successesBeforeRunning,
    config: probe.source,
    stateDir,
  };
  // A probe stops at once (its check is aborted); it restarts whatever ended it.
  return { id: `probe:${probe.name}`, start: { actor: 'probe', input: input as unknown as JsonValue }, shutdown: 1000 };
}

/** The tree in its user-facing form (what a spec file would say). */
export function agentTreeSpecInput(options: AgentTreeOptions = {}): SupervisorSpecInput {
  const name = options.config?.node.name ?? hostname();
  const role = options.config?.node.role ?? 'master';
  const probes = options.config?.probes ?? [];
  const statusHook = options.config?.app?.hooks.status;
  const children: ChildSpecInput[] = [];
  // First, so that it stops last: whatever runs tasks has stopped before the pool does.
  if (options.tasks !== undefined) {
    children.push({ id: 'tasks', start: { logic: taskPoolLogic(options.tasks), input: { ...agentTaskPoolInput } }, shutdown: agentTaskPoolShutdownMs });
  }
  // Next, so that it stops late: the operations, probes and machines that may use it stop before it.
  const config = options.config;
  if (config?.etcd !== undefined) children.push(etcdMemberChildSpec({ ...config, etcd: config.etcd }, options.logger));
  children.push(
    {
      id: clusterChildId,
      start: { actor: 'cluster', input: { name: options.config?.cluster.name ?? name, nodes: [name], statusHook: statusHook !== undefined } },
    },
    {
      id: nodeChildId(name),
      start: { actor: 'node', input: { name, role, expectedProbes: probes.map((probe) => probe.name) } },
    },
  );
  if (statusHook !== undefined) {
    children.push({
      id: 'hook:status',
      start: {
        actor: 'status-hook',
        input: { job: statusHook as unknown as JsonValue, intervalMs: options.config?.statusHookIntervalMs ?? 60_000 },
      },
    });
  }
  children.push({
    id: 'probes',
    type: 'supervisor',
    thread: 'worker',
    start: {
      supervisor: {
        strategy: 'one_for_one',
        // Probes are cheap to restart and independent: allow bursts before giving up on the thread.
        intensity: 10,
        period: 30,
        children: probes.map((probe) => probeChild(probe, options.config?.stateDir ?? '/var/lib/gravity')),
      },
    },
  });
  // Last, so that it stops first: a running operation's phases end (recorded failed) while the
  // probes and the health machines they may wait for still run.
  children.push({ id: operationsChildId, type: 'supervisor', start: { supervisor: operationsSupervisorSpecInput } });
  return { strategy: 'one_for_one', intensity: 3, period: 30, children };
}

/**
 * The compiled tree the agent starts.
 * @example const spec = buildAgentTreeSpec({ config, tasks: slot }); // children: tasks, [etcd], cluster, node:node-1, [hook:status], probes, operations
 */
export function buildAgentTreeSpec(options: AgentTreeOptions = {}): SupervisorSpec {
  return compileSupervisorSpec(agentTreeSpecInput(options), agentRootPath);
}
