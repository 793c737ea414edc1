// How `gravity debug tree` prints a supervision tree: one line per child with its state, thread,
// restart count and uptime, drawn with box characters. The same view serves the live tree read from
// the agent and a spec file read offline (where nothing has started).

import type { JsonValue } from '../actors/inspection.ts';
import type { ChildState, TreeNodeInfo } from '../supervisor/child.ts';
import type { ChildSpec, ChildType, RestartType, Strategy, SupervisorSpec, ThreadPlacement } from '../supervisor/spec.ts';
import { terminalLine } from './terminal-text.ts';

/** A child's state as displayed: the live states, or `not started` for a spec read offline. */
export type DisplayState = ChildState | 'not started';

export interface DisplayNode {
  id: string;
  path: string;
  type: ChildType;
  thread: ThreadPlacement;
  state: DisplayState;
  restart: RestartType;
  restarts: number;
  startedAt?: number;
  actorState?: JsonValue;
  lastExit?: string;
  strategy?: Strategy;
  children?: DisplayNode[];
}

/** What `debug tree` prints: where the tree came from, and the time uptimes are measured against. */
export interface TreeView {
  source: 'agent' | 'spec';
  now?: number;
  root: DisplayNode;
}

/** The live tree as the agent reports it. */
export function treeFromAgent(result: { now: number; root: TreeNodeInfo }): TreeView {
  return { source: 'agent', now: result.now, root: result.root };
}

function nodeFromChildSpec(spec: ChildSpec, parentPath: string, onWorker: boolean): DisplayNode {
  const path = `${parentPath}/${spec.id}`;
  // Inside a worker-hosted subtree everything runs on that worker, whatever the child says.
  const thread: ThreadPlacement = onWorker ? 'worker' : spec.thread;
  const node: DisplayNode = {
    id: spec.id,
    path,
    type: spec.type,
    thread,
    state: 'not started',
    restart: spec.restart,
    restarts: 0,
  };
  if (spec.type === 'supervisor') {
    node.strategy = spec.start.supervisor.strategy;
    node.children = spec.start.supervisor.children.map((child) => nodeFromChildSpec(child, path, thread === 'worker'));
  }
  return node;
}

/**
 * The tree a compiled spec would start, every child `not started`.
 * @example formatTree(treeFromSpec(compileSupervisorSpec(input)))
 */
export function treeFromSpec(spec: SupervisorSpec, rootId = 'agent'): TreeView {
  return {
    source: 'spec',
    root: {
      id: rootId,
      path: rootId,
      type: 'supervisor',
      thread: 'main',
      state: 'not started',
      restart: 'permanent',
      restarts: 0,
      strategy: spec.strategy,
      children: spec.children.map((child) => nodeFromChildSpec(child, rootId, false)),
    },
  };
}

/** `45s`, `2m13s`, `1h02m`, `3d04h`. */
export function formatUptime(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

/** A machine's state value in one token: `running`, `a.b`, or `a.b,c.d` for parallel states. */
export function formatStateValue(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const parts = Object.entries(value).map(([key, inner]) => {
      const rest = formatStateValue(inner);
      return rest === '' ? key : `${key}.${rest}`;
    });
    return parts.join(',');
  }
  return value === null ? '' : JSON.stringify(value);
}

interface Row {
  label: string;
  state: string;
  thread: string;
  rest: string[];
}

function describeNode(node: DisplayNode, now: number | undefined): Omit<Row, 'label'> {
  const rest = [`restarts=${node.restarts}`];
  if (node.state === 'running' && node.startedAt !== undefined && now !== undefined) {
    rest.push(`up ${formatUptime(now - node.startedAt)}`);
  }
  if (node.strategy !== undefined) rest.push(node.strategy);
  if (node.actorState !== undefined) {
    const actor = formatStateValue(node.actorState);
    if (actor !== '') rest.push(`actor=${actor}`);
  }
  if (node.lastExit !== undefined && (node.state !== 'running' || node.restarts > 0)) rest.push(`last exit: ${node.lastExit}`);
  // One node, one line: an error message or a state name with a newline or an escape in it is shown, not obeyed.
  return { state: terminalLine(node.state), thread: terminalLine(node.thread), rest: rest.map(terminalLine) };
}

/** `linePrefix` draws this node's line; `childPrefix` is what its children's lines start with. */
function collectRows(node: DisplayNode, now: number | undefined, rows: Row[], linePrefix: string, childPrefix: string): void {
  rows.push({ label: `${linePrefix}${terminalLine(node.id)}`, ...describeNode(node, now) });
  const children = node.children ?? [];
  children.forEach((child, index) => {
    const last = index === children.length - 1;
    collectRows(child, now, rows, childPrefix + (last ? '└── ' : '├── '), childPrefix + (last ? '    ' : '│   '));
  });
}

/**
 * Renders the tree as aligned text, one child per line.
 * @example
 * formatTree(view)
 * // agent           running  main    restarts=0  up 2m13s  one_for_one
 * // ├── node:n1     running  main    restarts=0  up 2m13s  actor=running
 * // └── probes      running  worker  restarts=0  up 2m13s  one_for_one
 */
export function formatTree(view: TreeView): string {
  const rows: Row[] = [];
  collectRows(view.root, view.now, rows, '', '');
  const width = (key: 'label' | 'state' | 'thread'): number => Math.max(...rows.map((row) => [...row[key]].length));
  const labelWidth = width('label');
  const stateWidth = width('state');
  const threadWidth = width('thread');
  const padEnd = (text: string, size: number): string => text + ' '.repeat(Math.max(0, size - [...text].length));
  const lines = rows.map((row) =>
    [padEnd(row.label, labelWidth), padEnd(row.state, stateWidth), padEnd(row.thread, threadWidth), ...row.rest].join('  ').trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
