// The health endpoint's JSON (GET / and GET /local on :7575), built from the health snapshot. It is
// Gravity's format, key for key and in the same (alphabetical) order, so that scripts written
// against Gravity's endpoint keep working: cluster `status`, and per node `member_status`, `name`,
// `probes[] {checker, error?, severity?, status}` and `status`.

import type { ClusterReport, HealthEndpointJson, NodeReport } from './types.ts';

export type NodeEndpointJson = HealthEndpointJson['nodes'][number];
type ProbeEndpointJson = NodeEndpointJson['probes'][number];

/** The address without its port: `10.0.0.5:7575` → `10.0.0.5`, `[::1]:7575` → `::1`. */
function hostOf(addr: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/u.exec(addr);
  if (bracketed !== null) return bracketed[1] ?? addr;
  const hostPort = /^([^:]+):\d+$/u.exec(addr);
  return hostPort === null ? addr : (hostPort[1] ?? addr);
}

/**
 * One node's entry. `addr` is the node's advertise address as the report has it and `publicip` the
 * same address without a port (Gravity left both empty in its docs' examples); `error` appears only
 * on a failed probe and `severity` only on a warning probe.
 * @example nodeEndpointJson(report.nodes[0])
 */
export function nodeEndpointJson(node: NodeReport): NodeEndpointJson {
  return {
    member_status: {
      addr: node.addr,
      name: node.name,
      status: node.member,
      tags: { publicip: hostOf(node.addr), role: node.role },
    },
    name: node.name,
    probes: node.probes.map((probe): ProbeEndpointJson => ({
      checker: probe.name,
      ...(probe.status === 'failed' && probe.error !== undefined ? { error: probe.error } : {}),
      ...(probe.severity === 'warning' ? { severity: probe.severity } : {}),
      status: probe.status,
    })),
    status: node.status,
  };
}

/**
 * The whole cluster's JSON (GET /).
 * @example JSON.stringify(healthEndpointJson(model.report(Date.now())))
 */
export function healthEndpointJson(report: ClusterReport): HealthEndpointJson {
  return { nodes: report.nodes.map(nodeEndpointJson), status: report.status };
}

/** The HTTP status the endpoint answers with: 200 while running, 503 otherwise (as Satellite). */
export function healthHttpStatus(status: ClusterReport['status'] | NodeReport['status']): 200 | 503 {
  return status === 'running' ? 200 : 503;
}
