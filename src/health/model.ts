// The agent's live picture of its health, rebuilt from the typed health signals the actors' hosts
// attach to their snapshot records on the inspection bus (src/actors/health-reporting.ts): each
// probe's status and error, each node machine's state, the cluster machine's state and reason, the
// status hook's last result. Everything about a node is keyed by its name, so another node is one
// more entry. The health endpoint, `gravity status` and the metrics read `report()`, which never
// waits on a check. `apply()` also says what changed, which is what the status history records.

import type { InspectionRecord } from '../actors/inspection.ts';
import type { NodeRole } from '../config/types.ts';
import type { ProbeSeverity } from '../probes/types.ts';
import type { ClusterReport, HealthSignal, NodeHealth, NodeReport, ProbeReport, ProbeStatus, StatusHookReport } from './types.ts';

/**
 * A change the model saw. `node` names the node of a probe or node transition; it is absent only in
 * transitions built by hand for the local node (toHistoryEvents then uses the node it is given).
 */
export type HealthTransition =
  | { kind: 'probe'; node?: string; probe: string; checker: string; severity: ProbeSeverity; from: ProbeStatus; to: ProbeStatus; error?: string }
  | { kind: 'node'; node?: string; from: NodeHealth; to: NodeHealth }
  | { kind: 'cluster'; from: 'running' | 'degraded'; to: 'running' | 'degraded'; reason?: string }
  | { kind: 'statusHook'; result: 'passed' | 'failed'; message?: string; output?: string };

/** A member of the cluster as the report names it. */
export interface HealthModelNode {
  name: string;
  role: NodeRole;
  addr: string;
}

/** A configured probe, `unknown` until its first result. */
export interface HealthModelProbe {
  name: string;
  checker: string;
  severity: ProbeSeverity;
}

export interface HealthModelOptions {
  clusterName: string;
  /** This agent's node: the first in the report, and the node of probe signals that name none. */
  node: HealthModelNode;
  /** The configured probes of this node. */
  probes: HealthModelProbe[];
  /** Other members, listed after this node in the report, with their probes. */
  peers?: (HealthModelNode & { probes: HealthModelProbe[] })[];
  application?: { name: string; version?: string };
}

interface NodeEntry {
  member: HealthModelNode;
  status: NodeHealth;
  probes: Map<string, ProbeReport>;
}

const startingReason = 'starting: waiting for the first health checks';

function nodeEntry(member: HealthModelNode, probes: readonly HealthModelProbe[]): NodeEntry {
  return {
    member: { name: member.name, role: member.role, addr: member.addr },
    status: 'unknown',
    probes: new Map(probes.map((probe) => [probe.name, { name: probe.name, checker: probe.checker, status: 'unknown', severity: probe.severity }])),
  };
}

/**
 * @example const model = new HealthModel(options); bus.subscribe((r) => model.apply(r), { kinds: ['snapshot'] });
 */
export class HealthModel {
  private readonly options: HealthModelOptions;
  private readonly nodes = new Map<string, NodeEntry>();
  private clusterStatus: 'running' | 'degraded' = 'degraded';
  private clusterReason: string | undefined = startingReason;
  private clusterStarted = false;
  private cachedReport: ClusterReport | undefined;
  private hookResult: (StatusHookReport & { runs: number }) | undefined;

  constructor(options: HealthModelOptions) {
    this.options = options;
    this.nodes.set(options.node.name, nodeEntry(options.node, options.probes));
    for (const peer of options.peers ?? []) {
      if (!this.nodes.has(peer.name)) this.nodes.set(peer.name, nodeEntry(peer, peer.probes));
    }
  }

  /** Takes one inspection record; returns the transitions its health signal caused (often none). */
  apply(record: InspectionRecord): HealthTransition[] {
    if (record.kind !== 'snapshot') return [];
    this.cachedReport = undefined;
    return record.health === undefined ? [] : this.applySignal(record.health);
  }

  /** Takes one health signal; returns the transitions it caused (often none). */
  applySignal(signal: HealthSignal): HealthTransition[] {
    this.cachedReport = undefined;
    switch (signal.kind) {
      case 'probe':
        return this.applyProbe(signal);
      case 'node':
        return this.applyNode(signal);
      case 'cluster':
        return this.applyCluster(signal);
      case 'status-hook':
        return this.applyStatusHook(signal);
    }
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
    return {
      name: this.options.clusterName,
      status: this.clusterStatus,
      ...(this.clusterStatus === 'degraded' && this.clusterReason !== undefined ? { reason: this.clusterReason } : {}),
      ...(this.options.application === undefined ? {} : { application: this.options.application }),
      ...(this.hookResult === undefined ? {} : { statusHook: this.statusHookReport(this.hookResult) }),
      nodes: [...this.nodes.values()].map(
        (entry): NodeReport => ({
          name: entry.member.name,
          addr: entry.member.addr,
          role: entry.member.role,
          member: 'alive',
          status: entry.status,
          probes: [...entry.probes.values()].map((probe) => ({ ...probe })),
        }),
      ),
      time: now,
    };
  }

  /** The names of the nodes the model knows, this agent's first. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** The status hook's last result, if it has run. */
  statusHook(): StatusHookReport | undefined {
    return this.hookResult === undefined ? undefined : this.statusHookReport(this.hookResult);
  }

  private statusHookReport({ result, message, output }: StatusHookReport): StatusHookReport {
    return { result, ...(message === undefined ? {} : { message }), ...(output === undefined ? {} : { output }) };
  }

  /** A probe's current report (of this agent's node unless `node` is given), for tests and the node bridge. */
  probe(name: string, node: string = this.options.node.name): ProbeReport | undefined {
    return this.nodes.get(node)?.probes.get(name);
  }

  private applyProbe(signal: Extract<HealthSignal, { kind: 'probe' }>): HealthTransition[] {
    const node = signal.node ?? this.options.node.name;
    const { status, error, checkedAt, durationMs } = signal.report;
    const probes = this.nodes.get(node)?.probes;
    const current = probes?.get(signal.probe);
    if (status === 'stopped' || probes === undefined || current === undefined) return [];
    const next: ProbeReport = {
      name: signal.probe,
      checker: current.checker,
      status,
      severity: current.severity,
      ...(status === 'failed' && error !== undefined ? { error } : {}),
      ...(checkedAt === undefined ? {} : { checkedAt }),
      ...(durationMs === undefined ? {} : { durationMs }),
    };
    probes.set(signal.probe, next);
    if (current.status === status) return [];
    return [
      {
        kind: 'probe',
        node,
        probe: signal.probe,
        checker: current.checker,
        severity: current.severity,
        from: current.status,
        to: status,
        ...(next.error === undefined ? {} : { error: next.error }),
      },
    ];
  }

  private applyNode(signal: Extract<HealthSignal, { kind: 'node' }>): HealthTransition[] {
    const entry = this.nodes.get(signal.node);
    const status: NodeHealth | undefined =
      signal.status === 'running' ? 'running' : signal.status === 'degraded' ? 'degraded' : signal.status === 'starting' ? 'unknown' : undefined;
    if (entry === undefined || status === undefined || status === entry.status) return [];
    const from = entry.status;
    entry.status = status;
    return [{ kind: 'node', node: signal.node, from, to: status }];
  }

  private applyCluster(signal: Extract<HealthSignal, { kind: 'cluster' }>): HealthTransition[] {
    const { status } = signal;
    if (status === 'stopped') return [];
    if (!this.clusterStarted && status === 'degraded' && signal.awaitingNodes) {
      // Not verified yet (as a new Consul check starts critical): degraded, but not a transition.
      this.clusterReason = startingReason;
      return [];
    }
    const reason = status === 'degraded' ? signal.reason : undefined;
    const from = this.clusterStatus;
    const firstVerdict = !this.clusterStarted;
    this.clusterStarted = true;
    this.clusterStatus = status;
    this.clusterReason = reason;
    // The first verdict is recorded only when it is bad: an agent starting healthy adds no noise.
    if (firstVerdict ? status === 'running' : from === status) return [];
    return [{ kind: 'cluster', from, to: status, ...(reason === undefined ? {} : { reason }) }];
  }

  private applyStatusHook(signal: Extract<HealthSignal, { kind: 'status-hook' }>): HealthTransition[] {
    if (this.hookResult?.runs === signal.runs) return [];
    const report = this.statusHookReport(signal);
    this.hookResult = { ...report, runs: signal.runs };
    return [{ kind: 'statusHook', ...report }];
  }
}
