// Turns a machine's drawing model (graph.ts) into text other tools draw: Mermaid `stateDiagram-v2`
// (the Mermaid CLI, or any Markdown viewer with Mermaid), Graphviz DOT, SVG through Graphviz's `dot`,
// the model as JSON, and W3C SCXML. Each can mark the states an actor is in.
//
// A transition defined on the machine itself (e.g. `on: { SHUTDOWN: '.stopped' }`) applies in every
// state; the diagrams draw it from each top-level state that is not final, which is what it means.

import { execFileSync } from 'node:child_process';
import { GravityError } from '../errors.ts';
import type { MachineModel, StateModel, TransitionModel } from './graph.ts';
import { allStates } from './graph.ts';

export interface RenderOptions {
  /** Ids of the states to mark active (see `activeStateIds`). */
  active?: readonly string[];
}

export type StatechartFormat = 'mermaid' | 'dot' | 'svg' | 'json' | 'scxml';

/** Every format, in the order the CLI lists them. */
export const statechartFormats: readonly StatechartFormat[] = ['mermaid', 'dot', 'svg', 'json', 'scxml'];

/** The fill of an active state, in every format that draws. */
const activeFill = '#ffe08a';
const activeStroke = '#b8860b';

/** One arrow of a diagram. */
export interface DrawnTransition {
  source: string;
  target: string;
  label: string;
}

/**
 * The arrows a diagram draws: one per target, targetless transitions as self-loops, and the
 * machine's own transitions drawn from each top-level state that is not final.
 * @example drawnTransitions(machineModel(probeMachine)).find((t) => t.label === 'SHUTDOWN') // { source: 'probe.active', target: 'probe.stopped', ... }
 */
export function drawnTransitions(model: MachineModel): DrawnTransition[] {
  const topLevel = model.root.children.filter((state) => state.kind !== 'final').map((state) => state.id);
  const out: DrawnTransition[] = [];
  const arrows = (transition: TransitionModel, source: string): void => {
    const targets = transition.targets.length === 0 ? [source] : transition.targets;
    for (const target of targets) out.push({ source, target, label: transition.label });
  };
  for (const transition of model.transitions) {
    if (transition.source === model.root.id) {
      for (const source of topLevel) arrows(transition, source);
    } else {
      arrows(transition, transition.source);
    }
  }
  return out;
}

function stateIndex(model: MachineModel): Map<string, StateModel> {
  return new Map(allStates(model).map((state) => [state.id, state]));
}

// ---------------------------------------------------------------- Mermaid

/** A Mermaid state id: the path joined with `__`, unique in the machine (Mermaid's ids are global). */
function mermaidId(model: MachineModel, state: StateModel): string {
  if (state.id === model.root.id) return 'root';
  return state.path.map((key) => key.replace(/[^A-Za-z0-9_]/g, '_')).join('__');
}

function mermaidText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[;"]/g, "'").replace(/#/g, '');
}

/**
 * Mermaid `stateDiagram-v2`: compound states as composite states, parallel regions separated by
 * `--`, `[*]` for initial and final states, invoked actors as state descriptions, active states in
 * class `active`.
 * @example toMermaid(machineModel(probeMachine), { active: ['probe.active', 'probe.active.status', 'probe.active.status.running'] })
 */
export function toMermaid(model: MachineModel, options: RenderOptions = {}): string {
  const states = stateIndex(model);
  const idOf = (stateId: string): string => {
    const state = states.get(stateId);
    return state === undefined ? mermaidText(stateId).replace(/[^A-Za-z0-9_]/g, '_') : mermaidId(model, state);
  };
  const lines: string[] = ['stateDiagram-v2', `  classDef active fill:${activeFill},stroke:${activeStroke},stroke-width:3px`];

  const declare = (state: StateModel, indent: string): void => {
    const id = mermaidId(model, state);
    const label = mermaidText(state.key);
    if (state.kind === 'compound' || state.kind === 'parallel') {
      lines.push(`${indent}state "${label}" as ${id} {`);
      body(state, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}state "${label}" as ${id}`);
    }
    for (const actor of state.invokes) lines.push(`${indent}${id} : invoke ${mermaidText(actor)}`);
    if (state.description !== undefined) lines.push(`${indent}${id} : ${mermaidText(state.description)}`);
    if (state.kind === 'final') lines.push(`${indent}${id} --> [*]`);
  };
  const body = (state: StateModel, indent: string): void => {
    if (state.kind === 'parallel') {
      state.children.forEach((region, index) => {
        if (index > 0) lines.push(`${indent}--`);
        declare(region, indent);
      });
      return;
    }
    if (state.initial !== undefined) lines.push(`${indent}[*] --> ${idOf(state.initial)}`);
    for (const child of state.children) declare(child, indent);
  };

  body(model.root, '  ');
  for (const arrow of drawnTransitions(model)) {
    lines.push(`  ${idOf(arrow.source)} --> ${idOf(arrow.target)} : ${mermaidText(arrow.label)}`);
  }
  for (const stateId of options.active ?? []) {
    if (stateId !== model.root.id && states.has(stateId)) lines.push(`  class ${idOf(stateId)} active`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- DOT

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function clusterName(state: StateModel): string {
  return dotString(`cluster_${state.id}`);
}

/** The node inside a cluster that edges to and from the cluster attach to. */
function anchorOf(state: StateModel): string {
  return state.kind === 'compound' ? `${state.id}.__initial` : `${state.id}.__anchor`;
}

function isContainer(state: StateModel): boolean {
  return state.kind === 'compound' || state.kind === 'parallel';
}

function isInside(states: Map<string, StateModel>, inner: string, outer: StateModel): boolean {
  const state = states.get(inner);
  if (state === undefined || state.path.length <= outer.path.length) return false;
  return outer.path.every((key, index) => state.path[index] === key);
}

/**
 * Graphviz DOT: compound and parallel states as clusters (parallel regions dashed), a point for each
 * initial state, double circles for final states, active states filled.
 * @example execFileSync('dot', ['-Tsvg'], { input: toDot(machineModel(phaseMachine)) })
 */
export function toDot(model: MachineModel, options: RenderOptions = {}): string {
  const states = stateIndex(model);
  const active = new Set(options.active ?? []);
  const lines: string[] = [
    `digraph ${dotString(model.id)} {`,
    '  compound=true;',
    '  rankdir=TB;',
    '  fontname="Helvetica"; fontsize=12;',
    '  node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const parentIsParallel = new Set<string>();
  for (const state of states.values()) if (state.kind === 'parallel') state.children.forEach((child) => parentIsParallel.add(child.id));

  const declare = (state: StateModel, indent: string): void => {
    const invokes = state.invokes.map((actor) => `invoke ${actor}`);
    const isActive = active.has(state.id);
    if (isContainer(state)) {
      lines.push(`${indent}subgraph ${clusterName(state)} {`);
      const styles = [parentIsParallel.has(state.id) ? 'dashed' : 'rounded'];
      if (isActive) styles.push('filled');
      lines.push(`${indent}  label=${dotString([state.key, ...invokes].join('\n'))};`);
      lines.push(`${indent}  style=${dotString(styles.join(','))};`);
      if (isActive) lines.push(`${indent}  fillcolor="#fff4cc"; color=${dotString(activeStroke)}; penwidth=2;`);
      body(state, `${indent}  `);
      lines.push(`${indent}}`);
      return;
    }
    const attributes: string[] = [`label=${dotString([state.key, ...invokes].join('\n'))}`];
    if (state.kind === 'final') attributes.push('shape=doublecircle', 'style=solid');
    if (state.kind === 'history') attributes.push('shape=circle', 'xlabel="H"');
    if (isActive) {
      attributes.push(state.kind === 'final' ? 'style=filled' : 'style="rounded,filled"', `fillcolor=${dotString(activeFill)}`);
      attributes.push(`color=${dotString(activeStroke)}`, 'penwidth=2');
    }
    lines.push(`${indent}${dotString(state.id)} [${attributes.join(', ')}];`);
  };
  const body = (state: StateModel, indent: string): void => {
    if (state.kind === 'parallel') lines.push(`${indent}${dotString(anchorOf(state))} [shape=point, style=invis, width=0, height=0, label=""];`);
    if (state.initial !== undefined) {
      const initial = states.get(state.initial);
      lines.push(`${indent}${dotString(anchorOf(state))} [shape=point, width=0.12, label=""];`);
      if (initial !== undefined) lines.push(`${indent}${edge(anchorOf(state), initial, undefined, state)}`);
    }
    for (const child of state.children) declare(child, indent);
  };
  /** An edge into `target`, clipped at its cluster when it is one (and `source` is not inside it). */
  const edge = (sourceNode: string, target: StateModel, label: string | undefined, sourceState: StateModel | undefined): string => {
    const attributes: string[] = [];
    let head = target.id;
    if (isContainer(target)) {
      head = anchorOf(target);
      const sourceInside = sourceState !== undefined && (sourceState.id === target.id || isInside(states, sourceState.id, target));
      if (!sourceInside) attributes.push(`lhead=${clusterName(target)}`);
    }
    if (sourceState !== undefined && isContainer(sourceState) && sourceNode === anchorOf(sourceState) && sourceState.id !== target.id) {
      if (!isInside(states, target.id, sourceState) && target.id !== sourceState.id) attributes.push(`ltail=${clusterName(sourceState)}`);
    }
    if (label !== undefined) attributes.push(`label=${dotString(label)}`);
    const list = attributes.length === 0 ? '' : ` [${attributes.join(', ')}]`;
    return `${dotString(sourceNode)} -> ${dotString(head)}${list};`;
  };

  body(model.root, '  ');
  for (const arrow of drawnTransitions(model)) {
    const source = states.get(arrow.source);
    const target = states.get(arrow.target);
    if (source === undefined || target === undefined) continue;
    const sourceNode = isContainer(source) ? anchorOf(source) : source.id;
    lines.push(`  ${edge(sourceNode, target, arrow.label, isContainer(source) ? source : undefined)}`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * SVG, drawn by Graphviz's `dot` from `toDot`. Throws `E_GRAPHVIZ` when `dot` is not installed or fails.
 * @example writeFileSync('probe.svg', toSvg(machineModel(probeMachine)))
 */
export function toSvg(model: MachineModel, options: RenderOptions = {}): string {
  try {
    return execFileSync('dot', ['-Tsvg'], { input: toDot(model, options), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GravityError('E_GRAPHVIZ', "cannot draw SVG: Graphviz's 'dot' is not installed", { cause: error });
    }
    const stderr = (error as { stderr?: unknown }).stderr;
    const reason = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim().split('\n')[0] : (error as Error).message;
    throw new GravityError('E_GRAPHVIZ', `Graphviz's dot failed to draw the ${model.id} machine: ${reason}`, {
      cause: error,
      hint: 'run with --format dot to see what was given to dot',
    });
  }
}

// ---------------------------------------------------------------- JSON

/**
 * The model as JSON, with the active state ids when given: for tools and the control panel.
 * @example JSON.parse(toJson(machineModel(idleMachine))).root.children.length === 2
 */
export function toJson(model: MachineModel, options: RenderOptions = {}): string {
  const document = options.active === undefined ? model : { ...model, active: [...options.active] };
  return `${JSON.stringify(document, null, 2)}\n`;
}

// ---------------------------------------------------------------- SCXML

function xmlAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * W3C SCXML: the machine as one top-level `<state>` (so its own transitions stay on it), `<parallel>`
 * and `<final>` states, `<transition event target cond>` (eventless for `always`; `after` and
 * `done`/`error` transitions keep XState's event type), `<invoke src>`. Active states are listed in
 * a comment, which SCXML has no place for.
 * @example toScxml(machineModel(planMachine)).startsWith('<?xml')
 */
export function toScxml(model: MachineModel, options: RenderOptions = {}): string {
  const bySource = new Map<string, TransitionModel[]>();
  for (const transition of model.transitions) {
    const list = bySource.get(transition.source) ?? [];
    list.push(transition);
    bySource.set(transition.source, list);
  }
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  if (options.active !== undefined && options.active.length > 0) {
    lines.push(`<!-- active: ${options.active.map((id) => id.replace(/--/g, '- -')).join(' ')} -->`);
  }
  lines.push(`<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="${xmlAttribute(model.id)}" initial="${xmlAttribute(model.root.id)}">`);

  const write = (state: StateModel, indent: string): void => {
    const element = state.kind === 'parallel' ? 'parallel' : state.kind === 'final' ? 'final' : state.kind === 'history' ? 'history' : 'state';
    const attributes = [`id="${xmlAttribute(state.id)}"`];
    if (state.initial !== undefined) attributes.push(`initial="${xmlAttribute(state.initial)}"`);
    const transitions = bySource.get(state.id) ?? [];
    const inner: string[] = [];
    for (const actor of state.invokes) inner.push(`${indent}  <invoke type="xstate" src="${xmlAttribute(actor)}"/>`);
    for (const transition of transitions) {
      const parts: string[] = [];
      if (transition.event !== undefined) parts.push(`event="${xmlAttribute(transition.event)}"`);
      if (transition.targets.length > 0) parts.push(`target="${xmlAttribute(transition.targets.join(' '))}"`);
      if (transition.guard !== undefined) parts.push(`cond="${xmlAttribute(transition.guard)}"`);
      // XState's default: a transition to a descendant does not exit its container (SCXML's `internal`).
      if (!transition.reenter && isContainer(state)) parts.push('type="internal"');
      inner.push(`${indent}  <transition ${parts.join(' ')}/>`);
    }
    const hasChildren = state.children.length > 0 || inner.length > 0;
    if (!hasChildren) {
      lines.push(`${indent}<${element} ${attributes.join(' ')}/>`);
      return;
    }
    lines.push(`${indent}<${element} ${attributes.join(' ')}>`);
    lines.push(...inner);
    for (const child of state.children) write(child, `${indent}  `);
    lines.push(`${indent}</${element}>`);
  };
  write(model.root, '  ');
  lines.push('</scxml>');
  return `${lines.join('\n')}\n`;
}

/**
 * Renders a model in one of the formats.
 * @example process.stdout.write(renderStatechart(machineModel(probeMachine), 'dot', {}))
 */
export function renderStatechart(model: MachineModel, format: StatechartFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'mermaid':
      return toMermaid(model, options);
    case 'dot':
      return toDot(model, options);
    case 'svg':
      return toSvg(model, options);
    case 'json':
      return toJson(model, options);
    case 'scxml':
      return toScxml(model, options);
  }
}
