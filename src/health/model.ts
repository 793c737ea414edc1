// The agent's live picture of its health, rebuilt from the actors' snapshots on the inspection bus:
// each probe's status and error, the node machine's state, the cluster machine's state and reason.
// The health endpoint, `gravity status` and the metrics read `report()`, which never waits on a
// check. `apply()` also says what changed, which is what the status history records.

import type { InspectionRecord, JsonValue } from '../actors/inspection.ts';
import type { NodeRole } from '../config/types.ts';
import type { ProbeSeverity } from '../probes/types.ts';
import type { ClusterReport, NodeHealth, ProbeReport, ProbeStatus, StatusHookReport } from './types.ts';
import { degradedReason } from '../machines/cluster.ts';
import type { ClusterContext } from '../machines/cluster.ts';

/** Where the health actors live in the tree. */
export const healthPaths = {
  probesSupervisor: 'agent/probes',
  probePrefix: 'agent/probes/probe:',
  node: (name: string): string => `agent/node:${name}`,
  cluster: 'agent/cluster',
  statusHook: 'agent/hook:status',
} as const;

export type HealthTransition =
  | { kind: 'probe'; probe: string; checker: string; severity: ProbeSeverity; from: ProbeStatus; to: ProbeStatus; error?: string }
  | { kind: 'node'; from: NodeHealth; to: NodeHealth }
  | { kind: 'cluster'; from: 'running' | 'degraded'; to: 'running' | 'degraded'; reason?: string }
  | { kind: 'statusHook'; result: 'passed' | 'failed'; message?: string; output?: string };

export interface HealthModelOptions {
  clusterName: string;
  node: { name: string; role: NodeRole; addr: string };
  /** The configured probes, each `unknown` until its first result. */
  probes: { name: string; checker: string; severity: ProbeSeverity }[];
  application?: { name: string; version?: string };
}

const startingReason = 'starting: waiting for the first health checks';

function field(context: JsonValue | undefined, key: string): JsonValue | undefined {
  return context !== null && typeof context === 'object' && !Array.isArray(context) ? context[key] : undefined;
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The probe machine's `status` region, from its snapshot value `{ active: { status, cycle } }`. */
function probeStatusOf(value: JsonValue): ProbeStatus | 'stopped' | undefined {
  if (value === 'stopped') return 'stopped';
  const status = field(field(value, 'active'), 'status');
  return status === 'unknown' || status === 'running' || status === 'failed' ? status : undefined;
}

/**
 * @example const model = new HealthModel(options); bus.subscribe((r) => model.apply(r), { kinds: ['snapshot'] });
 */
export class HealthModel {
  private readonly options: HealthModelOptions;
  private readonly probes = new Map<string, ProbeReport>();
  private nodeStatus: NodeHealth = 'unknown';
  private clusterStatus: 'running' | 'degraded' = 'degraded';
  private clusterReason: string | undefined = startingReason;
  private clusterStarted = false;
  private cachedReport: ClusterReport | undefined;
  private hookResult: (StatusHookReport & { runs: number }) | undefined;

  constructor(options: HealthModelOptions) {
    this.options = options;
    for (const probe of options.probes) {
      this.probes.set(probe.name, { name: probe.name, checker: probe.checker, status: 'unknown', severity: probe.severity });
    }
  }

  /** Takes one inspection record; returns the transitions it caused (often none). */
  apply(record: InspectionRecord): HealthTransition[] {
    if (record.kind !== 'snapshot') return [];
    this.cachedReport = undefined;
    if (record.path.startsWith(healthPaths.probePrefix) && !record.path.slice(healthPaths.probePrefix.length).includes('/')) {
      return this.applyProbe(record.path.slice(healthPaths.probePrefix.length), record.value, record.context);
    }
    if (record.path === healthPaths.node(this.options.node.name)) return this.applyNode(record.value);
    if (record.path === healthPaths.cluster) return this.applyCluster(record.value, record.context);
    if (record.path === healthPaths.statusHook) return this.applyStatusHook(record.context);
    return [];
  }

  /**
   * The current picture. The same object is returned until something changes, so that readers can
   * cache what they derive from it (the endpoint serializes it once per change); `time` is when it
   * was taken.
   */
  report(now: number): ClusterReport {
    this.cachedReport ??= this.buildReport(now);
    return this.cachedReport;
  }

  private buildReport(now: number): ClusterReport {
    const { node } = this.options;
    return {
      name: this.options.clusterName,
      status: this.clusterStatus,
      ...(this.clusterStatus === 'degraded' && this.clusterReason !== undefined ? { reason: this.clusterReason } : {}),
      ...(this.options.application === undefined ? {} : { application: this.options.application }),
      ...(this.hookResult === undefined ? {} : { statusHook: this.statusHookReport(this.hookResult) }),
      nodes: [
        {
          name: node.name,
          addr: node.addr,
          role: node.role,
          member: 'alive',
          status: this.nodeStatus,
          probes: [...this.probes.values()].map((probe) => ({ ...probe })),
        },
      ],
      time: now,
    };
  }

  /** The status hook's last result, if it has run. */
  statusHook(): StatusHookReport | undefined {
    return this.hookResult === undefined ? undefined : this.statusHookReport(this.hookResult);
  }

  private statusHookReport({ result, message, output }: StatusHookReport): StatusHookReport {
    return { result, ...(message === undefined ? {} : { message }), ...(output === undefined ? {} : { output }) };
  }

  /** The probe's current report, for tests and the node bridge. */
  probe(name: string): ProbeReport | undefined {
    return this.probes.get(name);
  }

  private applyProbe(name: string, value: JsonValue, context: JsonValue | undefined): HealthTransition[] {
    const status = probeStatusOf(value);
    const current = this.probes.get(name);
    if (status === undefined || status === 'stopped' || current === undefined) return [];
    const error = text(field(context, 'error'));
    const checkedAt = field(context, 'checkedAt');
    const durationMs = field(context, 'durationMs');
    const next: ProbeReport = {
      name,
      checker: current.checker,
      status,
      severity: current.severity,
      ...(status === 'failed' && error !== undefined ? { error } : {}),
      ...(typeof checkedAt === 'number' ? { checkedAt } : {}),
      ...(typeof durationMs === 'number' ? { durationMs } : {}),
    };
    this.probes.set(name, next);
    if (current.status === status) return [];
    return [
      {
        kind: 'probe',
        probe: name,
        checker: current.checker,
        severity: current.severity,
        from: current.status,
        to: status,
        ...(next.error === undefined ? {} : { error: next.error }),
      },
    ];
  }

  private applyNode(value: JsonValue): HealthTransition[] {
    const status: NodeHealth | undefined = value === 'running' ? 'running' : value === 'degraded' ? 'degraded' : value === 'starting' ? 'unknown' : undefined;
    if (status === undefined || status === this.nodeStatus) return [];
    const from = this.nodeStatus;
    this.nodeStatus = status;
    return [{ kind: 'node', from, to: status }];
  }

  private applyCluster(value: JsonValue, context: JsonValue | undefined): HealthTransition[] {
    if (value !== 'running' && value !== 'degraded') return [];
    if (!this.clusterStarted && value === 'degraded' && anyNodeUnknown(context)) {
      // Not verified yet (as a new Consul check starts critical): degraded, but not a transition.
      this.clusterReason = startingReason;
      return [];
    }
    const reason = value === 'degraded' ? clusterReasonOf(context) : undefined;
    const from = this.clusterStatus;
    const firstVerdict = !this.clusterStarted;
    this.clusterStarted = true;
    this.clusterStatus = value;
    this.clusterReason = reason;
    // The first verdict is recorded only when it is bad: an agent starting healthy adds no noise.
    if (firstVerdict ? value === 'running' : from === value) return [];
    return [{ kind: 'cluster', from, to: value, ...(reason === undefined ? {} : { reason }) }];
  }

  private applyStatusHook(context: JsonValue | undefined): HealthTransition[] {
    const result = field(context, 'lastResult');
    const runs = field(context, 'runs');
    if ((result !== 'passed' && result !== 'failed') || typeof runs !== 'number') return [];
    if (this.hookResult?.runs === runs) return [];
    const message = text(field(context, 'lastMessage'));
    const output = text(field(context, 'lastOutput'));
    const report = this.statusHookReport({ result, ...(message === undefined ? {} : { message }), ...(output === undefined ? {} : { output }) });
    this.hookResult = { ...report, runs };
    return [{ kind: 'statusHook', ...report }];
  }
}

function anyNodeUnknown(context: JsonValue | undefined): boolean {
  const nodes = field(context, 'nodes');
  return nodes !== null && typeof nodes === 'object' && !Array.isArray(nodes) && Object.values(nodes).includes('unknown');
}

/** The cluster machine's degraded reason, from the context its snapshot carries. */
function clusterReasonOf(context: JsonValue | undefined): string | undefined {
  const nodes = field(context, 'nodes');
  const statusHook = field(context, 'statusHook');
  if (nodes === null || typeof nodes !== 'object' || Array.isArray(nodes) || typeof statusHook !== 'string') return undefined;
  return degradedReason(context as unknown as ClusterContext);
}
