// Turns health transitions into status-history events, as `gravity status history` shows them. Only
// transitions are recorded, never output-only changes (a failed probe's new error text is not an
// event). A probe's first result is recorded only when it fails: an agent starting healthy adds no
// noise, an agent starting broken says so.

import { randomUUID } from 'node:crypto';
import type { HistoryEvent } from '../store/types.ts';
import type { HealthTransition } from './model.ts';

/**
 * @example toHistoryEvents([{ kind: 'node', from: 'running', to: 'degraded' }], 'node-1', Date.now())
 */
export function toHistoryEvents(transitions: readonly HealthTransition[], localNode: string, time: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const transition of transitions) {
    const base = { id: randomUUID(), time };
    /** The node a probe or node transition is about; `localNode` when it names none. */
    const node = 'node' in transition ? (transition.node ?? localNode) : localNode;
    switch (transition.kind) {
      case 'probe':
        if (transition.to === 'failed') {
          events.push({ ...base, type: 'Probe Failed', node, checker: transition.probe, ...(transition.error === undefined ? {} : { detail: transition.error }) });
        } else if (transition.to === 'running' && transition.from === 'failed') {
          events.push({ ...base, type: 'Probe Succeeded', node, checker: transition.probe });
        }
        break;
      case 'node':
        if (transition.to === 'degraded') events.push({ ...base, type: 'Node Degraded', node });
        else if (transition.to === 'running' && transition.from === 'degraded') events.push({ ...base, type: 'Node Recovered', node });
        break;
      case 'cluster':
        if (transition.to === 'degraded') {
          events.push({ ...base, type: 'Cluster Degraded', ...(transition.reason === undefined ? {} : { detail: transition.reason }) });
        } else if (transition.from === 'degraded') {
          events.push({ ...base, type: 'Cluster Recovered' });
        }
        break;
      case 'statusHook':
        break;
    }
  }
  return events;
}
