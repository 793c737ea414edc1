// The typed contract across the thread boundary of a worker-hosted child, in one place so that the
// main side (worker-child.ts) and the worker side (worker-entry.ts) cannot drift apart. Two channels:
//
// - the host API, called by the main thread through comlink (request/response, comlink numbers the
//   requests): start, stop, ping, describe. Results come back as `HostResult` envelopes so that an
//   error crosses as a SerializedError (name, message, stack, code) and is rebuilt with its code,
//   which comlink's own error transfer would drop;
// - a dedicated MessagePort for one-way traffic that must not cost a round trip each: batched events
//   main -> worker, batched inspection records, the process groups the worker starts and ends, and
//   the hosted child's own exit worker -> main.
//
// Everything here is plain data: functions, actor refs and logic objects cannot cross.

import type { EventObject } from 'xstate';
import type { MessagePort } from 'node:worker_threads';
import { deserializeError, serializeError } from '../errors.ts';
import type { SerializedError } from '../errors.ts';
import type { ExitReason, TreeNodeInfo } from '../supervisor/child.ts';
import type { ChildSpec, Shutdown } from '../supervisor/spec.ts';
import type { InspectionKind, InspectionRecord } from './inspection.ts';
import type { ProcessGroupChange } from './process-groups.ts';

/** What `describe()` returns for the hosted child: its machine state, or its subtree. */
export type HostedChildInfo = Pick<TreeNodeInfo, 'actorState' | 'children' | 'strategy'>;

/** A result or a serialized error: how every host API answer crosses the boundary. */
export type HostResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** The API the worker exposes with comlink; the main thread holds it as `Remote<WorkerHostApi>`. */
export interface WorkerHostApi {
  /**
   * Starts the hosted child (an actor or a supervisor subtree) at `path`. `port` is the worker's end
   * of the dedicated channel; it must be transferred. `forward` is the inspection record kinds the
   * main thread wants (supervisor decisions are always forwarded). Fails if the child fails to start.
   */
  start(spec: ChildSpec, path: string, port: MessagePort, forward: InspectionKind[]): Promise<HostResult<void>>;
  /** Stops the hosted child within `shutdown`; inspection records are flushed before it answers. */
  stop(shutdown: Shutdown): Promise<HostResult<ExitReason>>;
  /** Heartbeat: answers at once with the worker's clock reading (epoch ms). */
  ping(): number;
  describe(): Promise<HostResult<HostedChildInfo>>;
}

/** Main -> worker on the dedicated port. */
export type MainToWorkerMessage =
  /** Every event sent during one tick, in order. */
  | { type: 'send'; events: EventObject[] }
  /** The inspection record kinds main-thread subscribers now want from this subtree. */
  | { type: 'forward'; kinds: InspectionKind[] };

/** Worker -> main on the dedicated port. */
export type WorkerToMainMessage =
  /** Inspection records published in the worker during one tick, in order. */
  | { type: 'inspection'; records: InspectionRecord[] }
  /** The hosted child stopped by itself (actor failure or final state, or a supervisor giving up). */
  | { type: 'exit'; reason: ExitReason }
  /** The hosted child has started; every record of its start has been sent before this one. */
  | { type: 'started' }
  /** The hosted child was stopped on request; every record of the stop has been sent before this one. */
  | { type: 'stopped' }
  /**
   * A process group the worker started, or one that is gone: the main thread keeps them registered
   * too, and ends those left when the thread is gone (process-groups.ts).
   */
  | { type: 'process-group'; change: ProcessGroupChange };

function hasType(value: unknown): value is { type: unknown } {
  return typeof value === 'object' && value !== null && 'type' in value;
}

export function isMainToWorkerMessage(value: unknown): value is MainToWorkerMessage {
  if (!hasType(value)) return false;
  if (value.type === 'send') return Array.isArray((value as { events?: unknown }).events);
  if (value.type === 'forward') return Array.isArray((value as { kinds?: unknown }).kinds);
  return false;
}

/** What a worker forwards: what the main thread wants, and always the supervisors' decisions. */
export function forwardedKinds(wanted: readonly InspectionKind[]): InspectionKind[] {
  return wanted.includes('supervisor') ? [...wanted] : [...wanted, 'supervisor'];
}

export function isWorkerToMainMessage(value: unknown): value is WorkerToMainMessage {
  if (!hasType(value)) return false;
  switch (value.type) {
    case 'inspection':
      return Array.isArray((value as { records?: unknown }).records);
    case 'exit':
      return typeof (value as { reason?: unknown }).reason === 'object';
    case 'started':
    case 'stopped':
      return true;
    case 'process-group': {
      const change = (value as { change?: { kind?: unknown; pgid?: unknown; group?: { pgid?: unknown; command?: unknown } } }).change;
      if (change?.kind === 'gone') return typeof change.pgid === 'number';
      return change?.kind === 'started' && typeof change.group?.pgid === 'number' && typeof change.group.command === 'string';
    }
    default:
      return false;
  }
}

/** Runs `operation` and packs its result or its error for the trip across the boundary. */
export async function toHostResult<T>(operation: () => T | Promise<T>): Promise<HostResult<T>> {
  try {
    return { ok: true, value: await operation() };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/** Unpacks a host answer: the value, or the rebuilt error thrown (catalogue codes survive). */
export function fromHostResult<T>(result: HostResult<T>): T {
  if (result.ok) return result.value;
  throw deserializeError(result.error);
}

/**
 * The first place in a spec that holds logic given in code, which cannot be sent to a worker
 * (validated specs never do; specs built by hand might). Returns its path, or undefined.
 */
export function findCodeOnlyStart(spec: ChildSpec, at: string = spec.id): string | undefined {
  if (spec.type === 'supervisor') {
    for (const child of spec.start.supervisor.children) {
      const found = findCodeOnlyStart(child, `${at}/${child.id}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return 'logic' in spec.start || 'starter' in spec.start ? at : undefined;
}
