// The actors page: the supervision tree (state, thread, restarts, uptime of every child) and, for
// the selected actor, its machine's statechart with the current state lit, the transitions it takes
// flashing, and its recent events and states, which step-back / step-forward walk through.

import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useState } from 'preact/hooks';
import type { TreeResponse } from '../../api/panel-protocol.ts';
import type { TreeNodeInfo } from '../../supervisor/child.ts';
import type { LiveStore } from '../api/live-store.ts';
import { StatechartView } from '../components/statechart-view.tsx';
import { useFlash } from '../components/use-flash.ts';
import { useNow } from '../components/use-now.ts';
import { litStates, stateValueText } from '../model/lit-states.ts';
import { formatClock, formatDuration } from '../model/format.ts';
import { recordLabel, recordRawEvent, recordText } from '../model/record-text.ts';
import {
  canStepBack,
  canStepForward,
  cursorPosition,
  eventBefore,
  liveCursor,
  previousSnapshot,
  selectedSnapshot,
  snapshots,
  stepBack,
  stepForward,
} from '../model/record-steps.ts';
import type { KeptRecord, StepCursor } from '../model/record-steps.ts';
import { isReadingOlder, olderQuery, shownRecords, stepCursorFor } from '../model/record-window.ts';
import type { RecordWindow } from '../model/record-window.ts';
import { actorLocation } from '../model/routes.ts';
import { takenEdges } from '../model/taken-edges.ts';
import { findTreeNode } from '../../supervisor/find-tree-node.ts';
import { treeRows, uptimeMs } from '../model/tree-rows.ts';
import { Link, navigate } from '../router.tsx';
import { useActorRecords, useMachineChart } from './actor-data.ts';

export interface ActorsPageProps {
  tree: TreeResponse | undefined;
  treeReceivedAt: number | undefined;
  selected: string | undefined;
  live: LiveStore;
}

function TreeTable({ tree, receivedAt, selected }: { tree: TreeResponse; receivedAt: number; selected: string | undefined }): JSX.Element {
  const now = useNow();
  return (
    <div class="tree-frame">
      <table class="table tree" data-testid="supervision-tree">
        <thead>
          <tr>
            <th>Child</th>
            <th>Type</th>
            <th>State</th>
            <th>Thread</th>
            <th>Restarts</th>
            <th>Uptime</th>
            <th>Machine</th>
          </tr>
        </thead>
        <tbody>
          {treeRows(tree.root).map(({ node, depth }) => {
            const uptime = uptimeMs(node, tree, receivedAt, now);
            return (
              <tr
                key={node.path}
                class={node.path === selected ? 'tree-row selected' : 'tree-row'}
                data-actor-path={node.path}
                data-state={node.state}
                data-selected={String(node.path === selected)}
                onClick={() => navigate(actorLocation(node.path))}
              >
                <td class="tree-name" style={{ paddingLeft: `${0.6 + depth * 1.2}em` }}>
                  <Link href={actorLocation(node.path)}>{node.id}</Link>
                </td>
                <td>{node.type}</td>
                <td>
                  <span class={`badge badge-${node.state}`}>{node.state}</span>
                </td>
                <td>{node.thread}</td>
                <td class="number">{node.restarts}</td>
                <td class="number">{uptime === undefined ? '—' : formatDuration(uptime)}</td>
                <td class="machine">
                  {node.actor === undefined ? '' : node.actor}
                  {node.actorState === undefined ? '' : <span class="muted"> {stateValueText(node.actorState)}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function StepControls({ cursor, records, onMove }: { cursor: StepCursor; records: KeptRecord[]; onMove: (cursor: StepCursor) => void }): JSX.Element {
  const count = snapshots(records).length;
  const position = cursorPosition(cursor, records);
  const selected = selectedSnapshot(cursor, records);
  return (
    <div class="step-controls">
      <button type="button" data-testid="step-back" disabled={!canStepBack(cursor, records)} onClick={() => onMove(stepBack(cursor, records))}>
        ◀ Step back
      </button>
      <button type="button" data-testid="step-forward" disabled={!canStepForward(cursor, records)} onClick={() => onMove(stepForward(cursor, records))}>
        Step forward ▶
      </button>
      <button type="button" data-testid="step-live" class={cursor.live ? 'live-on' : ''} disabled={cursor.live} onClick={() => onMove(liveCursor)}>
        ● Live
      </button>
      <span class="step-position" data-testid="step-position" data-live={String(cursor.live)} data-step={String(position)}>
        {count === 0
          ? 'no recorded states yet'
          : `${cursor.live ? 'live · ' : ''}state ${position + 1} of ${count}${selected === undefined ? '' : ` · ${formatClock(selected.record.time)}`}`}
      </span>
    </div>
  );
}

function RecordPaging({ window, onOlder, onNewest }: { window: RecordWindow; onOlder: () => void; onNewest: () => void }): JSX.Element {
  const older = isReadingOlder(window);
  return (
    <div class="record-paging">
      <button type="button" data-testid="records-older" disabled={olderQuery(window) === undefined} onClick={onOlder}>
        ◀ Older
      </button>
      <button type="button" data-testid="records-newest" class={older ? '' : 'live-on'} disabled={!older} onClick={onNewest}>
        Newest ▶
      </button>
      <span class="muted" data-testid="records-shown" data-older={String(older)} data-count={String(shownRecords(window).length)}>
        {older ? `${shownRecords(window).length} older records` : `the newest ${shownRecords(window).length} records`}
      </span>
    </div>
  );
}

function RecordList({
  records,
  machine,
  selectedSeq,
  onSelect,
}: {
  records: KeptRecord[];
  machine: string | undefined;
  selectedSeq: number | undefined;
  onSelect: (seq: number) => void;
}): JSX.Element {
  const newest = [...records].reverse();
  if (newest.length === 0) return <p class="muted">No recorded events here.</p>;
  return (
    <div class="records-frame" data-testid="actor-records-frame">
      <table class="table records" data-testid="actor-records">
        <thead>
          <tr>
            <th>Time</th>
            <th>Kind</th>
            <th>What</th>
          </tr>
        </thead>
        <tbody>
          {newest.map(({ seq, record }) => {
            const isSelected = seq === selectedSeq;
            const snapshot = record.kind === 'snapshot';
            const raw = recordRawEvent(record);
            return (
              <tr
                key={seq}
                class={`record record-${record.kind.replace('.', '-')}${isSelected ? ' selected' : ''}${snapshot ? ' selectable' : ''}`}
                data-testid="actor-record"
                data-kind={record.kind}
                data-seq={String(seq)}
                data-selected={String(isSelected)}
                onClick={snapshot ? () => onSelect(seq) : undefined}
              >
                <td class="time">{formatClock(record.time)}</td>
                <td>{recordLabel(record)}</td>
                <td class="what" title={raw === undefined ? undefined : `event type: ${raw}`} data-raw-event={raw}>
                  {recordText(record, machine)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const noFlashing: ReadonlySet<string> = new Set<string>();

/** Where the child stands under its supervisor, lit on the supervised-child chart (every child has one). */
function SupervisionChart({ node }: { node: TreeNodeInfo }): JSX.Element {
  const { model, layout } = useMachineChart('supervisor');
  const lit = model.value === undefined ? undefined : litStates(model.value, node.state);
  return (
    <details class="supervision" data-testid="supervision-chart" open={node.actor === undefined}>
      <summary>
        Under its supervisor: <strong>{node.state}</strong>
      </summary>
      {model.error !== undefined && <p class="error-text">The machine could not be loaded: {model.error}</p>}
      {layout.value !== undefined && <StatechartView layout={layout.value} active={new Set(lit ?? [])} flashing={noFlashing} />}
    </details>
  );
}

function ActorDetail({ path, node, live }: { path: string; node: TreeNodeInfo | undefined; live: LiveStore }): JSX.Element {
  const { model, layout } = useMachineChart(node?.actor);
  const { window: recordWindow, loading, error, older, newest } = useActorRecords(path, live);
  const records = shownRecords(recordWindow);
  const [chosenCursor, setCursor] = useState<StepCursor>(liveCursor);
  const cursor = stepCursorFor(recordWindow, chosenCursor);
  const [flashing, flash] = useFlash();
  const selected = selectedSnapshot(cursor, records);
  const value: unknown = selected?.record.value ?? (cursor.live ? node?.actorState : undefined);
  const lit = model.value === undefined ? undefined : litStates(model.value, value);
  const valueKey = JSON.stringify(value) ?? '';
  const shown = useRef<{ key: string; lit: string[] | undefined } | undefined>(undefined);

  // Flash the transitions into the state shown, when it changes (not when the chart first appears).
  useEffect(() => {
    const machine = model.value;
    const chart = layout.value;
    if (machine === undefined || chart === undefined) return;
    const before = shown.current;
    shown.current = { key: `${selected?.seq ?? ''}|${valueKey}`, lit };
    if (before === undefined || before.key === shown.current.key || lit === undefined) return;
    const previous = selected === undefined ? undefined : previousSnapshot(cursor, records);
    const from = previous === undefined ? before.lit : litStates(machine, previous.record.value);
    if (from === undefined) return;
    const eventType = selected === undefined ? undefined : eventBefore(records, selected.seq);
    flash(takenEdges(machine, chart.edges, from, lit, eventType, selected?.record.taken));
  }, [model.value, layout.value, selected?.seq, valueKey]);

  return (
    <section class="card actor-detail" data-testid="actor-detail" data-actor-path={path}>
      <h2>
        {node?.id ?? path} {node === undefined ? <span class="badge badge-stopped">not in the tree</span> : <span class={`badge badge-${node.state}`}>{node.state}</span>}
      </h2>
      <p class="muted">
        {path}
        {node === undefined ? '' : ` · ${node.type} · thread ${node.thread} · restart ${node.restart} · ${node.restarts} restarts`}
        {node?.lastExit === undefined ? '' : ` · last exit: ${node.lastExit}`}
      </p>
      {node?.actor !== undefined && (
        <>
          <p>
            Machine <strong data-testid="actor-machine">{node.actor}</strong>, state{' '}
            <code data-testid="actor-state-value">{value === undefined ? '—' : stateValueText(value)}</code>
            {!cursor.live && <span class="badge badge-step"> recorded</span>}
          </p>
          {model.error !== undefined && <p class="error-text">The machine could not be loaded: {model.error}</p>}
          {layout.error !== undefined && <p class="error-text">{layout.error}</p>}
          {layout.value === undefined && model.error === undefined && layout.error === undefined && <p class="muted">Drawing the statechart…</p>}
          {layout.value !== undefined && <StatechartView layout={layout.value} active={new Set(lit ?? [])} flashing={flashing} />}
          {lit === undefined && value !== undefined && model.value !== undefined && (
            <p class="error-text">The state {stateValueText(value)} does not fit the {model.value.id} machine.</p>
          )}
        </>
      )}
      {node !== undefined && <SupervisionChart node={node} />}
      <h3>Recent events and states</h3>
      <StepControls
        cursor={cursor}
        records={records}
        onMove={(next) => {
          // Live is the present: back from an older page too.
          if (next.live) newest();
          setCursor(next);
        }}
      />
      <RecordPaging
        window={recordWindow}
        onOlder={() => {
          setCursor(liveCursor);
          older();
        }}
        onNewest={() => {
          setCursor(liveCursor);
          newest();
        }}
      />
      {error !== undefined && <p class="error-text">The recorded events could not be loaded: {error}</p>}
      {loading ? <p class="muted">Loading…</p> : <RecordList records={records} machine={node?.actor} selectedSeq={selected?.seq} onSelect={(seq) => setCursor({ live: false, seq })} />}
    </section>
  );
}

export function ActorsPage({ tree, treeReceivedAt, selected, live }: ActorsPageProps): JSX.Element {
  if (tree === undefined) return <p class="muted">Loading the supervision tree…</p>;
  const node = selected === undefined ? undefined : findTreeNode(tree.root, selected);
  return (
    <div class="page actors-page" data-testid="actors-page">
      <h1>Actors</h1>
      <TreeTable tree={tree} receivedAt={treeReceivedAt ?? Date.now()} selected={selected} />
      {selected === undefined ? (
        <p class="muted">Select an actor to see its statechart and its recent events.</p>
      ) : (
        <ActorDetail key={selected} path={selected} node={node} live={live} />
      )}
    </div>
  );
}
