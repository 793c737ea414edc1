// Lays out a machine's statechart with ELK (layered, hierarchical): every state as a box, compound
// and parallel states containing their children, every transition as a routed edge with its label,
// and the initial-state dots. The caller brings the ELK instance: Node uses the bundled one
// (layout.ts), the Control Panel a Web Worker, so this module loads no layout code itself. The
// result is plain data in absolute coordinates, ready to be drawn as SVG.

import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { MachineModel, StateKind, StateModel } from './graph.ts';

export interface LayoutPoint {
  x: number;
  y: number;
}

export interface LayoutBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The dot of a compound state's initial child, and its arrow to that child. */
export interface InitialMarkerLayout {
  /** The dot's centre. */
  x: number;
  y: number;
  radius: number;
  /** The arrow from the dot to the initial child, first point at the dot. */
  points: LayoutPoint[];
}

export interface StateBoxLayout extends LayoutBox {
  /** The state's id in the machine, e.g. `probe.active.cycle.checking`. */
  id: string;
  key: string;
  kind: StateKind;
  /** What the box says: its key, or the machine's id for the root. */
  label: string;
  /** 0 for the machine itself, 1 for its states, and so on. */
  depth: number;
  /** The containing state's id; absent for the root. */
  parent?: string;
  /** Actors the state invokes while active. */
  invokes: string[];
  /** It is its parent's initial state. */
  isInitial: boolean;
  /** Compound states with an initial child: where the initial dot and its arrow go. */
  initialMarker?: InitialMarkerLayout;
}

export interface TransitionEdgeLayout {
  /** Unique in the layout. */
  id: string;
  /** Index into `model.transitions`. */
  transition: number;
  source: string;
  /** The target state; the source itself for a targetless transition (drawn as a self-loop). */
  target: string;
  targetless: boolean;
  label: string;
  /** The route, from the source's border to the target's border. */
  points: LayoutPoint[];
  /** Where the label goes (top-left corner and size). */
  labelBox?: LayoutBox;
}

export interface StatechartLayout {
  /** The machine's id. */
  machine: string;
  width: number;
  height: number;
  /** Every state, the root first, depth first in document order. */
  states: StateBoxLayout[];
  /** One edge per transition target (a self-loop for a targetless transition), in model order. */
  edges: TransitionEdgeLayout[];
}

/** What this module needs of an ELK instance. */
export type ElkLayouter = Pick<ELK, 'layout'>;

/** Text sizes the drawing uses; the layout reserves room for them. */
export const statechartText = {
  stateFontSize: 13,
  invokeFontSize: 11,
  edgeFontSize: 11,
} as const;

const charWidthRatio = 0.62;
const atomicHeight = 34;
const atomicWithInvokesHeight = 48;
const compoundTitleHeight = 30;
const compoundPadding = 14;
const markerSize = 12;
const edgeLabelHeight = 15;

/** The width a line of text takes at a font size, slightly generous (no font metrics here). */
export function estimateTextWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * charWidthRatio);
}

function invokesLine(state: StateModel): string | undefined {
  return state.invokes.length === 0 ? undefined : `invoke ${state.invokes.join(', ')}`;
}

function labelOf(state: StateModel, model: MachineModel): string {
  return state.path.length === 0 ? model.id : state.key;
}

function isContainer(state: StateModel): boolean {
  return state.children.length > 0;
}

function atomicSize(state: StateModel, label: string): { width: number; height: number } {
  if (state.kind === 'history') return { width: 32, height: 32 };
  const line = invokesLine(state);
  const textWidth = Math.max(
    estimateTextWidth(label, statechartText.stateFontSize),
    line === undefined ? 0 : estimateTextWidth(line, statechartText.invokeFontSize),
  );
  return { width: Math.max(84, textWidth + 28), height: line === undefined ? atomicHeight : atomicWithInvokesHeight };
}

/** Ids of `id` and every state containing it, the state itself first. */
function selfAndAncestors(id: string, parents: ReadonlyMap<string, string | undefined>): string[] {
  const out: string[] = [];
  let current: string | undefined = id;
  while (current !== undefined) {
    out.push(current);
    current = parents.get(current);
  }
  return out;
}

interface PlannedEdge {
  elkId: string;
  transition: number;
  source: string;
  target: string;
  targetless: boolean;
  label: string;
}

interface GraphPlan {
  root: ElkNode;
  elkIds: Map<string, string>;
  edges: PlannedEdge[];
  markers: Map<string, { node: string; edge: string }>;
}

/** The ELK graph of a machine: nested nodes, edges in their lowest common container. */
function buildGraph(model: MachineModel): GraphPlan {
  const elkIds = new Map<string, string>();
  const parents = new Map<string, string | undefined>();
  const nodes = new Map<string, ElkNode>();
  const markers = new Map<string, { node: string; edge: string }>();
  const root: ElkNode = {
    id: 'graph',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.direction': 'DOWN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.edgeRouting': 'POLYLINE',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeNode': '14',
      'elk.spacing.edgeEdge': '10',
      'elk.spacing.edgeLabel': '4',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
    },
    children: [],
    edges: [],
  };

  let counter = 0;
  const visit = (state: StateModel, parent: ElkNode, parentId: string | undefined): void => {
    const elkId = `s${counter++}`;
    elkIds.set(state.id, elkId);
    parents.set(state.id, parentId);
    const label = labelOf(state, model);
    let node: ElkNode;
    if (isContainer(state)) {
      const minWidth = estimateTextWidth(label, statechartText.stateFontSize) + 2 * compoundPadding + 8;
      node = {
        id: elkId,
        layoutOptions: {
          'elk.edgeRouting': 'POLYLINE',
          'elk.padding': `[top=${compoundTitleHeight + (invokesLine(state) === undefined ? 0 : 14)},left=${compoundPadding},bottom=${compoundPadding},right=${compoundPadding}]`,
          'elk.nodeSize.constraints': 'MINIMUM_SIZE',
          'elk.nodeSize.minimum': `(${minWidth}, ${compoundTitleHeight + 20})`,
        },
        children: [],
        edges: [],
      };
    } else {
      node = { id: elkId, ...atomicSize(state, label) };
    }
    nodes.set(state.id, node);
    parent.children?.push(node);
    if (state.kind === 'compound' && state.initial !== undefined) {
      const markerId = `i${elkId}`;
      node.children?.push({ id: markerId, width: markerSize, height: markerSize });
      markers.set(state.id, { node: markerId, edge: `${markerId}e` });
    }
    for (const child of state.children) visit(child, node, state.id);
  };
  visit(model.root, root, undefined);

  // The initial arrows, now that every child has its ELK id.
  for (const [stateId, marker] of markers) {
    const node = nodes.get(stateId);
    const initial = findState(model.root, stateId)?.initial;
    const target = initial === undefined ? undefined : elkIds.get(initial);
    if (node === undefined || target === undefined) continue;
    node.edges?.push({ id: marker.edge, sources: [marker.node], targets: [target] });
  }

  const containerOf = (source: string, target: string): ElkNode => {
    if (source === target) {
      const parent = parents.get(source);
      return parent === undefined ? root : (nodes.get(parent) ?? root);
    }
    const targetLine = new Set(selfAndAncestors(target, parents));
    const common = selfAndAncestors(source, parents).find((id) => targetLine.has(id));
    return common === undefined ? root : (nodes.get(common) ?? root);
  };

  const edges: PlannedEdge[] = [];
  model.transitions.forEach((transition, index) => {
    const targets = transition.targets.length === 0 ? [transition.source] : transition.targets;
    targets.forEach((target, targetIndex) => {
      const sourceElk = elkIds.get(transition.source);
      const targetElk = elkIds.get(target);
      if (sourceElk === undefined || targetElk === undefined) return;
      const planned: PlannedEdge = {
        elkId: `t${index}_${targetIndex}`,
        transition: index,
        source: transition.source,
        target,
        targetless: transition.targets.length === 0,
        label: transition.label,
      };
      edges.push(planned);
      const edge: ElkExtendedEdge = {
        id: planned.elkId,
        sources: [sourceElk],
        targets: [targetElk],
        labels: [
          {
            id: `${planned.elkId}l`,
            text: transition.label,
            width: estimateTextWidth(transition.label, statechartText.edgeFontSize) + 6,
            height: edgeLabelHeight,
          },
        ],
      };
      containerOf(transition.source, target).edges?.push(edge);
    });
  });
  return { root, elkIds, edges, markers };
}

function findState(state: StateModel, id: string): StateModel | undefined {
  if (state.id === id) return state;
  for (const child of state.children) {
    const found = findState(child, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

function indexNodes(node: ElkNode, into: Map<string, ElkNode>): Map<string, ElkNode> {
  into.set(node.id, node);
  for (const child of node.children ?? []) indexNodes(child, into);
  return into;
}

function indexEdges(node: ElkNode, into: Map<string, ElkExtendedEdge>): Map<string, ElkExtendedEdge> {
  for (const edge of node.edges ?? []) into.set(edge.id, edge);
  for (const child of node.children ?? []) indexEdges(child, into);
  return into;
}

function routeOf(edge: ElkExtendedEdge | undefined): LayoutPoint[] {
  const points: LayoutPoint[] = [];
  for (const section of edge?.sections ?? []) {
    for (const point of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
      const last = points[points.length - 1];
      if (last === undefined || last.x !== point.x || last.y !== point.y) points.push({ x: point.x, y: point.y });
    }
  }
  return points;
}

function boxOf(shape: { x?: number; y?: number; width?: number; height?: number }): LayoutBox {
  return { x: shape.x ?? 0, y: shape.y ?? 0, width: shape.width ?? 0, height: shape.height ?? 0 };
}

/**
 * Lays out the statechart of `model` with the given ELK instance.
 * @example
 * const layout = await layoutWithElk(new ELK({ workerUrl }), model);
 * layout.states.find((s) => s.id === 'probe.active')?.kind; // 'parallel'
 */
export async function layoutWithElk(elk: ElkLayouter, model: MachineModel): Promise<StatechartLayout> {
  const plan = buildGraph(model);
  const laidOut = await elk.layout(plan.root);
  const nodes = indexNodes(laidOut, new Map());
  const elkEdges = indexEdges(laidOut, new Map());

  const states: StateBoxLayout[] = [];
  const visit = (state: StateModel, parent: StateModel | undefined): void => {
    const node = nodes.get(plan.elkIds.get(state.id) ?? '');
    const box: StateBoxLayout = {
      id: state.id,
      key: state.key,
      kind: state.kind,
      label: labelOf(state, model),
      depth: state.path.length,
      invokes: [...state.invokes],
      isInitial: parent?.initial === state.id,
      ...boxOf(node ?? {}),
    };
    if (parent !== undefined) box.parent = parent.id;
    const marker = plan.markers.get(state.id);
    if (marker !== undefined) {
      const dot = boxOf(nodes.get(marker.node) ?? {});
      box.initialMarker = {
        x: dot.x + dot.width / 2,
        y: dot.y + dot.height / 2,
        radius: markerSize / 2 - 1,
        points: routeOf(elkEdges.get(marker.edge)),
      };
    }
    states.push(box);
    for (const child of state.children) visit(child, state);
  };
  visit(model.root, undefined);

  const edges = plan.edges.map((planned): TransitionEdgeLayout => {
    const elkEdge = elkEdges.get(planned.elkId);
    const label = elkEdge?.labels?.[0];
    const edge: TransitionEdgeLayout = {
      id: planned.elkId,
      transition: planned.transition,
      source: planned.source,
      target: planned.target,
      targetless: planned.targetless,
      label: planned.label,
      points: routeOf(elkEdge),
    };
    if (label !== undefined) edge.labelBox = boxOf(label);
    return edge;
  });

  return { machine: model.id, width: laidOut.width ?? 0, height: laidOut.height ?? 0, states, edges };
}
