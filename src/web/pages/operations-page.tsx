// The operations page: operations newest first as summaries (state, counts of phases by state), each
// opening to its plan as an indented tree showing every phase's state, error and last change. A plan
// is fetched when its operation is opened (the newest is open from the start), and again whenever its
// summary changes, so that it follows a running operation live.

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { OperationDetailResponse, OperationSummary, OperationsResponse } from '../../api/panel-protocol.ts';
import { getJson, isAbort } from '../api/http.ts';
import { formatTime } from '../model/format.ts';
import { fillRoute } from '../model/routes.ts';
import { newestFirst, phaseRows, phaseStateText, summaryLeaves, summaryVersion } from '../model/phase-rows.ts';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The operation's plan, fetched when shown and again when `version` changes. */
function OperationPlan({ id, version }: { id: string; version: string }): JSX.Element {
  const [detail, setDetail] = useState<OperationDetailResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    getJson<OperationDetailResponse>(fillRoute(panelRoutes.operation, { id }), { signal: controller.signal }).then(
      (answer) => {
        setDetail(answer);
        setError(undefined);
      },
      (failure: unknown) => {
        if (!isAbort(failure)) setError(messageOf(failure));
      },
    );
    return () => controller.abort();
  }, [id, version]);

  if (detail === undefined) {
    return (
      <p class="muted" data-testid="plan-loading">
        {error === undefined ? 'Loading the plan…' : `The plan could not be read: ${error}`}
      </p>
    );
  }
  return (
    <>
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
          {phaseRows(detail.operation.plan).map(({ phase, depth }) => (
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
      {detail.omittedPhases > 0 && (
        <p class="muted" data-testid="phases-omitted">
          {detail.omittedPhases} of {detail.phaseCount} phases are not shown: the plan is too large for the panel. <code>gravity plan</code> on a node shows it
          all.
        </p>
      )}
    </>
  );
}

function OperationCard({ operation, open, onToggle }: { operation: OperationSummary; open: boolean; onToggle: () => void }): JSX.Element {
  const counts = operation.phases;
  const state = operation.rolledBack === true ? 'rolled_back' : operation.state;
  return (
    <section class={`card operation state-${state}`} data-testid="operation" data-operation-id={operation.id} data-state={operation.state} data-open={String(open)}>
      <h2>
        {operation.description} <span class={`badge badge-${state}`}>{phaseStateText(state)}</span>
      </h2>
      <p class="muted">
        {operation.type} · {operation.id} · created {formatTime(operation.created)} · updated {formatTime(operation.updated)} · {counts.completed}/
        {summaryLeaves(operation)} phases completed
        {counts.failed > 0 ? `, ${counts.failed} failed` : ''}
        {counts.rolled_back > 0 ? `, ${counts.rolled_back} rolled back` : ''}{' '}
        <button type="button" class="link-button" data-testid="operation-toggle" aria-expanded={open} onClick={onToggle}>
          {open ? 'Hide the plan' : 'Show the plan'}
        </button>
      </p>
      {open && <OperationPlan id={operation.id} version={summaryVersion(operation)} />}
    </section>
  );
}

export function OperationsPage({ operations }: { operations: OperationsResponse | undefined }): JSX.Element {
  // Opened and closed by the user; the newest operation is open until it is closed.
  const [toggled, setToggled] = useState<ReadonlyMap<string, boolean>>(new Map());
  if (operations === undefined) return <p class="muted">Loading operations…</p>;
  const list = newestFirst(operations.operations);
  const isOpen = (id: string, index: number): boolean => toggled.get(id) ?? index === 0;
  const toggle = (id: string, index: number): void => setToggled(new Map([...toggled, [id, !isOpen(id, index)]]));
  return (
    <div class="page operations-page" data-testid="operations-page">
      <h1>Operations</h1>
      {list.length === 0 ? (
        <p class="muted" data-testid="operations-empty">
          No operations yet.
        </p>
      ) : (
        list.map((operation, index) => (
          <OperationCard key={operation.id} operation={operation} open={isOpen(operation.id, index)} onToggle={() => toggle(operation.id, index)} />
        ))
      )}
    </div>
  );
}
