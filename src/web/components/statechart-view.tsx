// Draws a laid-out statechart as SVG: nested rounded boxes (parallel regions dashed, final states
// double-bordered, history states as an H), initial dots, edges with arrowheads and their labels.
// Lit states and flashing edges are marked with data attributes and classes; the CSS colours them.
// A large chart scrolls in its frame and can be dragged, or shrunk to fit the width.

import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { LayoutPoint, StateBoxLayout, StatechartLayout, TransitionEdgeLayout } from '../../statechart/elk-layout.ts';
import { statechartText } from '../../statechart/elk-layout.ts';

export interface StatechartViewProps {
  layout: StatechartLayout;
  /** Ids of the lit states. */
  active: ReadonlySet<string>;
  /** Ids of the edges to flash. */
  flashing: ReadonlySet<string>;
}

function pointsText(points: readonly LayoutPoint[]): string {
  return points.map((point) => `${point.x},${point.y}`).join(' ');
}

function isLeafKind(state: StateBoxLayout): boolean {
  return state.kind === 'atomic' || state.kind === 'final' || state.kind === 'history';
}

function StateBox({ state, active, inRegion }: { state: StateBoxLayout; active: boolean; inRegion: boolean }): JSX.Element {
  const classes = ['state', `state-${state.kind}`];
  if (inRegion) classes.push('state-region');
  if (state.depth === 0) classes.push('state-root');
  if (active) classes.push('is-active');
  const leaf = isLeafKind(state);
  const centreX = state.x + state.width / 2;
  const invokes = state.invokes.length === 0 ? undefined : `invoke ${state.invokes.join(', ')}`;
  return (
    <g class={classes.join(' ')} data-state-id={state.id} data-active={String(active)}>
      <title>{state.id}</title>
      {state.kind === 'history' ? (
        <>
          <circle class="state-shape" cx={centreX} cy={state.y + state.height / 2} r={state.width / 2} />
          <text class="state-label" x={centreX} y={state.y + state.height / 2 + 4} text-anchor="middle">
            H
          </text>
        </>
      ) : (
        <>
          <rect class="state-shape" x={state.x} y={state.y} width={state.width} height={state.height} rx={leaf ? 8 : 10} />
          {state.kind === 'final' && (
            <rect class="state-inner" x={state.x + 4} y={state.y + 4} width={state.width - 8} height={state.height - 8} rx={5} />
          )}
          <text
            class="state-label"
            x={leaf ? centreX : state.x + 10}
            y={leaf ? state.y + (invokes === undefined ? state.height / 2 + 4.5 : 19) : state.y + 19}
            text-anchor={leaf ? 'middle' : 'start'}
            font-size={statechartText.stateFontSize}
          >
            {state.label}
          </text>
          {invokes !== undefined && (
            <text
              class="state-invokes"
              x={leaf ? centreX : state.x + 10}
              y={leaf ? state.y + 36 : state.y + 34}
              text-anchor={leaf ? 'middle' : 'start'}
              font-size={statechartText.invokeFontSize}
            >
              {invokes}
            </text>
          )}
        </>
      )}
    </g>
  );
}

function Edge({ edge, flashing }: { edge: TransitionEdgeLayout; flashing: boolean }): JSX.Element {
  const label = edge.labelBox;
  return (
    <g
      class={flashing ? 'edge is-flashing' : 'edge'}
      data-edge-id={edge.id}
      data-transition={String(edge.transition)}
      data-source={edge.source}
      data-target={edge.target}
      data-flash={String(flashing)}
    >
      <polyline class="edge-line" points={pointsText(edge.points)} marker-end={flashing ? 'url(#sc-arrow-flash)' : 'url(#sc-arrow)'} />
      {label !== undefined && (
        <text class="edge-label" x={label.x + 3} y={label.y + label.height - 4} font-size={statechartText.edgeFontSize}>
          {edge.label}
        </text>
      )}
    </g>
  );
}

/** The chart, in a frame that scrolls (and pans by dragging) when it is larger than the page. */
export function StatechartView({ layout, active, flashing }: StatechartViewProps): JSX.Element {
  const [fit, setFit] = useState(false);
  const frame = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; left: number; top: number } | undefined>(undefined);
  const kinds = new Map(layout.states.map((state) => [state.id, state.kind]));
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);

  const onPointerDown = (event: PointerEvent): void => {
    const element = frame.current;
    if (element === null || event.button !== 0) return;
    drag.current = { x: event.clientX, y: event.clientY, left: element.scrollLeft, top: element.scrollTop };
    element.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent): void => {
    const element = frame.current;
    const start = drag.current;
    if (element === null || start === undefined) return;
    element.scrollLeft = start.left - (event.clientX - start.x);
    element.scrollTop = start.top - (event.clientY - start.y);
  };
  const onPointerUp = (): void => {
    drag.current = undefined;
  };

  return (
    <div class="statechart">
      <div class="statechart-tools">
        <button type="button" class="small" data-testid="chart-fit" onClick={() => setFit(!fit)}>
          {fit ? 'Actual size' : 'Fit width'}
        </button>
      </div>
      <div
        class={fit ? 'statechart-frame fit' : 'statechart-frame'}
        ref={frame}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <svg
          class="statechart-svg"
          data-testid="statechart"
          data-machine={layout.machine}
          viewBox={`0 0 ${width} ${height}`}
          width={fit ? '100%' : width}
          height={fit ? undefined : height}
          role="img"
          aria-label={`statechart of the ${layout.machine} machine`}
        >
          <defs>
            <marker id="sc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto">
              <path class="arrow-head" d="M0,0 L10,5 L0,10 z" />
            </marker>
            <marker id="sc-arrow-flash" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto">
              <path class="arrow-head flash" d="M0,0 L10,5 L0,10 z" />
            </marker>
          </defs>
          <g class="states">
            {layout.states.map((state) => (
              <StateBox
                key={state.id}
                state={state}
                active={active.has(state.id)}
                inRegion={state.parent !== undefined && kinds.get(state.parent) === 'parallel'}
              />
            ))}
          </g>
          <g class="initials">
            {layout.states.flatMap((state) =>
              state.initialMarker === undefined
                ? []
                : [
                    <g key={state.id} class="initial-marker" data-initial-of={state.id}>
                      <circle cx={state.initialMarker.x} cy={state.initialMarker.y} r={state.initialMarker.radius} />
                      <polyline points={pointsText(state.initialMarker.points)} marker-end="url(#sc-arrow)" />
                    </g>,
                  ],
            )}
          </g>
          <g class="edges">
            {layout.edges.map((edge) => (
              <Edge key={edge.id} edge={edge} flashing={flashing.has(edge.id)} />
            ))}
          </g>
        </svg>
      </div>
    </div>
  );
}
