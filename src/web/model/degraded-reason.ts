// Why the cluster is degraded, in words the top bar can show: the failed probes with their errors
// and the nodes that are not healthy, rather than only the cluster machine's one-line reason
// ("one or more of cluster nodes are not healthy").

import type { ClusterReport, NodeReport } from '../../health/types.ts';

/**
 * The cluster machine's reason when nodes are unhealthy (src/machines/cluster.ts): it names no node,
 * so the failures themselves say more. Not imported from there, as that module carries XState; a
 * test keeps the two equal.
 */
export const nodesUnhealthyReason = 'one or more of cluster nodes are not healthy';

/**
 * One line per problem of a node: each failed probe with its error, a member that is not alive, or
 * a degraded status with no failed probe to explain it.
 * @example nodeProblems(node) // ['node-1: probe tcp-target failed: connection refused']
 */
export function nodeProblems(node: NodeReport): string[] {
  const lines: string[] = [];
  if (node.member !== 'alive') lines.push(`${node.name}: member ${node.member}`);
  const failed = node.probes.filter((probe) => probe.status === 'failed');
  for (const probe of failed) lines.push(`${node.name}: probe ${probe.name} failed${probe.error === undefined ? '' : `: ${probe.error}`}`);
  if (failed.length === 0 && node.status === 'degraded') lines.push(`${node.name}: degraded`);
  return lines;
}

/** Every line the degraded reason is made of; empty while the cluster is running. */
export function degradedLines(report: ClusterReport): string[] {
  if (report.status !== 'degraded') return [];
  const problems = report.nodes.flatMap(nodeProblems);
  if (problems.length === 0) return [report.reason ?? 'degraded'];
  if (report.reason === undefined || report.reason === nodesUnhealthyReason) return problems;
  return [report.reason, ...problems];
}

/**
 * The degraded reason on one line, or undefined while running.
 * @example degradedReason(report) // 'node-1: probe tcp-target failed: connection refused'
 */
export function degradedReason(report: ClusterReport): string | undefined {
  const lines = degradedLines(report);
  return lines.length === 0 ? undefined : lines.join('; ');
}
