// Wires the health actors together through the inspection bus: each probe's result goes to its node
// machine, the node's status and the status hook's result go to the cluster machine, and every
// transition goes to the status history and the metrics. The actors stay pure and unaware of one
// another; this is the only place that knows who listens to whom.

import type { InspectionBus } from '../actors/inspection.ts';
import type { Clock } from '../clock.ts';
import type { HistoryStore } from '../store/types.ts';
import type { HealthModel, HealthTransition } from './model.ts';
import { healthPaths } from './model.ts';
import { toHistoryEvents } from './timeline.ts';
import type { NodeEvent } from '../machines/node.ts';
import type { ClusterEvent } from '../machines/cluster.ts';

export interface HealthAggregationOptions {
  bus: InspectionBus;
  model: HealthModel;
  nodeName: string;
  clock: Clock;
  /** Sends an event to a child of the root supervisor by id (`node:<name>`, `cluster`). */
  sendTo: (childId: string, event: NodeEvent | ClusterEvent) => void;
  history?: HistoryStore;
  /** Called with every transition (metrics). */
  onTransition?: (transition: HealthTransition) => void;
  /** Called when writing the history fails (logged by the agent; health keeps working). */
  onHistoryError?: (error: unknown) => void;
}

/**
 * Starts routing; returns the function that stops it.
 * @example const stop = startHealthAggregation({ bus, model, nodeName, clock, sendTo: (id, e) => root.sendTo(id, e), history });
 */
export function startHealthAggregation(options: HealthAggregationOptions): () => void {
  const { model, nodeName, sendTo } = options;
  const nodeChild = `node:${nodeName}`;
  return options.bus.subscribe(
    (record) => {
      const transitions = model.apply(record);
      if (transitions.length === 0) return;
      for (const transition of transitions) {
        options.onTransition?.(transition);
        switch (transition.kind) {
          case 'probe': {
            if (transition.to === 'unknown') break;
            const report = model.probe(transition.probe);
            sendTo(nodeChild, {
              type: 'PROBE_RESULT' as const,
              probe: transition.probe,
              status: transition.to,
              severity: transition.severity,
              ...(report?.error === undefined ? {} : { error: report.error }),
            });
            break;
          }
          case 'node':
            sendTo('cluster', { type: 'NODE_STATUS', node: nodeName, status: transition.to });
            break;
          case 'statusHook':
            sendTo('cluster', { type: 'STATUS_HOOK', result: transition.result, ...(transition.message === undefined ? {} : { message: transition.message }) });
            break;
          case 'cluster':
            break;
        }
      }
      const events = toHistoryEvents(transitions, nodeName, options.clock.now());
      if (events.length > 0 && options.history !== undefined) {
        try {
          options.history.append(events);
        } catch (error) {
          options.onHistoryError?.(error);
        }
      }
    },
    { kinds: ['snapshot'], pathPrefix: 'agent' },
  );
}

export { healthPaths };
