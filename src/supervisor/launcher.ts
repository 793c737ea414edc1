// Starts a child of any kind from its spec: an actor on this thread, a nested supervisor, or either
// of them on a worker thread. The agent's launcher can place children on workers; the launcher
// used inside a worker cannot (nested workers are refused when the spec is validated).

import type { ChildSpec } from './spec.ts';
import type { ChildContext, RunningChild } from './child.ts';
import type { ChildLauncher } from './supervisor.ts';
import { Supervisor } from './supervisor.ts';
import { actorInput, resolveActorLogic } from '../actors/logic.ts';
import { startActorChild } from '../actors/actor-child.ts';

/** Starts a worker-thread child; provided by the worker host module so this file stays thread-free. */
export type WorkerChildStarter = (spec: ChildSpec, context: ChildContext) => Promise<RunningChild>;

export interface LauncherOptions {
  /** How to start `thread: 'worker'` children; without it they are refused. */
  startOnWorker?: WorkerChildStarter;
}

/**
 * @example const launcher = createLauncher({ startOnWorker: startWorkerChild });
 */
export function createLauncher(options: LauncherOptions = {}): ChildLauncher {
  const launcher: ChildLauncher = {
    async launch(spec: ChildSpec, context: ChildContext): Promise<RunningChild> {
      if (spec.thread === 'worker' && options.startOnWorker !== undefined) {
        return options.startOnWorker(spec, context);
      }
      if (spec.thread === 'worker') throw new Error(`${context.path}: worker threads are not available here`);
      return startOnThisThread(spec, context, launcher);
    },
  };
  return launcher;
}

/** Starts a child on the current thread, whatever its declared placement (used inside workers). */
export async function startOnThisThread(spec: ChildSpec, context: ChildContext, launcher: ChildLauncher): Promise<RunningChild> {
  if (spec.type === 'supervisor') {
    const supervisor = new Supervisor({
      path: context.path,
      spec: spec.start.supervisor,
      bus: context.bus,
      clock: context.clock,
      launcher,
      onExit: context.onExit,
    });
    await supervisor.start();
    return supervisor;
  }
  if ('starter' in spec.start) return spec.start.starter(context);
  const logic = await resolveActorLogic(spec.start);
  const scoped = 'children' in spec.start ? spec.start.children : undefined;
  return startActorChild(logic, actorInput(spec.start), spec.id, context, scoped);
}
