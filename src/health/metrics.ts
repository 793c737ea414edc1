// The agent's Prometheus metrics (GET /metrics on the health endpoint): probe, node and cluster
// status from the health snapshot, check durations, status transitions and supervisor restarts, plus
// prom-client's default process metrics. The metrics live in their own registry (never prom-client's
// global one) so that several agents in one test process do not collide.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HistoryEventType } from '../store/types.ts';
import type { ClusterReport, NodeHealth, ProbeStatus } from './types.ts';

/** The status transitions counted by `gravity_status_transitions_total{kind}`. */
export type TransitionKind =
  | 'probe_failed'
  | 'probe_succeeded'
  | 'node_degraded'
  | 'node_recovered'
  | 'cluster_degraded'
  | 'cluster_recovered'
  | 'probe_removed'
  | 'node_removed';

export const transitionKinds: readonly TransitionKind[] = [
  'probe_failed',
  'probe_succeeded',
  'node_degraded',
  'node_recovered',
  'cluster_degraded',
  'cluster_recovered',
  'probe_removed',
  'node_removed',
];

const kindByEventType: Record<HistoryEventType, TransitionKind> = {
  'Probe Failed': 'probe_failed',
  'Probe Succeeded': 'probe_succeeded',
  'Node Degraded': 'node_degraded',
  'Node Recovered': 'node_recovered',
  'Cluster Degraded': 'cluster_degraded',
  'Cluster Recovered': 'cluster_recovered',
  'Probe Removed': 'probe_removed',
  'Node Removed': 'node_removed',
};

/**
 * The metric label for a status-history event type.
 * @example transitionKindOf('Probe Failed') // 'probe_failed'
 */
export function transitionKindOf(type: HistoryEventType): TransitionKind {
  return kindByEventType[type];
}

/** Gauge values: 1 running, 0 failed/degraded, -1 unknown. */
export function probeStatusValue(status: ProbeStatus): 1 | 0 | -1 {
  return status === 'running' ? 1 : status === 'failed' ? 0 : -1;
}

export function nodeStatusValue(status: NodeHealth): 1 | 0 | -1 {
  return status === 'running' ? 1 : status === 'degraded' ? 0 : -1;
}

/** Buckets of the check-duration histogram, in seconds (a check's timeout is capped by its interval). */
export const checkDurationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** prom-client default metrics left out (see createHealthMetrics). */
export const lintFailingDefaults = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface HealthMetrics {
  readonly registry: Registry;
  /** The Content-Type of `metrics()`'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Sets the probe, node and cluster gauges from a snapshot; observes each check completed since the last call. */
  updateFromReport(report: ClusterReport): void;
  /** Observes one check's duration directly (when the caller sees checks rather than snapshots). */
  observeCheck(labels: { node: string; probe: string; checker: string }, seconds: number): void;
  recordTransition(kind: TransitionKind): void;
  recordRestart(supervisor: string, child: string): void;
  /** The registry's text exposition. */
  metrics(): Promise<string>;
}

export interface HealthMetricsOptions {
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

/**
 * @example
 * const metrics = createHealthMetrics();
 * metrics.updateFromReport(model.report(Date.now()));
 * metrics.recordTransition(transitionKindOf('Node Degraded'));
 * const text = await metrics.metrics();
 */
export function createHealthMetrics(options: HealthMetricsOptions = {}): HealthMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters, which `promtool check metrics` refuses; each is the sum of its
    // by-type sibling (nodejs_active_handles{type}, ...), which stays.
    for (const name of lintFailingDefaults) registry.removeSingleMetric(name);
  }

  const probeStatus = new Gauge({
    name: 'gravity_probe_status',
    help: 'Status of a health probe: 1 running, 0 failed, -1 unknown (no result yet).',
    labelNames: ['node', 'probe', 'checker'] as const,
    registers: [registry],
  });
  const checkDuration = new Histogram({
    name: 'gravity_probe_check_duration_seconds',
    help: 'Duration of health probe checks.',
    labelNames: ['node', 'probe', 'checker'] as const,
    buckets: checkDurationBuckets,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'gravity_status_transitions_total',
    help: 'Status transitions recorded in the status history, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const nodeStatus = new Gauge({
    name: 'gravity_node_status',
    help: 'Status of a node: 1 running, 0 degraded, -1 unknown.',
    labelNames: ['node'] as const,
    registers: [registry],
  });
  const clusterStatus = new Gauge({
    name: 'gravity_cluster_status',
    help: 'Status of the cluster: 1 running, 0 degraded, -1 unknown (no snapshot yet).',
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'gravity_supervisor_restarts_total',
    help: 'Children restarted by a supervisor.',
    labelNames: ['supervisor', 'child'] as const,
    registers: [registry],
  });

  for (const kind of transitionKinds) transitions.inc({ kind }, 0);
  clusterStatus.set(-1);
  const lastCheckedAt = new Map<string, number>();

  return {
    registry,
    contentType: registry.contentType,
    updateFromReport(report) {
      probeStatus.reset();
      nodeStatus.reset();
      const seen = new Set<string>();
      for (const node of report.nodes) {
        nodeStatus.set({ node: node.name }, nodeStatusValue(node.status));
        for (const probe of node.probes) {
          const labels = { node: node.name, probe: probe.name, checker: probe.checker };
          probeStatus.set(labels, probeStatusValue(probe.status));
          const key = `${node.name}\u0000${probe.name}`;
          seen.add(key);
          if (probe.checkedAt !== undefined && probe.durationMs !== undefined && lastCheckedAt.get(key) !== probe.checkedAt) {
            lastCheckedAt.set(key, probe.checkedAt);
            checkDuration.observe(labels, probe.durationMs / 1000);
          }
        }
      }
      for (const key of lastCheckedAt.keys()) if (!seen.has(key)) lastCheckedAt.delete(key);
      clusterStatus.set(report.status === 'running' ? 1 : 0);
    },
    observeCheck(labels, seconds) {
      checkDuration.observe(labels, seconds);
    },
    recordTransition(kind) {
      transitions.inc({ kind });
    },
    recordRestart(supervisor, child) {
      restarts.inc({ supervisor, child });
    },
    metrics: () => registry.metrics(),
  };
}
