// The health model's shapes: what the agent knows about its probes, nodes and cluster at one
// instant. The health endpoint, `gravity status`, the metrics and the control panel all read this one
// snapshot; it is kept up to date by the actors, so reading it never waits for a check.

import type { NodeRole } from '../config/types.ts';
import type { ProbeSeverity } from '../probes/types.ts';
import type { ProbeMachineReport } from '../machines/probe.ts';
import type { NodeMachineReport } from '../machines/node.ts';
import type { ClusterMachineReport } from '../machines/cluster.ts';
import type { StatusHookMachineReport } from '../machines/status-hook.ts';

export type ProbeStatus = 'unknown' | 'running' | 'failed';
export type NodeHealth = 'unknown' | 'running' | 'degraded';
/** The member status of a node, as Satellite names it. */
export type MemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

export interface ProbeReport {
  /** The probe's name (unique on its node). */
  name: string;
  checker: string;
  status: ProbeStatus;
  severity: ProbeSeverity;
  error?: string;
  /** Epoch ms of the last completed check. */
  checkedAt?: number;
  /** Duration of the last check in ms. */
  durationMs?: number;
}

export interface StatusHookReport {
  result: 'passed' | 'failed';
  /** One line: `hook status failed: exit code 1: database unreachable`. */
  message?: string;
  /** The last lines of the failed run's output (at most 10 lines, 1000 characters). */
  output?: string;
}

export interface NodeReport {
  name: string;
  addr: string;
  role: NodeRole;
  member: MemberStatus;
  status: NodeHealth;
  probes: ProbeReport[];
}

export interface ClusterReport {
  name: string;
  status: 'running' | 'degraded';
  /** Why the cluster is degraded, in one line ("application status check failed", ...). */
  reason?: string;
  application?: { name: string; version?: string };
  /** The application's status hook, once it has run: its last result and, when it failed, why. */
  statusHook?: StatusHookReport;
  nodes: NodeReport[];
  /** Epoch ms of this snapshot. */
  time: number;
}

/** The seed's health endpoint JSON (GET /). */
export interface HealthEndpointJson {
  status: 'running' | 'degraded';
  nodes: {
    name: string;
    member_status: { name: string; addr: string; status: MemberStatus; tags: { publicip: string; role: NodeRole } };
    status: NodeHealth;
    probes: { checker: string; status: ProbeStatus; error?: string; severity?: ProbeSeverity }[];
  }[];
}

/**
 * What a health actor says about itself, computed with its machine's selector (probeReport,
 * nodeReport, clusterReport, statusHookReport) by the host that runs it, and carried by the actor's
 * snapshot records on the inspection bus. The health model reads only these, keyed by node name.
 */
export type HealthSignal =
  /** `node` is absent for the agent's own probes, which check the node they run on. */
  | { kind: 'probe'; node?: string; probe: string; report: ProbeMachineReport }
  | ({ kind: 'node' } & NodeMachineReport)
  | ({ kind: 'cluster' } & ClusterMachineReport)
  | ({ kind: 'status-hook' } & StatusHookMachineReport);
