// When the agent starts with a configuration other than the last one, the history may hold what the
// earlier one left open: a probe whose last event is `Probe Failed` but which this configuration no
// longer has (removed, or run under a node name that is no longer this node's), a node left degraded
// that is no longer this node. Nothing would ever close them, so they would read as failing forever.
// This closes each with one event (`Probe Removed`, `Node Removed`), once, at start.

import { randomUUID } from 'node:crypto';
import type { HistoryEvent } from '../store/types.ts';

/** What the agent runs now: its node's name and its probes' names. */
export interface CurrentConfiguration {
  node: string;
  probes: readonly string[];
}

/**
 * The events that close what is left open, given the newest event of each node and (node, checker)
 * (HistoryStore.latest). Probes first, then nodes.
 * @example leftoverClosingEvents([{ id: 'a', time: 1, type: 'Probe Failed', node: 'old', checker: 'web' }], { node: 'new', probes: ['web'] }, 2)
 * // [{ id: '…', time: 2, type: 'Probe Removed', node: 'old', checker: 'web' }]
 */
export function leftoverClosingEvents(latest: readonly HistoryEvent[], current: CurrentConfiguration, time: number): HistoryEvent[] {
  const probes = new Set(current.probes);
  const closing: HistoryEvent[] = [];
  for (const event of latest) {
    if (event.type !== 'Probe Failed' || event.node === undefined || event.checker === undefined) continue;
    if (event.node === current.node && probes.has(event.checker)) continue;
    closing.push({ id: randomUUID(), time, type: 'Probe Removed', node: event.node, checker: event.checker });
  }
  for (const event of latest) {
    if (event.type !== 'Node Degraded' || event.node === undefined || event.checker !== undefined || event.node === current.node) continue;
    closing.push({ id: randomUUID(), time, type: 'Node Removed', node: event.node });
  }
  return closing;
}
