// Which of a chart's edges an actor took between two state values, so that the chart can flash
// them. A snapshot that names the transitions taken to reach it (its `taken`, from the inspector)
// says exactly which: only those edges flash, so of two alike edges (same source, target and event,
// told apart by their guards) only the one taken does. Without it, the edges are guessed from the
// states: edges from a state that was active to one that was entered, through eventless (`always`)
// states the snapshots never show, narrowed to the event that caused the step when it is known.

import type { TakenTransition } from '../../actors/inspection.ts';
import type { MachineModel } from '../../statechart/graph.ts';

/** What this needs of a drawn edge (a TransitionEdgeLayout fits). */
export interface EdgeRef {
  id: string;
  /** Index into `model.transitions`. */
  transition: number;
  source: string;
  target: string;
}

/** How many eventless states a step may pass through (the machines here use one at most). */
const maxTransientHops = 3;

/**
 * The indexes into `model.transitions` of the transitions a snapshot says were taken, or undefined
 * when one of them is not in the model (the agent runs another definition than the one drawn).
 * @example takenTransitionIndexes(probeModel, [{ source: 'probe.active.cycle.waiting', event: 'xstate.after.untilNextCheck.probe.active.cycle.waiting', index: 0 }])
 */
export function takenTransitionIndexes(model: MachineModel, taken: readonly TakenTransition[]): number[] | undefined {
  const indexes: number[] = [];
  for (const { source, event, index } of taken) {
    const alike: number[] = [];
    model.transitions.forEach((transition, at) => {
      if (transition.source !== source) return;
      if (event === undefined ? transition.kind === 'always' : transition.kind !== 'always' && transition.event === event) alike.push(at);
    });
    const found = alike[index];
    if (found === undefined) return undefined;
    indexes.push(found);
  }
  return indexes;
}

/**
 * The ids of the edges taken from the `before` active states to the `after` ones (ids as
 * `activeStateIds` gives them). With `transitionsTaken` (the transitions the snapshot of `after` names), exactly
 * the edges of those transitions. Otherwise a guess: `eventType` is the event that caused the step,
 * when known: where it matches some of the edges into a state, only those flash.
 * @example
 * takenEdges(nodeModel, layout.edges, ['node.running'], ['node.degraded'], 'PROBE_RESULT')
 * // the PROBE_RESULT edge running → evaluating and the `always` edge evaluating → degraded
 */
export function takenEdges(
  model: MachineModel,
  edges: readonly EdgeRef[],
  before: readonly string[],
  after: readonly string[],
  eventType?: string,
  transitionsTaken?: readonly TakenTransition[],
): string[] {
  const exact = transitionsTaken === undefined ? undefined : takenTransitionIndexes(model, transitionsTaken);
  if (exact !== undefined) return edges.filter((edge) => exact.includes(edge.transition)).map((edge) => edge.id);
  const root = model.root.id;
  const wasActive = new Set([root, ...before]);
  const isActive = new Set([root, ...after]);
  const entered = new Set(after.filter((id) => !wasActive.has(id)));
  const transitionOf = (edge: EdgeRef): MachineModel['transitions'][number] | undefined => model.transitions[edge.transition];
  const matchesEvent = (edge: EdgeRef): boolean => eventType !== undefined && transitionOf(edge)?.event === eventType;

  if (entered.size === 0) {
    // Nothing new is active: only a self-transition (or a targetless one) can have been taken, and
    // only the event says which.
    if (eventType === undefined) return [];
    return edges.filter((edge) => edge.source === edge.target && wasActive.has(edge.source) && matchesEvent(edge)).map((edge) => edge.id);
  }

  // Each path: a first hop from an active state, then eventless hops through states neither value
  // shows, ending in an entered state.
  const pathsInto = new Map<string, EdgeRef[][]>();
  for (const edge of edges) {
    if (!wasActive.has(edge.source) || edge.source === edge.target) continue;
    let path: EdgeRef[] | undefined;
    if (entered.has(edge.target)) path = [edge];
    else if (!isActive.has(edge.target) && !wasActive.has(edge.target)) {
      const chain = eventlessChain(model, edges, edge.target, entered);
      if (chain !== undefined) path = [edge, ...chain];
    }
    const end = path?.[path.length - 1]?.target;
    if (path === undefined || end === undefined) continue;
    pathsInto.set(end, [...(pathsInto.get(end) ?? []), path]);
  }

  const taken = new Set<string>();
  for (const paths of pathsInto.values()) {
    const matching = paths.filter((path) => path[0] !== undefined && matchesEvent(path[0]));
    for (const path of matching.length > 0 ? matching : paths) for (const edge of path) taken.add(edge.id);
  }
  return edges.filter((edge) => taken.has(edge.id)).map((edge) => edge.id);
}

/** The `always` edges from `start` to an entered state, through at most a few eventless states. */
function eventlessChain(model: MachineModel, edges: readonly EdgeRef[], start: string, entered: ReadonlySet<string>): EdgeRef[] | undefined {
  let frontier: { state: string; path: EdgeRef[] }[] = [{ state: start, path: [] }];
  for (let hop = 0; hop < maxTransientHops; hop++) {
    const next: { state: string; path: EdgeRef[] }[] = [];
    for (const { state, path } of frontier) {
      for (const edge of edges) {
        if (edge.source !== state || model.transitions[edge.transition]?.kind !== 'always') continue;
        const extended = [...path, edge];
        if (entered.has(edge.target)) return extended;
        if (edge.target !== state) next.push({ state: edge.target, path: extended });
      }
    }
    frontier = next;
  }
  return undefined;
}
