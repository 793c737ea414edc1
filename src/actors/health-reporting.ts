// Which actors report health, and how: the probe, node, cluster and status-hook actors each have a
// typed selector next to their machine, and the host that runs such an actor (on whatever thread it
// lives) attaches the selector's result to the actor's snapshot records. The health model then reads
// typed signals instead of guessing from paths and snapshot shapes.

import type { AnyActorLogic, SnapshotFrom } from 'xstate';
import { nodeMachine, nodeReport } from '../machines/node.ts';
import { clusterMachine, clusterReport } from '../machines/cluster.ts';
import { probeReport } from '../machines/probe.ts';
import { statusHookReport } from '../machines/status-hook.ts';
import type { HealthSignal } from '../health/types.ts';
import type { HealthReporter } from './inspection.ts';
import { probeLogic } from './probe-actor.ts';
import { statusHookLogic } from './status-hook-actor.ts';

function reporter<TLogic extends AnyActorLogic>(
  logic: TLogic,
  report: (snapshot: SnapshotFrom<TLogic>) => HealthSignal | undefined,
): [AnyActorLogic, HealthReporter] {
  // The map is keyed by this very logic, so its snapshots are of this type.
  return [logic, (snapshot) => report(snapshot as SnapshotFrom<TLogic>)];
}

const reporters = new Map<AnyActorLogic, HealthReporter>([
  reporter(probeLogic, (snapshot) => {
    const { node, name } = snapshot.context;
    return { kind: 'probe', ...(node === undefined ? {} : { node }), probe: name, report: probeReport(snapshot) };
  }),
  reporter(nodeMachine, (snapshot) => ({ kind: 'node', ...nodeReport(snapshot) })),
  reporter(clusterMachine, (snapshot) => ({ kind: 'cluster', ...clusterReport(snapshot) })),
  reporter(statusHookLogic, (snapshot) => {
    const report = statusHookReport(snapshot);
    return report === undefined ? undefined : { kind: 'status-hook', ...report };
  }),
]);

/**
 * The health reporter of a built-in health actor's logic, or undefined for any other logic.
 * @example createActorInspector(path, bus, clock, healthReporterOf(logic))
 */
export function healthReporterOf(logic: AnyActorLogic): HealthReporter | undefined {
  return reporters.get(logic);
}
