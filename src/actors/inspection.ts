// The one event bus of the agent. Every actor, on any thread, is created with an inspector from
// here; supervisors publish their decisions here too. The timeline, metrics, logs, the control panel
// and `gravity debug inspect` all subscribe to it. Records are plain data so that they cross thread
// and socket boundaries unchanged.

import type { AnyActorRef, InspectionEvent, Snapshot } from 'xstate';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { HealthSignal } from '../health/types.ts';

/** A JSON-safe value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The status of an XState actor, as XState names it. */
export type ActorStatus = 'active' | 'done' | 'error' | 'stopped';

/** What a supervisor decided about one child (or about itself). */
export type SupervisorAction =
  | 'start'
  | 'restart'
  | 'stop'
  | 'kill'
  | 'remove'
  | 'ignore'
  | 'escalate'
  | 'give_up';

export type InspectionRecord =
  | { kind: 'actor.created'; path: string; time: number; logic?: string }
  | { kind: 'actor.stopped'; path: string; time: number; status: ActorStatus }
  | { kind: 'event'; path: string; time: number; event: { type: string } & Record<string, JsonValue>; source?: string }
  | {
      kind: 'snapshot';
      path: string;
      time: number;
      status: ActorStatus;
      value: JsonValue;
      context?: JsonValue;
      /** The transitions taken since the actor's previous snapshot, in the order taken. */
      taken?: TakenTransition[];
      /** What a health actor (probe, node, cluster, status hook) says about itself in this snapshot. */
      health?: HealthSignal;
    }
  | {
      kind: 'supervisor';
      path: string;
      time: number;
      child: string;
      reason: string;
      action: SupervisorAction;
      /** Milliseconds until a scheduled restart, when action is `restart`. */
      delayMs?: number;
      restarts?: number;
    };

/**
 * One transition an actor took, named by where it is defined: the state it is defined on, the event
 * it is defined for (absent for an eventless `always` one) and its position among that state's
 * transitions for that event (guarded alternatives are tried in that order). Together they pick the
 * one transition of the machine's definition, where two alike ones (same source, target and event,
 * different guards) cannot be told apart by the states alone.
 */
export interface TakenTransition {
  source: string;
  event?: string;
  index: number;
}

export type InspectionKind = InspectionRecord['kind'];

export const inspectionKinds: readonly InspectionKind[] = ['actor.created', 'actor.stopped', 'event', 'snapshot', 'supervisor'];

export interface InspectionFilter {
  /** Only records whose path is this path or below it. */
  pathPrefix?: string;
  kinds?: readonly InspectionKind[];
}

export type InspectionListener = (record: InspectionRecord) => void;

export interface SubscribeOptions {
  /**
   * A passive subscriber receives the matching records that are published anyway, but does not make
   * anyone publish more: `wants` ignores it, and worker threads forward nothing on its account.
   */
  passive?: boolean;
}

/** True when `path` is `prefix` itself or a descendant of it. */
export function isUnderPath(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

export function matchesFilter(record: InspectionRecord, filter: InspectionFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.pathPrefix !== undefined && !isUnderPath(record.path, filter.pathPrefix)) return false;
  if (filter.kinds !== undefined && !filter.kinds.includes(record.kind)) return false;
  return true;
}

/**
 * The subscription API of the bus.
 * @example
 * const off = bus.subscribe((r) => console.log(r.path, r.kind), { pathPrefix: 'agent/node:n1' });
 * const keep = bus.subscribe((r) => recent.push(r), undefined, { passive: true }); // only what flows anyway
 */
export class InspectionBus {
  private readonly subscribers = new Set<{ listener: InspectionListener; filter: InspectionFilter | undefined; passive: boolean }>();
  private readonly changeListeners = new Set<() => void>();

  subscribe(listener: InspectionListener, filter?: InspectionFilter, options: SubscribeOptions = {}): () => void {
    const passive = options.passive === true;
    const entry = { listener, filter, passive };
    this.subscribers.add(entry);
    if (!passive) this.notifyChange();
    return () => {
      if (this.subscribers.delete(entry) && !passive) this.notifyChange();
    };
  }

  publish(record: InspectionRecord): void {
    for (const { listener, filter } of [...this.subscribers]) {
      if (!matchesFilter(record, filter)) continue;
      try {
        listener(record);
      } catch (error) {
        // A broken subscriber must not break the actor that published; report it once on stderr.
        process.emitWarning(`inspection subscriber failed: ${String(error)}`);
      }
    }
  }

  /**
   * Whether anyone would receive a record of this kind from `path` or from below it. Publishers use
   * it to skip building records nobody reads (and worker threads to forward only what is wanted).
   */
  wants(kind: InspectionKind, path?: string): boolean {
    for (const { filter, passive } of this.subscribers) {
      if (passive) continue;
      if (filter?.kinds !== undefined && !filter.kinds.includes(kind)) continue;
      const prefix = filter?.pathPrefix;
      if (prefix === undefined || path === undefined || isUnderPath(path, prefix) || isUnderPath(prefix, path)) return true;
    }
    return false;
  }

  /** The kinds someone would receive from `path` or below it. */
  wantedKinds(path?: string): InspectionKind[] {
    return inspectionKinds.filter((kind) => this.wants(kind, path));
  }

  /** Called whenever a subscription is added or removed. */
  onSubscriptionsChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private notifyChange(): void {
    for (const listener of [...this.changeListeners]) listener();
  }
}

/** Makes any value JSON-safe: functions and actor refs dropped, cycles cut, depth bounded. */
export function toJsonValue(value: unknown, depth = 0, seen = new WeakSet<object>()): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return null;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item, depth + 1, seen));
  if (isActorRef(value)) return `[actor ${value.id}]`;
  const result: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === 'function') continue;
    result[key] = toJsonValue(item, depth + 1, seen);
  }
  return result;
}

function isActorRef(value: object): value is AnyActorRef {
  return 'sessionId' in value && 'send' in value && typeof (value as { send: unknown }).send === 'function';
}

/**
 * The path of an actor inside the tree: the child's path for its root actor, then nested ids. The
 * chain is walked up to the root, or to the actor without a parent when the root is not known yet:
 * the actors the root's initial state invokes are created while the root itself is being created,
 * before setRoot, and the inspector serves that one root's actor system.
 */
function actorPath(rootPath: string, root: AnyActorRef | undefined, actor: AnyActorRef): string {
  const ids: string[] = [];
  let current: AnyActorRef = actor;
  while (current !== root && current._parent !== undefined) {
    ids.unshift(current.id);
    current = current._parent;
  }
  return ids.length > 0 ? `${rootPath}/${ids.join('/')}` : rootPath;
}

/** Which records an XState inspection event becomes (a snapshot may also end the actor). */
const recordKindsOf: Partial<Record<InspectionEvent['type'], readonly InspectionKind[]>> = {
  '@xstate.actor': ['actor.created'],
  '@xstate.event': ['event'],
  '@xstate.snapshot': ['snapshot', 'actor.stopped'],
  // The transitions of a step, gathered for the snapshot that ends it.
  '@xstate.microstep': ['snapshot'],
};

/** What a transition definition offers to name it (XState's TransitionDefinition fits). */
interface TransitionDefinitionLike {
  source: { id: string; transitions: Map<string, readonly unknown[]>; always?: readonly unknown[] | undefined };
  eventType: string;
}

/** Names a taken transition as TakenTransition does, or undefined when its source does not list it. */
export function takenTransition(definition: TransitionDefinitionLike): TakenTransition | undefined {
  const { source, eventType } = definition;
  const always = source.always?.indexOf(definition) ?? -1;
  if (always >= 0) return { source: source.id, index: always };
  const index = source.transitions.get(eventType)?.indexOf(definition) ?? -1;
  return index >= 0 ? { source: source.id, event: eventType, index } : undefined;
}

export interface ActorInspector {
  /** Pass as `createActor(logic, { inspect })`. */
  inspect: (event: InspectionEvent) => void;
  /** Call once the root actor exists, so nested actors get paths below it. */
  setRoot(actor: AnyActorRef): void;
}

/** Computes a health actor's signal from one of its snapshots (see src/actors/health-reporting.ts). */
export type HealthReporter = (snapshot: Snapshot<unknown>) => HealthSignal | undefined;

/**
 * Builds the inspect callback every actor is created with: XState's inspection events become
 * records with the actor's path in the tree. With a reporter, the root actor's snapshot records
 * also carry its health signal.
 * @example const inspector = createActorInspector('agent/node:n1', bus); const a = createActor(m, { inspect: inspector.inspect });
 */
export function createActorInspector(rootPath: string, bus: InspectionBus, clock: Clock = systemClock, reporter?: HealthReporter): ActorInspector {
  let root: AnyActorRef | undefined;
  /** Per actor, the transitions taken since its last snapshot. */
  const pending = new WeakMap<AnyActorRef, TakenTransition[]>();
  return {
    setRoot(actor) {
      root = actor;
    },
    inspect(event) {
      const kinds = recordKindsOf[event.type];
      if (kinds === undefined || !kinds.some((kind) => bus.wants(kind, rootPath))) return;
      const actor = event.actorRef as AnyActorRef;
      const path = actorPath(rootPath, root, actor);
      const time = clock.now();
      switch (event.type) {
        case '@xstate.actor': {
          const logic = (actor as { logic?: { id?: unknown } }).logic?.id;
          bus.publish({ kind: 'actor.created', path, time, ...(typeof logic === 'string' ? { logic } : {}) });
          return;
        }
        case '@xstate.event': {
          const payload = toJsonValue(event.event);
          const source = event.sourceRef === undefined ? undefined : (event.sourceRef as AnyActorRef).id;
          bus.publish({
            kind: 'event',
            path,
            time,
            event: { ...(payload as Record<string, JsonValue>), type: event.event.type },
            ...(source === undefined ? {} : { source }),
          });
          return;
        }
        case '@xstate.microstep': {
          const taken = pending.get(actor) ?? [];
          for (const definition of event._transitions as unknown as TransitionDefinitionLike[]) {
            const named = takenTransition(definition);
            if (named !== undefined) taken.push(named);
          }
          pending.set(actor, taken);
          return;
        }
        case '@xstate.snapshot': {
          const snapshot = event.snapshot as { status: ActorStatus; value?: unknown; context?: unknown };
          const taken = pending.get(actor);
          pending.delete(actor);
          if (bus.wants('snapshot', rootPath)) {
            const health = reporter !== undefined && root !== undefined && actor === root ? reporter(event.snapshot) : undefined;
            bus.publish({
              kind: 'snapshot',
              path,
              time,
              status: snapshot.status,
              value: toJsonValue(snapshot.value),
              ...(snapshot.context === undefined ? {} : { context: toJsonValue(snapshot.context) }),
              // Only machines take transitions; other actors' snapshots carry none.
              ...(taken === undefined ? {} : { taken }),
              ...(health === undefined ? {} : { health }),
            });
          }
          if (snapshot.status !== 'active' && bus.wants('actor.stopped', rootPath)) bus.publish({ kind: 'actor.stopped', path, time, status: snapshot.status });
          return;
        }
        default:
          return;
      }
    },
  };
}
