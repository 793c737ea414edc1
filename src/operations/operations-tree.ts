// The operations subtree: the `operations` supervisor that requests on operations run under (its
// children are added as requests come, see operations-service.ts), and the same subtree started in a
// CLI process when no agent runs for its state dir, so that a plan runs through the one code path
// (supervisor, machines, executors) wherever it runs.

import { InspectionBus } from '../actors/inspection.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { phaseMachine } from '../machines/phase.ts';
import type { PhaseRunner } from '../plan/executors.ts';
import type { OperationStore } from '../store/types.ts';
import { cliRootPath, thisProcessHolder } from './this-process.ts';
import { createLauncher } from '../supervisor/launcher.ts';
import { compileSupervisorSpec } from '../supervisor/spec.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { OperationsService } from './operations-service.ts';
import { operationsChildId, operationsSupervisorSpecInput } from './operations-spec.ts';

/** The running operations supervisor under a root, if it runs. */
export function operationsSupervisorOf(root: Supervisor): Supervisor | undefined {
  const child = root.childById(operationsChildId);
  return child instanceof Supervisor && child.state === 'running' ? child : undefined;
}

export interface LocalOperations {
  service: OperationsService;
  bus: InspectionBus;
  supervisor: Supervisor;
  /** Stops the subtree (a run still going is stopped: its phases read failed) and the service. */
  stop(): Promise<void>;
}

export interface LocalOperationsOptions {
  store: OperationStore;
  runner: PhaseRunner;
  clock?: Clock;
  bus?: InspectionBus;
  phaseLogic?: typeof phaseMachine;
}

/**
 * Starts the operations subtree in this process, for a CLI that has no agent to ask.
 * @example const local = await startLocalOperations({ store: store.operations, runner }); const run = await local.service.start(request); ... await local.stop();
 */
export async function startLocalOperations(options: LocalOperationsOptions): Promise<LocalOperations> {
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new InspectionBus();
  const supervisor = new Supervisor({
    path: `${cliRootPath}/${operationsChildId}`,
    spec: compileSupervisorSpec(operationsSupervisorSpecInput, `${cliRootPath}/${operationsChildId}`),
    bus,
    clock,
    launcher: createLauncher(),
  });
  await supervisor.start();
  const service = new OperationsService({
    supervisor: () => (supervisor.state === 'running' ? supervisor : undefined),
    store: options.store,
    runner: options.runner,
    holder: thisProcessHolder(),
    bus,
    clock,
    ...(options.phaseLogic === undefined ? {} : { phaseLogic: options.phaseLogic }),
  });
  return {
    service,
    bus,
    supervisor,
    stop: async () => {
      await supervisor.stop('infinity');
      service.close();
    },
  };
}
