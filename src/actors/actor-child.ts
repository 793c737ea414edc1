// Hosts one XState actor as a supervised child on the current thread. It turns the actor's failures
// (an error status from a thrown exception or an unhandled invoked-actor error, or a final state whose
// output carries `error`) into exit reports for the supervisor, and implements the shutdown protocol:
// send SHUTDOWN if the machine accepts it, wait up to the shutdown time for it to finish, then kill.
// Described in the tree, it lists the actors it runs below itself (see actor-children.ts).

import { createActor } from 'xstate';
import type { AnyActor, AnyActorLogic, EventObject } from 'xstate';
import { xstateClock } from '../clock.ts';
import { serializeError } from '../errors.ts';
import type { Shutdown } from '../supervisor/spec.ts';
import type { ChildContext, ExitReason, RunningChild, TreeNodeInfo } from '../supervisor/child.ts';
import { actorChildren } from './actor-children.ts';
import { createActorInspector, toJsonValue } from './inspection.ts';
import { healthReporterOf } from './health-reporting.ts';

/** The shutdown request a machine may handle to stop cleanly. */
export const shutdownEvent = { type: 'SHUTDOWN' } as const;

/** A done actor whose output is `{ error }` exited abnormally. */
function exitFromOutput(output: unknown): ExitReason {
  if (typeof output === 'object' && output !== null && 'error' in output) {
    const error = (output).error;
    const message =
      typeof error === 'string'
        ? error
        : typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
          ? (error as { message: string }).message
          : JSON.stringify(toJsonValue(error));
    return { kind: 'error', error: { name: 'ActorFailed', message } };
  }
  return { kind: 'normal' };
}

function acceptsShutdown(actor: AnyActor): boolean {
  const snapshot = actor.getSnapshot() as { status: string; can?: (event: EventObject) => boolean };
  return snapshot.status === 'active' && typeof snapshot.can === 'function' && snapshot.can(shutdownEvent);
}

/**
 * Starts `logic` as a child actor; throws if it fails during start.
 * @example const child = startActorChild(idleMachine, undefined, 'idle', context);
 */
export function startActorChild(
  logic: AnyActorLogic,
  input: unknown,
  id: string,
  context: ChildContext,
  scopedChildren?: () => TreeNodeInfo[],
): RunningChild {
  const inspector = createActorInspector(context.path, context.bus, context.clock, healthReporterOf(logic));
  const actor = createActor(logic, { id, input, inspect: inspector.inspect, clock: xstateClock(context.clock) });
  inspector.setRoot(actor);

  let starting = true;
  let startError: unknown;
  let stopRequested = false;
  let exited = false;
  const finishedWaiters = new Set<() => void>();

  const report = (reason: ExitReason): void => {
    for (const waiter of finishedWaiters) waiter();
    finishedWaiters.clear();
    if (starting) {
      if (reason.kind === 'error') startError = reason.error;
      return;
    }
    if (exited || stopRequested) return;
    exited = true;
    context.onExit(reason);
  };

  actor.subscribe({
    next: (snapshot) => {
      const { status, output } = snapshot as { status: string; output?: unknown };
      if (status === 'done') report(exitFromOutput(output));
    },
    error: (error) => report({ kind: 'error', error: serializeError(error) }),
  });

  try {
    actor.start();
  } catch (error) {
    startError = serializeError(error);
  }
  starting = false;
  if (startError !== undefined) {
    actor.stop();
    const error = startError as { message?: string; name?: string; stack?: string };
    const rebuilt = new Error(error.message ?? 'actor failed to start');
    if (error.stack !== undefined) rebuilt.stack = error.stack;
    throw rebuilt;
  }
  const doneAtStart = (actor.getSnapshot() as { status: string; output?: unknown });
  if (doneAtStart.status === 'done') {
    // Finished during start: report it once the supervisor has recorded the child as running.
    queueMicrotask(() => report(exitFromOutput(doneAtStart.output)));
  }

  let stopping: Promise<ExitReason> | undefined;
  let kill: (() => void) | undefined;

  const stop = (shutdown: Shutdown): Promise<ExitReason> => {
    stopRequested = true;
    if (shutdown === 'brutal' && kill !== undefined) kill();
    if (stopping !== undefined) return stopping;
    stopping = new Promise<ExitReason>((resolve) => {
      const status = (actor.getSnapshot() as { status: string }).status;
      if (status !== 'active') {
        resolve({ kind: 'shutdown' });
        return;
      }
      if (shutdown === 'brutal' || !acceptsShutdown(actor)) {
        actor.stop();
        resolve(shutdown === 'brutal' ? { kind: 'shutdown', killed: true } : { kind: 'shutdown' });
        return;
      }
      let timer: ReturnType<ChildContext['clock']['setTimeout']> | undefined;
      const finish = (killed: boolean): void => {
        if (timer !== undefined) context.clock.clearTimeout(timer);
        finishedWaiters.delete(onFinished);
        kill = undefined;
        actor.stop();
        resolve(killed ? { kind: 'shutdown', killed } : { kind: 'shutdown' });
      };
      const onFinished = (): void => finish(false);
      kill = () => finish(true);
      finishedWaiters.add(onFinished);
      if (shutdown !== 'infinity') timer = context.clock.setTimeout(() => finish(true), shutdown);
      actor.send(shutdownEvent);
      if ((actor.getSnapshot() as { status: string }).status !== 'active') finish(false);
    });
    return stopping;
  };

  return {
    stop,
    send: (event) => actor.send(event),
    describe: (): Promise<Pick<TreeNodeInfo, 'actorState' | 'children'>> => {
      const snapshot = actor.getSnapshot() as { value?: unknown };
      // The actors it invoked or spawned (a status hook's running job), then the ones it started
      // through its scope (an operation's plan and phases), below it in the tree.
      const children = [...actorChildren(snapshot, context.path), ...(scopedChildren?.() ?? [])];
      return Promise.resolve({ actorState: toJsonValue(snapshot.value), ...(children.length === 0 ? {} : { children }) });
    },
  };
}
