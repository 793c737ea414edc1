// Wires the health actors together through the inspection bus: the health model reads the typed
// health signals the actors' snapshot records carry; each probe's result then goes to its node's
// machine, a node's status and the status hook's result go to the cluster machine, and every
// transition goes to the status history and the metrics. The actors stay pure and unaware of one
// another; this is the only place that knows who listens to whom.

import type { InspectionBus } from '../actors/inspection.ts';
import type { Clock } from '../clock.ts';
import type { HistoryStore } from '../store/types.ts';
import type { HealthModel, HealthTransition } from './model.ts';
import { agentRootPath, clusterChildId, nodeChildId } from '../supervisor/agent-tree.ts';
import { toHistoryEvents } from './timeline.ts';
import type { NodeEvent } from '../machines/node.ts';
import type { ClusterEvent } from '../machines/cluster.ts';

export interface HealthAggregationOptions {
  bus: InspectionBus;
  model: HealthModel;
  nodeName: string;
  clock: Clock;
  /** Sends an event to a child of the root supervisor by id (nodeChildId(name), clusterChildId). */
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
  const sendProbe = (node: string, name: string): void => {
    const report = model.probe(name, node);
    if (report === undefined || report.status === 'unknown') return;
    sendTo(nodeChildId(node), {
      type: 'PROBE_RESULT' as const,
      probe: name,
      status: report.status,
      severity: report.severity,
      ...(report.error === undefined ? {} : { error: report.error }),
    });
  };
  /** A restarted node or cluster machine starts blank: tell it what is known now. */
  const replay = (child: string): void => {
    const report = model.report(options.clock.now());
    const restartedNode = report.nodes.find((node) => nodeChildId(node.name) === child);
    if (restartedNode !== undefined) {
      for (const probe of restartedNode.probes) sendProbe(restartedNode.name, probe.name);
    } else if (child === clusterChildId) {
      for (const node of report.nodes) {
        if (node.status !== 'unknown') sendTo(clusterChildId, { type: 'NODE_STATUS', node: node.name, status: node.status });
      }
      const hook = model.statusHook();
      if (hook !== undefined) sendTo(clusterChildId, { type: 'STATUS_HOOK', result: hook.result, ...(hook.message === undefined ? {} : { message: hook.message }) });
    }
  };
  return options.bus.subscribe(
    (record) => {
      if (record.kind === 'supervisor') {
        if (record.path === agentRootPath && record.action === 'start' && record.reason === 'restarted') replay(record.child);
        return;
      }
      const transitions = model.apply(record);
      if (transitions.length === 0) return;
      // Recorded before routing: routing makes the next machine transition at once (re-entering
      // here), and the history must read cause first, then effect.
      const events = toHistoryEvents(transitions, nodeName, options.clock.now());
      if (events.length > 0 && options.history !== undefined) {
        // Issued here, in transition order: a store applies appends in the order they are made.
        options.history.append(events).catch((error: unknown) => options.onHistoryError?.(error));
      }
      for (const transition of transitions) {
        options.onTransition?.(transition);
        switch (transition.kind) {
          case 'probe':
            if (transition.to !== 'unknown') sendProbe(transition.node ?? nodeName, transition.probe);
            break;
          case 'node':
            sendTo(clusterChildId, { type: 'NODE_STATUS', node: transition.node ?? nodeName, status: transition.to });
            break;
          case 'statusHook':
            sendTo(clusterChildId, { type: 'STATUS_HOOK', result: transition.result, ...(transition.message === undefined ? {} : { message: transition.message }) });
            break;
          case 'cluster':
            break;
        }
      }
    },
    { kinds: ['snapshot', 'supervisor'], pathPrefix: agentRootPath },
  );
}
