// A plain model of a machine's statechart, for drawing: the nested states with their kind, initial
// child and invoked actors, and every transition with its event, guard and delay. Built by walking
// the machine's own state nodes (`machine.root`) rather than @xstate/graph's `toDirectedGraph`:
// the state nodes keep the delay's name of an `after` transition, the source of the actor behind a
// `done`/`error` event and the `always` transitions, which the directed graph only shows as raw event
// types (`xstate.after.timeout.probe.active.cycle.checking`). The tests check this model against
// `toDirectedGraph`, so neither can drift from the other unnoticed.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { GravityError } from '../errors.ts';
import { findActiveStates } from './active-states.ts';

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface StateModel {
  /** The state node's id, unique in the machine, e.g. `probe.active.cycle.checking`. */
  id: string;
  /** Its key in its parent, e.g. `checking`; the machine's id for the root. */
  key: string;
  /** Keys from the root, e.g. `['active', 'cycle', 'checking']`; empty for the root. */
  path: string[];
  kind: StateKind;
  /** The id of the initial child (compound states only). */
  initial?: string;
  /** The actors it invokes while active, by source name, e.g. `['runCheck']`. */
  invokes: string[];
  description?: string;
  children: StateModel[];
}

export type TransitionKind = 'event' | 'always' | 'after' | 'done.invoke' | 'error.invoke' | 'done.state';

export interface TransitionModel {
  /** The id of the state the transition is defined on. */
  source: string;
  /** The ids of the target states; empty for a targetless transition (actions only). */
  targets: string[];
  kind: TransitionKind;
  /** The event type as XState sees it; absent for `always`. */
  event?: string;
  /** The guard's name (`inline` for an inline function), e.g. `enoughSuccesses`. */
  guard?: string;
  /** For `after`: the delay's name, or its length in ms. */
  delay?: string | number;
  /** For `done.invoke` / `error.invoke`: the invoked actor's source name. */
  actor?: string;
  /** Exits and re-enters the source even when the target is inside it. */
  reenter: boolean;
  /** What a drawing writes on the arrow, e.g. `probe.passed [enoughSuccesses]`, `after(timeout)`. */
  label: string;
}

export interface MachineModel {
  /** The machine's id, e.g. `probe`. */
  id: string;
  root: StateModel;
  /** Every transition, in document order of their source states. */
  transitions: TransitionModel[];
}

/** A machine's state value as snapshots and the agent's tree report it. */
export type StateValueJson = string | { [key: string]: StateValueJson };

const afterPrefix = 'xstate.after.';
const doneActorPrefix = 'xstate.done.actor.';
const errorActorPrefix = 'xstate.error.actor.';
const doneStatePrefix = 'xstate.done.state.';

function kindOf(node: AnyStateNode): StateKind {
  return node.type;
}

function invokeName(invoke: { id: string; src: unknown }): string {
  return typeof invoke.src === 'string' ? invoke.src : invoke.id;
}

/** A guard's printable name: its type, an inline function's `inline`, combinators as `and(a, b)`. */
function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown }).guards;
    const name = guard.name;
    if (Array.isArray(combined)) return `${name}(${combined.map((inner) => guardName(inner) ?? 'inline').join(', ')})`;
    return name === '' || name === 'guard' ? 'inline' : name;
  }
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  return 'inline';
}

function delayLabel(delay: string | number): string {
  return typeof delay === 'number' ? `after ${delay}ms` : `after(${delay})`;
}

function withGuard(text: string, guard: string | undefined): string {
  return guard === undefined ? text : `${text} [${guard}]`;
}

function stateModel(node: AnyStateNode): StateModel {
  const children = Object.values(node.states).map(stateModel);
  const model: StateModel = {
    id: node.id,
    key: node.key,
    path: [...node.path],
    kind: kindOf(node),
    invokes: node.invoke.map(invokeName),
    children,
  };
  if (node.type === 'compound') {
    const initial = node.initial.target[0];
    if (initial !== undefined) model.initial = initial.id;
  }
  if (node.description !== undefined) model.description = node.description;
  return model;
}

interface RawTransition {
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
  reenter?: boolean;
}

function transitionsOf(node: AnyStateNode): TransitionModel[] {
  const out: TransitionModel[] = [];
  const delays = new Map<string, string | number>(
    node.after.map((after) => [after.eventType, typeof after.delay === 'function' ? 'inline' : after.delay]),
  );
  const actors = new Map<string, string>(node.invoke.map((invoke) => [invoke.id, invokeName(invoke)]));
  const push = (raw: RawTransition, base: Omit<TransitionModel, 'source' | 'targets' | 'reenter' | 'label' | 'guard'>, text: string): void => {
    const guard = guardName(raw.guard);
    const transition: TransitionModel = {
      source: node.id,
      targets: (raw.target ?? []).map((target) => target.id),
      ...base,
      reenter: raw.reenter === true,
      label: withGuard(text, guard),
    };
    if (guard !== undefined) transition.guard = guard;
    out.push(transition);
  };

  for (const [event, list] of node.transitions) {
    for (const raw of list) {
      const delay = delays.get(event);
      if (delay !== undefined) {
        push(raw, { kind: 'after', event, delay }, delayLabel(delay));
      } else if (event.startsWith(doneActorPrefix)) {
        const actor = actors.get(event.slice(doneActorPrefix.length)) ?? event.slice(doneActorPrefix.length);
        push(raw, { kind: 'done.invoke', event, actor }, `done(${actor})`);
      } else if (event.startsWith(errorActorPrefix)) {
        const actor = actors.get(event.slice(errorActorPrefix.length)) ?? event.slice(errorActorPrefix.length);
        push(raw, { kind: 'error.invoke', event, actor }, `error(${actor})`);
      } else if (event.startsWith(doneStatePrefix)) {
        push(raw, { kind: 'done.state', event }, 'done');
      } else if (event.startsWith(afterPrefix)) {
        // An `after` event whose delay the node did not list (not produced by XState 5): keep it raw.
        push(raw, { kind: 'event', event }, event);
      } else {
        push(raw, { kind: 'event', event }, event);
      }
    }
  }
  for (const raw of node.always ?? []) push(raw, { kind: 'always' }, 'always');
  for (const child of Object.values(node.states)) out.push(...transitionsOf(child));
  return out;
}

/**
 * The drawing model of a machine, from its definition alone (no actor is started).
 * @example
 * const model = machineModel(probeMachine);
 * model.transitions.find((t) => t.kind === 'after')?.label; // 'after(timeout)'
 */
export function machineModel(machine: AnyStateMachine): MachineModel {
  return { id: machine.id, root: stateModel(machine.root), transitions: transitionsOf(machine.root) };
}

/**
 * Every state of the model, the root first, depth first in document order.
 * @example allStates(machineModel(idleMachine)).map((s) => s.key) // ['idle', 'running', 'stopped']
 */
export function allStates(model: MachineModel): StateModel[] {
  const out: StateModel[] = [];
  const visit = (state: StateModel): void => {
    out.push(state);
    state.children.forEach(visit);
  };
  visit(model.root);
  return out;
}

/**
 * The ids of the states a state value says are active: every leaf it names and their ancestors (the
 * root excluded). Throws `E_STATECHART_MISMATCH` when the value names a state the machine does not
 * have, i.e. the actor does not run this machine.
 * @example
 * activeStateIds(machineModel(probeMachine), { active: { status: 'running', cycle: 'waiting' } });
 * // ['probe.active', 'probe.active.status', 'probe.active.status.running', 'probe.active.cycle', 'probe.active.cycle.waiting']
 */
export function activeStateIds(model: MachineModel, value: unknown): string[] {
  const found = findActiveStates(model, value);
  if (!found.ok) throw new GravityError('E_STATECHART_MISMATCH', found.problem);
  return found.ids;
}
