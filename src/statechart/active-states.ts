// Which states a state value makes active, from the drawing model alone. Kept free of the error
// catalogue and of XState so that the Control Panel's pages can light a chart with it; graph.ts
// turns a mismatch into the catalogue's E_STATECHART_MISMATCH for everything else.

import type { MachineModel, StateModel } from './graph.ts';

export type ActiveStates = { ok: true; ids: string[] } | { ok: false; problem: string };

function describeValue(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * The ids of the states a state value says are active (every leaf it names and their ancestors, the
 * root excluded), or why the value does not fit the machine.
 * @example
 * findActiveStates(model, { active: { status: 'running', cycle: 'waiting' } });
 * // { ok: true, ids: ['probe.active', 'probe.active.status', 'probe.active.status.running', ...] }
 */
export function findActiveStates(model: MachineModel, value: unknown): ActiveStates {
  const active: string[] = [];
  const walk = (parent: StateModel, part: unknown): string | undefined => {
    const child = (key: string): StateModel | string => {
      const found = parent.children.find((candidate) => candidate.key === key);
      return (
        found ?? `the ${model.id} machine has no state '${key}' in '${parent.id}' (state value ${describeValue(value)}): is the actor a ${model.id}?`
      );
    };
    if (typeof part === 'string') {
      const state = child(part);
      if (typeof state === 'string') return state;
      active.push(state.id);
      return undefined;
    }
    if (typeof part === 'object' && part !== null && !Array.isArray(part)) {
      for (const [key, inner] of Object.entries(part)) {
        const state = child(key);
        if (typeof state === 'string') return state;
        active.push(state.id);
        const problem = walk(state, inner);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    return `not a state value: ${describeValue(value)}`;
  };
  const problem = walk(model.root, value);
  return problem === undefined ? { ok: true, ids: active } : { ok: false, problem };
}
