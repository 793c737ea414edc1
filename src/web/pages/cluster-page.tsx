// The cluster page: every node with its member status and its probes (status, severity, error, last
// check), failed probes highlighted with their errors. Follows the live status.

import type { JSX } from 'preact';
import type { ClusterReport, NodeReport, ProbeReport } from '../../health/types.ts';
import { formatTime } from '../model/format.ts';

function ProbeRow({ probe }: { probe: ProbeReport }): JSX.Element {
  return (
    <tr class={`probe status-${probe.status}`} data-testid="probe-row" data-probe={probe.name} data-status={probe.status}>
      <td class="name">{probe.name}</td>
      <td>{probe.checker}</td>
      <td>
        <span class={`badge badge-${probe.status}`}>{probe.status}</span>
      </td>
      <td>{probe.severity}</td>
      <td class="error" data-testid="probe-error">
        {probe.error ?? ''}
      </td>
      <td class="time">{probe.checkedAt === undefined ? '—' : formatTime(probe.checkedAt)}</td>
      <td class="number">{probe.durationMs === undefined ? '' : `${probe.durationMs} ms`}</td>
    </tr>
  );
}

function NodeCard({ node }: { node: NodeReport }): JSX.Element {
  const failed = node.probes.filter((probe) => probe.status === 'failed').length;
  return (
    <section class={`card node status-${node.status}`} data-testid="node" data-node={node.name} data-status={node.status}>
      <h2>
        {node.name} <span class={`badge badge-${node.status}`}>{node.status}</span>
      </h2>
      <p class="muted">
        {node.addr} · {node.role} · member <span data-testid="member-status">{node.member}</span> · {node.probes.length} probes
        {failed > 0 ? `, ${failed} failed` : ''}
      </p>
      {node.probes.length === 0 ? (
        <p class="muted">No probes configured.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Probe</th>
              <th>Checker</th>
              <th>Status</th>
              <th>Severity</th>
              <th>Error</th>
              <th>Checked</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {node.probes.map((probe) => (
              <ProbeRow key={probe.name} probe={probe} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ClusterPage({ status }: { status: ClusterReport | undefined }): JSX.Element {
  if (status === undefined) return <p class="muted">Loading the cluster's status…</p>;
  return (
    <div class="page cluster-page" data-testid="cluster-page">
      <h1>
        Cluster {status.name}
        {status.application === undefined ? '' : (
          <span class="muted small">
            {' '}
            · {status.application.name}
            {status.application.version === undefined ? '' : ` ${status.application.version}`}
          </span>
        )}
      </h1>
      <p class="muted">As of {formatTime(status.time)}</p>
      {status.nodes.map((node) => (
        <NodeCard key={node.name} node={node} />
      ))}
    </div>
  );
}
