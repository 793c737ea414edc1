// The state of a plan, rebuilt from what is stored: a plan's definition (PhaseSpec) plus its changelog
// of leaf state changes gives the plan as shown (Phase), with each group's state derived from its
// children by Gravity's rule (lib/fsm/utils.go). Also the questions the engine asks of a plan tree:
// its leaves in order, a phase by id, a phase's groups, the phases that depend on it (for rollback
// refusals), whether the plan is completed or rolled back, and whether a `--phase` path is well formed.
// Pure: no I/O, so that the engine, the CLI and the tests all see one definition.

import { GravityError } from '../errors.ts';
import type { Phase, PhaseChange, PhaseSpec, PhaseState } from './types.ts';

/**
 * What the tree helpers need of a phase: both PhaseSpec and Phase are trees of this shape.
 * @example function count<T extends PhaseTree<T>>(root: T): number { return descendants(root).length; }
 */
export interface PhaseTree<T> {
  id: string;
  requires: string[];
  phases: T[];
}

/**
 * The id of the whole plan (Gravity's RootPhase).
 * @example const plan: PhaseSpec = { id: rootPhaseId, description, requires: [], phases };
 */
export const rootPhaseId = '/';

/**
 * One segment of a phase id: what a plan file writes as `id:` (`init`, `node-1`, `k8s.v1_27`).
 * @example phaseSegmentPattern.test('node-1') // true; '..' and 'a/b' are not segments
 */
export const phaseSegmentPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/u;

/**
 * Why `text` is not a well-formed absolute phase path, or undefined when it is one (`/` included).
 * @example phasePathProblem('/a//b') // 'empty segment between two "/"'
 */
export function phasePathProblem(text: string): string | undefined {
  if (text === rootPhaseId) return undefined;
  if (text === '') return 'the path is empty';
  if (!text.startsWith('/')) return `a phase path is absolute: write "/${text}"`;
  if (text.endsWith('/')) return 'a phase path does not end with "/"';
  for (const segment of text.slice(1).split('/')) {
    if (segment === '') return 'empty segment between two "/"';
    if (segment === '.' || segment === '..') return `"${segment}" is not allowed: phase paths are ids, not file paths`;
    if (!phaseSegmentPattern.test(segment)) {
      return `segment ${JSON.stringify(segment)} may hold only letters, digits and ._- (starting with a letter or digit)`;
    }
  }
  return undefined;
}

/**
 * Checks a phase path as a user typed it (`--phase`): absolute, no empty, `.` or `..` segments, no
 * trailing `/` or other characters. Returns it unchanged; throws E_PHASE_PATH saying what is wrong.
 * @example normalizePhasePath('/masters/node-1') // '/masters/node-1'
 * @example normalizePhasePath('/../x') // throws E_PHASE_PATH
 */
export function normalizePhasePath(text: string): string {
  const problem = phasePathProblem(text);
  if (problem !== undefined) throw new GravityError('E_PHASE_PATH', `invalid phase path ${JSON.stringify(text)}: ${problem}`);
  return text;
}

/**
 * A group's state from its children's, by Gravity's rule: all equal → that state; else any failed →
 * failed; any in progress → in progress; no completed and some rolled back → rolled back; else in
 * progress. No children: unstarted.
 * @example deriveState(['completed', 'unstarted']) // 'in_progress'
 */
export function deriveState(states: readonly PhaseState[]): PhaseState {
  const first = states[0];
  if (first === undefined) return 'unstarted';
  if (states.every((state) => state === first)) return first;
  if (states.includes('failed')) return 'failed';
  if (states.includes('in_progress')) return 'in_progress';
  if (!states.includes('completed') && states.includes('rolled_back')) return 'rolled_back';
  return 'in_progress';
}

function buildPhase(spec: PhaseSpec, latest: ReadonlyMap<string, PhaseChange>): Phase {
  const { phases, requires, ...rest } = spec;
  if (phases.length === 0) {
    const change = latest.get(spec.id);
    return {
      ...rest,
      requires: [...requires],
      state: change?.state ?? 'unstarted',
      ...(change === undefined ? {} : { updated: change.time }),
      ...(change?.error === undefined ? {} : { error: change.error }),
      phases: [],
    };
  }
  const children = phases.map((child) => buildPhase(child, latest));
  let updated: number | undefined;
  for (const child of children) {
    if (child.updated !== undefined && (updated === undefined || child.updated > updated)) updated = child.updated;
  }
  return {
    ...rest,
    requires: [...requires],
    state: deriveState(children.map((child) => child.state)),
    ...(updated === undefined ? {} : { updated }),
    phases: children,
  };
}

/**
 * The plan as shown: each leaf takes the state, time and error of its latest change (by time; of
 * changes with the same time, the later in `changes`), unstarted when it has none; each group's state
 * is derived from its children and its `updated` is the latest of theirs. Changes naming no leaf are
 * ignored.
 * @example const plan = resolvePlan(record.plan, store.operations.changes(record.id)); plan.state
 */
export function resolvePlan(spec: PhaseSpec, changes: readonly PhaseChange[]): Phase {
  const latest = new Map<string, PhaseChange>();
  for (const change of changes) {
    const current = latest.get(change.phaseId);
    if (current === undefined || change.time >= current.time) latest.set(change.phaseId, change);
  }
  return buildPhase(spec, latest);
}

/**
 * The leaves under `phase` in plan order (a phase without children is its own only leaf).
 * @example leaves(plan).map((leaf) => leaf.id) // ['/init', '/masters/node-1/drain', ...]
 */
export function leaves<T extends PhaseTree<T>>(phase: T): T[] {
  const found: T[] = [];
  const visit = (current: T): void => {
    if (current.phases.length === 0) found.push(current);
    else for (const child of current.phases) visit(child);
  };
  visit(phase);
  return found;
}

/**
 * Every phase under `root` (not `root` itself), each group before its children, in plan order.
 * @example descendants(plan).map((phase) => phase.id) // ['/init', '/masters', '/masters/node-1', ...]
 */
export function descendants<T extends PhaseTree<T>>(root: T): T[] {
  const found: T[] = [];
  const visit = (current: T): void => {
    for (const child of current.phases) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** Whether `id` is `group` or lies under it. */
function within(id: string, group: string): boolean {
  return group === rootPhaseId || id === group || id.startsWith(`${group}/`);
}

/** The path from `root` down to the phase `id` (both included), or undefined when there is none. */
function pathTo<T extends PhaseTree<T>>(root: T, id: string): T[] | undefined {
  if (id === root.id || id === rootPhaseId) return [root];
  const path: T[] = [root];
  let current = root;
  for (;;) {
    const next = current.phases.find((child) => within(id, child.id));
    if (next === undefined) return undefined;
    path.push(next);
    if (next.id === id) return path;
    current = next;
  }
}

/**
 * The phase with this id (`/` or the root's own id: the root), or undefined.
 * @example findPhase(plan, '/masters/node-1/drain')?.state
 */
export function findPhase<T extends PhaseTree<T>>(root: T, id: string): T | undefined {
  return pathTo(root, id)?.at(-1);
}

/**
 * The phase with this id; throws E_PHASE_NOT_FOUND (Gravity's `phase "X" not found`).
 * @example const phase = getPhase(plan, normalizePhasePath(flags.phase));
 */
export function getPhase<T extends PhaseTree<T>>(root: T, id: string): T {
  const phase = findPhase(root, id);
  if (phase === undefined) throw new GravityError('E_PHASE_NOT_FOUND', `phase ${JSON.stringify(id)} not found`);
  return phase;
}

/**
 * The groups that contain the phase `id`, outermost first, not counting the root (the whole plan).
 * Throws E_PHASE_NOT_FOUND when there is no such phase.
 * @example ancestors(plan, '/masters/node-1/drain').map((group) => group.id) // ['/masters', '/masters/node-1']
 */
export function ancestors<T extends PhaseTree<T>>(root: T, id: string): T[] {
  const path = pathTo(root, id);
  if (path === undefined) throw new GravityError('E_PHASE_NOT_FOUND', `phase ${JSON.stringify(id)} not found`);
  return path.slice(1, -1);
}

/** Whether one of the two phases contains the other (or they are the same). */
function overlaps(a: string, b: string): boolean {
  return within(a, b) || within(b, a);
}

/**
 * The phases that depend on the phase `id`, in plan order: those whose `requires` name it, one of its
 * groups or one of its own phases, and, transitively, those that depend in that way on a phase found
 * so (as Gravity's CanRollback follows them). The phase's own groups and phases are not counted, and
 * a dependent group is listed without its phases (its derived state covers theirs). Whether a
 * dependent has started is the caller's question. Throws E_PHASE_NOT_FOUND.
 * @example dependents(plan, '/init').map((phase) => phase.id) // ['/masters', '/workers/node-3/join']
 */
export function dependents<T extends PhaseTree<T>>(root: T, id: string): T[] {
  getPhase(root, id);
  const candidates = descendants(root).filter((phase) => !overlaps(phase.id, id));
  const reached = [id];
  const found = new Set<T>();
  for (let next = 0; next < reached.length; next += 1) {
    const target = reached[next]!;
    for (const phase of candidates) {
      if (!found.has(phase) && phase.requires.some((required) => overlaps(required, target))) {
        found.add(phase);
        reached.push(phase.id);
      }
    }
  }
  // A dependent group stands for its phases: list only the outermost.
  const outermost = [...found].filter((phase) => ![...found].some((other) => other !== phase && within(phase.id, other.id)));
  return candidates.filter((phase) => outermost.includes(phase));
}

/**
 * Whether every leaf is completed (Gravity's IsCompleted).
 * @example if (isCompleted(plan)) store.operations.setState(id, 'completed', now)
 */
export function isCompleted(root: Phase): boolean {
  return leaves(root).every((leaf) => leaf.state === 'completed');
}

/**
 * Whether every leaf is rolled back or was never started (Gravity's IsRolledBack).
 * @example isRolledBack(plan) // true after `gravity rollback`
 */
export function isRolledBack(root: Phase): boolean {
  return leaves(root).every((leaf) => leaf.state === 'rolled_back' || leaf.state === 'unstarted');
}
