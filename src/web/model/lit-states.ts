// The states a chart lights for an actor's state value. A value that does not fit the machine (the
// tree named the wrong machine, or the definition changed under a running agent) lights nothing
// instead of breaking the page.

import { findActiveStates } from '../../statechart/active-states.ts';
import type { MachineModel } from '../../statechart/graph.ts';

/**
 * The lit state ids (leaves and their ancestors, the root excluded), or undefined when the value
 * does not fit the machine or there is no value.
 * @example litStates(probeModel, { active: { status: 'running', cycle: 'waiting' } })?.includes('probe.active') // true
 */
export function litStates(model: MachineModel, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const found = findActiveStates(model, value);
  return found.ok ? found.ids : undefined;
}

/**
 * A state value on one line: the path to each active leaf, dotted.
 * @example stateValueText({ active: { status: 'running', cycle: 'waiting' } }) // 'active.status.running, active.cycle.waiting'
 */
export function stateValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return JSON.stringify(value) ?? String(value);
  const paths: string[] = [];
  const walk = (prefix: string, part: unknown): void => {
    if (typeof part === 'object' && part !== null && !Array.isArray(part)) {
      const entries = Object.entries(part);
      if (entries.length === 0) paths.push(prefix);
      for (const [key, inner] of entries) walk(prefix === '' ? key : `${prefix}.${key}`, inner);
    } else {
      paths.push(prefix === '' ? String(part) : `${prefix}.${String(part)}`);
    }
  };
  walk('', value);
  return paths.join(', ');
}
