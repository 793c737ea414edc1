// The one line `systemctl status gravity-agent` shows under "Status:", made from the agent's health
// report: whether the cluster runs, and when it does not, the first thing that is wrong (the failed
// probe with its error, the failing status hook, the unhealthy node), so that an operator reading
// `systemctl status` knows where to look without another command.

import type { ClusterReport, ProbeReport } from '../health/types.ts';
import { statusText } from './notify-protocol.ts';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function describeProbe(probe: ProbeReport, node: string): string {
  return `probe ${probe.name} failed on ${node}${probe.error === undefined ? '' : `: ${probe.error}`}`;
}

/**
 * @example clusterStatusLine(report) // 'cluster degraded: probe web failed on node-1: connection refused'
 */
export function clusterStatusLine(report: ClusterReport): string {
  const probes = report.nodes.flatMap((node) => node.probes.map((probe) => ({ probe, node: node.name })));
  const failed = probes.filter(({ probe }) => probe.status === 'failed');
  const passing = probes.filter(({ probe }) => probe.status === 'running').length;
  const counts = `${plural(report.nodes.length, 'node')}, ${passing === probes.length ? plural(probes.length, 'probe') + ' passing' : `${passing} of ${plural(probes.length, 'probe')} passing`}`;

  if (report.status === 'running') {
    const warning = failed[0];
    return statusText(`cluster running: ${counts}${warning === undefined ? '' : ` (warning: ${describeProbe(warning.probe, warning.node)})`}`);
  }
  if (report.reason?.startsWith('starting') === true) return statusText(`cluster ${report.reason}`);
  const critical = failed.filter(({ probe }) => probe.severity === 'critical');
  const first = critical[0];
  if (first !== undefined) {
    const more = critical.length > 1 ? ` (+${critical.length - 1} more)` : '';
    return statusText(`cluster degraded: ${describeProbe(first.probe, first.node)}${more}`);
  }
  const unhealthy = report.nodes.find((node) => node.status !== 'running');
  const reason = report.reason ?? (unhealthy === undefined ? 'unknown reason' : `node ${unhealthy.name} is ${unhealthy.status}`);
  return statusText(`cluster degraded: ${reason}`);
}
