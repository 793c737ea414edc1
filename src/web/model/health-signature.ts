// A short text that changes exactly when the cluster's statuses change (not when a probe merely
// checks again): what the status history records, so the history page refetches only then.

import type { ClusterReport } from '../../health/types.ts';

/**
 * @example healthSignature(report) // 'degraded|node-1:degraded:alive[disk=running,tcp=failed]'
 */
export function healthSignature(report: ClusterReport | undefined): string {
  if (report === undefined) return '';
  const nodes = report.nodes.map(
    (node) => `${node.name}:${node.status}:${node.member}[${node.probes.map((probe) => `${probe.name}=${probe.status}`).join(',')}]`,
  );
  return `${report.status}|${nodes.join(';')}`;
}
