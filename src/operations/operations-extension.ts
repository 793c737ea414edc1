// The agent's side of operations: the service that runs requests under the tree's `operations`
// supervisor, with this node's phase executors and the store of its state dir, and the control
// methods the CLI uses to hand it a request and follow it (`operation`), or to stop one
// (`operation-stop`).

import type { GravityConfig } from '../config/types.ts';
import type { OperationRequest } from '../machines/operation.ts';
import { createPhaseExecutors } from '../plan/executors.ts';
import { takeStore } from '../store/index.ts';
import type { AgentExtension } from '../supervisor/agent.ts';
import type { OperationAnswer } from './operation-run.ts';
import type { OperationStreamItem } from './follow-run.ts';
import type { TimerHandle } from '../clock.ts';
import { OperationsService } from './operations-service.ts';
import { operationsSupervisorOf } from './operations-tree.ts';
import { thisProcessHolder } from './this-process.ts';
import { followRun } from './follow-run.ts';

/** The longest `operation-stop` waits for the runs it stopped to end before it answers. */
export const operationStopWaitMs = 30_000;

/**
 * @example extensions: [operationsExtension(config)]
 */
export function operationsExtension(config: Pick<GravityConfig, 'stateDir' | 'historyRetentionMs' | 'store' | 'node' | 'app'>): AgentExtension {
  return {
    name: 'operations',
    start: ({ stateDir, bus, root, clock }) => {
      const { store, release } = takeStore({ stateDir, historyRetentionMs: config.historyRetentionMs, ...(config.store === undefined ? {} : { store: config.store }) }, { clock });
      const service = new OperationsService({
        supervisor: () => operationsSupervisorOf(root),
        store: store.operations,
        runner: createPhaseExecutors({ stateDir, localNode: config.node.name, ...(config.app === undefined ? {} : { app: config.app }) }),
        holder: thisProcessHolder(),
        bus,
        clock,
      });
      const operation = (request: OperationRequest, signal: AbortSignal): AsyncIterator<OperationStreamItem, OperationAnswer, undefined> =>
        followRun(service, request, signal);
      const stopOperation = async (params: { operationId?: string }): Promise<{ stopped: string[] }> => {
        const runs = service.stop(params.operationId);
        let timer: TimerHandle | undefined;
        await Promise.race([
          Promise.all(runs.map((run) => run.outcome)),
          new Promise<void>((resolve) => {
            timer = clock.setTimeout(() => resolve(), operationStopWaitMs);
          }),
        ]);
        if (timer !== undefined) clock.clearTimeout(timer);
        return { stopped: runs.map((run) => run.request.operationId) };
      };
      return Promise.resolve({
        handlers: { operation, 'operation-stop': stopOperation },
        stop: () => {
          service.close();
          release();
          return Promise.resolve();
        },
      });
    },
  };
}
