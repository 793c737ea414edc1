// How `gravity status` prints the cluster's health: Gravity's layout (cluster name and status with
// the degraded reason, application, the status hook's result and why it failed, versions, then each
// node under Masters/Nodes with its status and its failed probes, then this node's system facts when
// the agent gave them), aligned the way Go's tabwriter aligns it. Pure: a ClusterReport in, text out.

import type { SystemFactsResult } from '../api/control-protocol.ts';
import type { ClusterReport, NodeReport, ProbeReport, StatusHookReport } from '../health/types.ts';
import { terminalLine } from './terminal-text.ts';

export type StatusFormat = 'text' | 'json';

/** A node's status as `gravity status` names it. */
export type NodeStatusText = 'healthy' | 'degraded' | 'offline';

/** Gravity's reason for a cluster degraded by its nodes, used when the report gives none. */
export const nodesUnhealthyReason = 'one or more of cluster nodes are not healthy';

/** Marks of a failed critical probe and of a failed warning probe. */
export const failedMark = '[×]';
export const warningMark = '[!]';

export interface StatusVersions {
  /** This CLI's version. */
  client: string;
  /** The agent's version; `n/a` when unknown. */
  server?: string;
}

/** Width as a terminal shows it for the text gravity prints: one column per code point. */
function cellWidth(cell: string): number {
  return [...cell].length;
}

function padCell(cell: string, width: number): string {
  return cell + ' '.repeat(Math.max(0, width - cellWidth(cell)));
}

/** Cells a tab ends, in lines that follow each other, form a column (Go's text/tabwriter rules). */
function alignBlock(rows: string[][], from: number, to: number, widths: number[], padding: number, out: string[]): void {
  const column = widths.length;
  let start = from;
  const flush = (until: number): void => {
    for (let index = start; index < until; index++) {
      const cells = rows[index] ?? [];
      out[index] = cells.map((cell, at) => (at < cells.length - 1 ? padCell(cell, widths[at] ?? 0) : cell)).join('');
    }
    start = until;
  };
  for (let index = from; index < to; index++) {
    if (column >= (rows[index]?.length ?? 0) - 1) continue;
    flush(index);
    let width = 0;
    let end = index;
    for (; end < to; end++) {
      const cells = rows[end] ?? [];
      if (column >= cells.length - 1) break;
      width = Math.max(width, cellWidth(cells[column] ?? '') + padding);
    }
    alignBlock(rows, index, end, [...widths, width], padding, out);
    start = end;
    index = end - 1;
  }
  flush(to);
}

/**
 * Aligns tab-separated cells as Go's tabwriter does with spaces for padding: each run of lines that have
 * a cell in a column shares that column's width (the widest cell plus `padding`).
 * @example tabwrite(['Cluster name:\tprod', 'Cluster status:\tactive']) // ['Cluster name:    prod', 'Cluster status:  active']
 */
export function tabwrite(lines: readonly string[], padding = 2): string[] {
  const rows = lines.map((line) => line.split('\t'));
  const out: string[] = new Array<string>(lines.length).fill('');
  alignBlock(rows, 0, rows.length, [], padding, out);
  return out;
}

/** `healthy`, `degraded` or `offline`, as Gravity: a node that reports nothing or has failed or left is offline. */
export function nodeStatusText(node: NodeReport): NodeStatusText {
  if (node.status === 'unknown' || node.member === 'failed' || node.member === 'left') return 'offline';
  return node.status === 'degraded' ? 'degraded' : 'healthy';
}

/** Why the cluster is degraded: the report's reason, or Gravity's reason when its nodes degrade it. */
export function degradedReason(report: ClusterReport): string | undefined {
  if (report.status !== 'degraded') return undefined;
  if (report.reason !== undefined && report.reason !== '') return report.reason;
  return report.nodes.some((node) => nodeStatusText(node) !== 'healthy') ? nodesUnhealthyReason : undefined;
}

function probeText(probe: ProbeReport): string {
  const name = terminalLine(probe.name);
  return probe.error === undefined || probe.error === '' ? name : `${name} (${terminalLine(probe.error)})`;
}

function nodeLines(node: NodeReport): string[] {
  const name = terminalLine(node.name);
  const lines = [node.addr === '' ? `        * ${name}` : `        * ${name} / ${terminalLine(node.addr)}`, `            Status:\t${nodeStatusText(node)}`];
  const failed = node.probes.filter((probe) => probe.status === 'failed');
  for (const probe of failed.filter((item) => item.severity !== 'warning')) lines.push(`            ${failedMark}\t${probeText(probe)}`);
  for (const probe of failed.filter((item) => item.severity === 'warning')) lines.push(`            ${warningMark}\t${probeText(probe)}`);
  return lines;
}

/** `Status hook:  passed`, or `failed: <message>` with the end of the hook's output under it. */
function statusHookLines(hook: StatusHookReport): string[] {
  if (hook.result === 'passed') return ['Status hook:\tpassed'];
  const lines = [`Status hook:\tfailed${hook.message === undefined || hook.message === '' ? '' : `: ${terminalLine(hook.message)}`}`];
  if (hook.output !== undefined && hook.output !== '') lines.push('\tlast output:', ...hook.output.split('\n').map((line) => `\t  ${terminalLine(line)}`));
  return lines;
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Bytes in binary units with one decimal (whole bytes below 1 KiB).
 * @example formatBytes(3 * 1024 ** 3) // '3.0 GiB'
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Number.isFinite(bytes) ? Math.max(0, Math.round(bytes)) : 0} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${byteUnits[unit] ?? 'B'}`;
}

/** The `System:` section: this node's CPU, memory, OS and disks, as the agent read them. */
export function systemLines(system: SystemFactsResult): string[] {
  const os = [system.os.distro, system.os.release].filter((part) => part !== '').join(' ');
  const lines = [
    'System:',
    `    CPU:\t${system.cpu.count} × ${system.cpu.model === '' ? 'unknown model' : terminalLine(system.cpu.model)}`,
    `    Memory:\t${formatBytes(system.memory.available)} available of ${formatBytes(system.memory.total)}`,
    `    OS:\t${terminalLine(os === '' ? 'unknown' : os)}${system.os.kernel === '' ? '' : ` (kernel ${terminalLine(system.os.kernel)})`}`,
  ];
  if (system.disks.length > 0) {
    lines.push('    Disks:');
    for (const disk of system.disks) {
      lines.push(`        ${terminalLine(disk.mount)}\t${formatBytes(disk.size)}\t${formatBytes(disk.used)} used\t${formatBytes(disk.available)} available`);
    }
    if (system.disksTruncated) lines.push('        (more filesystems not shown)');
  }
  return lines;
}

/**
 * The text of `gravity status`, ending with a newline.
 * @example output.out(formatStatusText(report, { client: '0.1.0', server: '0.1.0' }));
 */
export function formatStatusText(report: ClusterReport, versions: StatusVersions, system?: SystemFactsResult): string {
  const reason = degradedReason(report);
  // Every value from the report is one cell of one line: terminalLine shows a newline, tab or escape in it.
  const lines = [`Cluster name:\t${terminalLine(report.name)}`];
  lines.push(`Cluster status:\t${report.status === 'running' ? 'active' : 'degraded'}${reason === undefined ? '' : ` (${terminalLine(reason)})`}`);
  if (report.application !== undefined) {
    const name = terminalLine(report.application.name);
    const version = report.application.version === undefined ? undefined : terminalLine(report.application.version);
    lines.push(`Application:\t${version === undefined || version === '' ? name : `${name}, version ${version}`}`);
  }
  if (report.statusHook !== undefined) lines.push(...statusHookLines(report.statusHook));
  lines.push(`Gravity version:\t${versions.client} (client) / ${versions.server ?? 'n/a'} (server)`);
  lines.push('Cluster nodes:');
  const masters = report.nodes.filter((node) => node.role === 'master');
  const workers = report.nodes.filter((node) => node.role !== 'master');
  if (masters.length > 0) lines.push('    Masters:', ...masters.flatMap(nodeLines));
  if (workers.length > 0) lines.push('    Nodes:', ...workers.flatMap(nodeLines));
  if (system !== undefined) lines.push(...systemLines(system));
  return tabwrite(lines)
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * `gravity status` in a format: the text above, or the ClusterReport as JSON (with `system` when given).
 * @example output.out(formatStatus(report, versions, options.format, system));
 */
export function formatStatus(report: ClusterReport, versions: StatusVersions, format: StatusFormat, system?: SystemFactsResult): string {
  if (format === 'json') return `${JSON.stringify(system === undefined ? report : { ...report, system }, null, 2)}\n`;
  return formatStatusText(report, versions, system);
}
