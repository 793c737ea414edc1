// The operations page: operations newest first, each with its plan as an indented tree showing
// every phase's state, error and last change. Follows the live operations while one runs.

import type { JSX } from 'preact';
import type { OperationsResponse } from '../../api/panel-protocol.ts';
import type { Operation } from '../../plan/types.ts';
import { formatTime } from '../model/format.ts';
import { leafCounts, newestFirst, phaseRows, phaseStateText } from '../model/phase-rows.ts';

function OperationCard({ operation }: { operation: Operation }): JSX.Element {
  const counts = leafCounts(operation.plan);
  const leaves = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const state = operation.rolledBack === true ? 'rolled_back' : operation.state;
  return (
    <section class={`card operation state-${state}`} data-testid="operation" data-operation-id={operation.id} data-state={operation.state}>
      <h2>
        {operation.description} <span class={`badge badge-${state}`}>{phaseStateText(state)}</span>
      </h2>
      <p class="muted">
        {operation.type} · {operation.id} · created {formatTime(operation.created)} · updated {formatTime(operation.updated)} · {counts.completed}/
        {leaves} phases completed
        {counts.failed > 0 ? `, ${counts.failed} failed` : ''}
        {counts.rolled_back > 0 ? `, ${counts.rolled_back} rolled back` : ''}
      </p>
      <table class="table plan">
        <thead>
          <tr>
            <th>Phase</th>
            <th>Description</th>
            <th>State</th>
            <th>Node</th>
            <th>Updated</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {phaseRows(operation.plan).map(({ phase, depth }) => (
            <tr key={phase.id} class={`phase-row state-${phase.state}`} data-testid="phase-row" data-phase-id={phase.id} data-state={phase.state}>
              <td class="phase-id" style={{ paddingLeft: `${0.6 + depth * 1.4}em` }}>
                {phase.id}
              </td>
              <td>{phase.description}</td>
              <td>
                <span class={`badge badge-${phase.state}`} data-testid="phase-state">
                  {phaseStateText(phase.state)}
                </span>
              </td>
              <td>{phase.node ?? ''}</td>
              <td class="time">{phase.updated === undefined ? '—' : formatTime(phase.updated)}</td>
              <td class="error">{phase.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function OperationsPage({ operations }: { operations: OperationsResponse | undefined }): JSX.Element {
  if (operations === undefined) return <p class="muted">Loading operations…</p>;
  const list = newestFirst(operations.operations);
  return (
    <div class="page operations-page" data-testid="operations-page">
      <h1>Operations</h1>
      {list.length === 0 ? (
        <p class="muted" data-testid="operations-empty">
          No operations yet.
        </p>
      ) : (
        list.map((operation) => <OperationCard key={operation.id} operation={operation} />)
      )}
    </div>
  );
}
