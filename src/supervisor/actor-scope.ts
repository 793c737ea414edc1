// Short-lived actors that a supervised actor starts for the work it does (an operation's plan and
// phases, a phase's hook jobs, the units of a parallel step). Each is created here, never with a bare
// createActor: with the runtime's clock, an inspector that publishes it on the bus under its parent's
// path (`agent/operations/operation:<id>/phase:/init`), and an entry in the tree that `gravity debug
// tree` and the Control Panel show while it runs and, with its final state, until its scope ends.
// Scoped actors are temporary children: one that crashes (its actor errors) is never restarted; the
// scope publishes a supervisor record of it on the bus and its `done` rejects with the crash, so the
// owner decides what the crash means (a phase: failed, with the crash as its error).

import { createActor } from 'xstate';
import type { AnyActorLogic, AnyActorRef, ActorRefFrom, InputFrom, OutputFrom } from 'xstate';
import type { Clock } from '../clock.ts';
import { xstateClock } from '../clock.ts';
import type { InspectionBus } from '../actors/inspection.ts';
import { createActorInspector, toJsonValue } from '../actors/inspection.ts';
import type { ChildState, TreeNodeInfo } from './child.ts';
import { drawableNameOfLogic } from '../statechart/registry.ts';

/** A scoped actor's end when it crashed: its error, as `done` rejects with it. */
export class ScopedActorCrash extends Error {
  constructor(
    readonly path: string,
    readonly crash: unknown,
  ) {
    super(crash instanceof Error ? crash.message : String(crash));
    this.name = 'ScopedActorCrash';
  }
}

interface ScopeEntry {
  id: string;
  actor: AnyActorRef;
  logic: string | undefined;
  state: ChildState;
  startedAt: number;
  lastExit: string | undefined;
  scope: ActorScope;
}

/** A started scoped actor: the actor, the scope for its own children, and its end. */
export interface ScopedActor<TLogic extends AnyActorLogic> {
  actor: ActorRefFrom<TLogic>;
  /** Where this actor's own scoped children go (`<its path>/<their id>`). */
  scope: ActorScope;
  /** Its output once done; rejects with ScopedActorCrash when it crashed, or when stopped before done. */
  done: Promise<OutputFrom<TLogic>>;
}

/**
 * @example
 * const scope = new ActorScope('agent/operations/operation:1', bus, clock);
 * const phase = scope.spawn('phase:/init', phaseLogic, { phaseId: '/init', action: 'execute' });
 * const output = await phase.done;
 */
export class ActorScope {
  private readonly entries = new Map<string, ScopeEntry>();
  /** Scopes handed out by scopeOf before their actor is spawned. */
  private readonly reserved = new Map<string, ActorScope>();

  constructor(
    readonly path: string,
    private readonly bus: InspectionBus,
    readonly clock: Clock,
  ) {}

  /**
   * Starts `logic` as the scoped actor `id`. An entry of a finished actor with the same id is
   * replaced; a running one is an error of the caller.
   */
  spawn<TLogic extends AnyActorLogic>(id: string, logic: TLogic, input: InputFrom<TLogic>): ScopedActor<TLogic> {
    if (this.entries.get(id)?.state === 'running') throw new Error(`${this.path} already runs ${id}`);
    const path = `${this.path}/${id}`;
    const inspector = createActorInspector(path, this.bus, this.clock);
    const actor = createActor(logic, { id, input, inspect: inspector.inspect, clock: xstateClock(this.clock) });
    inspector.setRoot(actor);
    const entry: ScopeEntry = {
      id,
      actor,
      logic: drawableNameOfLogic(logic),
      state: 'starting',
      startedAt: this.clock.now(),
      lastExit: undefined,
      scope: this.reserved.get(id) ?? new ActorScope(path, this.bus, this.clock),
    };
    this.reserved.delete(id);
    this.entries.set(id, entry);
    const done = new Promise<OutputFrom<TLogic>>((resolve, reject) => {
      actor.subscribe({
        complete: () => {
          const snapshot = actor.getSnapshot() as { status: string; output?: unknown };
          if (snapshot.status === 'done') {
            entry.state = 'stopped';
            entry.lastExit = 'normal';
            resolve(snapshot.output as OutputFrom<TLogic>);
            return;
          }
          entry.state = 'stopped';
          entry.lastExit = 'shutdown';
          reject(new ScopedActorCrash(path, new Error(`${id} was stopped before it finished`)));
        },
        error: (error: unknown) => {
          entry.state = 'failed';
          const crash = new ScopedActorCrash(path, error);
          entry.lastExit = `error: ${crash.message}`;
          // A temporary child: recorded, never restarted. Its owner turns the crash into a result.
          this.bus.publish({ kind: 'supervisor', path: this.path, time: this.clock.now(), child: id, action: 'remove', reason: `crashed: ${crash.message}` });
          reject(crash);
        },
      });
    });
    // A rejection nobody awaited yet must not become an unhandled one; callers still see it.
    done.catch(() => undefined);
    entry.state = 'running';
    actor.start();
    return { actor: actor as ActorRefFrom<TLogic>, scope: entry.scope, done };
  }

  /**
   * The scope the actor `id` will have, before it is spawned: for logic that must know where its own
   * children go when it is built (spawn then gives the actor this scope).
   */
  scopeOf(id: string): ActorScope {
    const running = this.entries.get(id);
    if (running?.state === 'running') return running.scope;
    let scope = this.reserved.get(id);
    if (scope === undefined) {
      scope = new ActorScope(`${this.path}/${id}`, this.bus, this.clock);
      this.reserved.set(id, scope);
    }
    return scope;
  }

  /** Stops every scoped actor still running (its work is aborted), deepest first. */
  stopAll(): void {
    for (const entry of this.entries.values()) {
      entry.scope.stopAll();
      if (entry.state === 'running') entry.actor.stop();
    }
  }

  /** The scoped actors, running and finished, as tree nodes, with their own scoped children. */
  describe(): TreeNodeInfo[] {
    return [...this.entries.values()].map((entry) => {
      const children = entry.scope.describe();
      const snapshot = entry.actor.getSnapshot() as { value?: unknown };
      return {
        id: entry.id,
        path: `${this.path}/${entry.id}`,
        type: 'worker',
        thread: 'main',
        state: entry.state,
        restart: 'temporary',
        ...(entry.logic === undefined ? {} : { actor: entry.logic }),
        ...(snapshot.value === undefined ? {} : { actorState: toJsonValue(snapshot.value) }),
        restarts: 0,
        ...(entry.state === 'running' ? { startedAt: entry.startedAt } : {}),
        ...(entry.lastExit === undefined ? {} : { lastExit: entry.lastExit }),
        ...(children.length > 0 ? { children } : {}),
      };
    });
  }
}
