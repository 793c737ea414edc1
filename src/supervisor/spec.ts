// Child and supervisor specs as validated data, in the two forms every option in gravity has: the
// partial form users and code write (`SupervisorSpecInput`), and the compiled, fully defaulted form
// the runtime uses (`SupervisorSpec`). A whole tree is validated before anything starts, and every
// problem is reported at once, each with its path in the tree.

import type { AnyActorLogic } from 'xstate';
import { maxTimerDelayMs } from '../clock.ts';
import { show } from '../config/yaml-source.ts';
import { GravityError } from '../errors.ts';
import type { JsonValue } from '../actors/inspection.ts';
import type { ChildContext, RunningChild, TreeNodeInfo } from './child.ts';

export type RestartType = 'permanent' | 'transient' | 'temporary';
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
export type ChildType = 'worker' | 'supervisor';
export type ThreadPlacement = 'main' | 'worker';
/** Milliseconds to stop cleanly before being killed; `brutal` kills at once; `infinity` waits. */
export type Shutdown = number | 'brutal' | 'infinity';

export const restartTypes: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
export const strategies: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
export const childTypes: readonly ChildType[] = ['worker', 'supervisor'];
export const threadPlacements: readonly ThreadPlacement[] = ['main', 'worker'];

/** An actor from the built-in registry (`src/actors/registry.ts`), by name. Works on any thread. */
export interface RegistryStart {
  actor: string;
  input?: JsonValue;
}
/** An actor logic exported by a module (a file URL or path). Works on any thread. */
export interface ModuleStart {
  module: string;
  export?: string;
  input?: JsonValue;
}
/** An actor logic object given in code. Main thread only: functions do not cross threads. */
export interface LogicStart {
  logic: AnyActorLogic;
  input?: unknown;
  /** What the actor has started below it (its scoped actors, src/supervisor/actor-scope.ts), for the tree. */
  children?: () => TreeNodeInfo[];
}
/**
 * A child that is not an actor (an OS process), started by a function given in code: it resolves
 * once the child runs (its start fails if it rejects). Main thread only, like logic.
 */
export interface StarterStart {
  starter: (context: ChildContext) => Promise<RunningChild>;
}
/** A nested supervisor. */
export interface SupervisorStart<S> {
  supervisor: S;
}
export type ActorStart = RegistryStart | ModuleStart | LogicStart;
/** How a worker child (anything but a supervisor) starts. */
export type WorkerStart = ActorStart | StarterStart;

export interface BackoffSpec {
  /** Delay before the second consecutive restart; the first restart after a stable run is immediate. */
  baseMs: number;
  factor: number;
  capMs: number;
  /** 0..1: each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** A child that ran this long before exiting starts its backoff from the beginning again. */
  resetAfterMs: number;
}

export interface HeartbeatSpec {
  /** How often the main thread pings a worker thread. */
  intervalMs: number;
  /** A worker that has not answered a ping within this time is terminated. */
  timeoutMs: number;
  /**
   * A worker thread that has not loaded its code (answered its first ping) within this time of being
   * taken for a child is terminated and the start fails. A warm spare has loaded already and answers
   * at once; a fresh thread loads in well under a second, longer when running from source. Compiled
   * specs always carry it; where a heartbeat is given in code without it, the default applies.
   */
  loadTimeoutMs?: number;
}

// ---- the partial, user-facing form -------------------------------------------------------------

export interface ChildSpecInput {
  id: string;
  start: WorkerStart | SupervisorStart<SupervisorSpecInput>;
  restart?: RestartType;
  shutdown?: Shutdown;
  type?: ChildType;
  thread?: ThreadPlacement;
}

export interface SupervisorSpecInput {
  strategy?: Strategy;
  /** At most this many restarts ... */
  intensity?: number;
  /** ... in this many seconds; past it the supervisor gives up and escalates. */
  period?: number;
  backoff?: Partial<BackoffSpec>;
  heartbeat?: Partial<HeartbeatSpec>;
  children: ChildSpecInput[];
}

// ---- the compiled form ------------------------------------------------------------------------

export interface ActorChildSpec {
  id: string;
  type: 'worker';
  start: WorkerStart;
  restart: RestartType;
  shutdown: Shutdown;
  thread: ThreadPlacement;
}

export interface SupervisorChildSpec {
  id: string;
  type: 'supervisor';
  start: SupervisorStart<SupervisorSpec>;
  restart: RestartType;
  shutdown: Shutdown;
  thread: ThreadPlacement;
}

export type ChildSpec = ActorChildSpec | SupervisorChildSpec;

export interface SupervisorSpec {
  strategy: Strategy;
  intensity: number;
  period: number;
  backoff: BackoffSpec;
  heartbeat: HeartbeatSpec;
  children: ChildSpec[];
}

export const defaultSupervisorFlags = {
  strategy: 'one_for_one',
  intensity: 1,
  period: 5,
} as const satisfies Pick<SupervisorSpec, 'strategy' | 'intensity' | 'period'>;

export const defaultBackoff: BackoffSpec = { baseMs: 100, factor: 2, capMs: 30_000, jitter: 0.2, resetAfterMs: 30_000 };
export const defaultHeartbeat: Required<HeartbeatSpec> = { intervalMs: 1000, timeoutMs: 3000, loadTimeoutMs: 30_000 };
/** OTP's default for a worker; a supervisor waits for its own children. */
export const defaultWorkerShutdownMs = 5000;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9:._@-]{0,127}$/;

export function isSupervisorStart(start: unknown): start is SupervisorStart<unknown> {
  return typeof start === 'object' && start !== null && 'supervisor' in start;
}

/**
 * Validates and defaults a whole tree; throws E_SPEC_INVALID listing every problem.
 * @example const spec = compileSupervisorSpec({ strategy: 'one_for_all', children: [{ id: 'a', start: { actor: 'idle' } }] });
 */
export function compileSupervisorSpec(input: unknown, rootLabel = 'spec'): SupervisorSpec {
  const problems: string[] = [];
  const spec = compileSupervisor(input, rootLabel, problems, false);
  if (problems.length > 0 || spec === undefined) {
    throw new GravityError('E_SPEC_INVALID', `invalid supervision tree spec: ${problems.length} problem(s)`, {
      details: problems,
    });
  }
  return spec;
}

/** Same as compileSupervisorSpec, but returns the problems instead of throwing. */
export function validateSupervisorSpec(input: unknown): string[] {
  const problems: string[] = [];
  compileSupervisor(input, 'spec', problems, false);
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.push(`${at}.${key}: unknown key (allowed: ${allowed.join(', ')})`);
  }
}

/** The largest number a spec takes: Node's longest timer, in milliseconds (about 24.8 days). */
export const maxSpecNumber = maxTimerDelayMs;

function nonNegativeNumber(value: unknown, at: string, problems: string[], integer = false): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > maxSpecNumber || (integer && !Number.isInteger(value))) {
    problems.push(`${at}: must be a non-negative ${integer ? 'integer' : 'number'} of at most ${maxSpecNumber}, got ${show(value)}`);
    return undefined;
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], at: string, problems: string[]): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${at}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return undefined;
}

/** An object of non-negative numbers over `defaults`: every key optional, unknown keys refused. */
function compileNumbers<T extends { [K in keyof T]: number }>(value: unknown, defaults: T, at: string, problems: string[]): T {
  if (value === undefined) return defaults;
  if (!isRecord(value)) {
    problems.push(`${at}: must be an object`);
    return defaults;
  }
  checkKeys(value, Object.keys(defaults), at, problems);
  const merged: Record<string, number> = { ...defaults };
  for (const key of Object.keys(defaults)) {
    if (value[key] === undefined) continue;
    const number = nonNegativeNumber(value[key], `${at}.${key}`, problems);
    if (number !== undefined) merged[key] = number;
  }
  return merged as T;
}

function compileBackoff(value: unknown, at: string, problems: string[]): BackoffSpec {
  const merged = compileNumbers(value, defaultBackoff, at, problems);
  if (merged.factor < 1) problems.push(`${at}.factor: must be at least 1, got ${merged.factor}`);
  if (merged.jitter > 1) problems.push(`${at}.jitter: must be between 0 and 1, got ${merged.jitter}`);
  return merged;
}

function compileHeartbeat(value: unknown, at: string, problems: string[]): Required<HeartbeatSpec> {
  const merged = compileNumbers(value, defaultHeartbeat, at, problems);
  if (merged.intervalMs <= 0) problems.push(`${at}.intervalMs: must be positive`);
  if (merged.timeoutMs <= 0) problems.push(`${at}.timeoutMs: must be positive`);
  if (merged.loadTimeoutMs <= 0) problems.push(`${at}.loadTimeoutMs: must be positive`);
  return merged;
}

function compileSupervisor(
  input: unknown,
  at: string,
  problems: string[],
  insideWorker: boolean,
): SupervisorSpec | undefined {
  if (!isRecord(input)) {
    problems.push(`${at}: must be an object with a children list`);
    return undefined;
  }
  checkKeys(input, ['strategy', 'intensity', 'period', 'backoff', 'heartbeat', 'children'], at, problems);
  const strategy =
    input.strategy === undefined
      ? defaultSupervisorFlags.strategy
      : oneOf(input.strategy, strategies, `${at}.strategy`, problems);
  const intensity =
    input.intensity === undefined
      ? defaultSupervisorFlags.intensity
      : nonNegativeNumber(input.intensity, `${at}.intensity`, problems, true);
  const period =
    input.period === undefined ? defaultSupervisorFlags.period : nonNegativeNumber(input.period, `${at}.period`, problems);
  if (period === 0) problems.push(`${at}.period: must be positive`);
  const backoff = compileBackoff(input.backoff, `${at}.backoff`, problems);
  const heartbeat = compileHeartbeat(input.heartbeat, `${at}.heartbeat`, problems);

  const children: ChildSpec[] = [];
  if (!Array.isArray(input.children)) {
    problems.push(`${at}.children: must be a list`);
  } else {
    const seen = new Set<string>();
    input.children.forEach((child: unknown, index) => {
      const childAt = `${at}.children[${index}]`;
      const id = isRecord(child) && typeof child.id === 'string' ? child.id : undefined;
      if (id !== undefined) {
        if (seen.has(id)) problems.push(`${childAt}.id: duplicate id ${JSON.stringify(id)} among siblings`);
        seen.add(id);
      }
      const compiled = compileChild(child, id === undefined ? childAt : `${childAt}(${id})`, problems, insideWorker);
      if (compiled !== undefined) children.push(compiled);
    });
  }
  if (strategy === undefined || intensity === undefined || period === undefined) return undefined;
  return { strategy, intensity, period, backoff, heartbeat, children };
}

function compileChild(input: unknown, at: string, problems: string[], insideWorker: boolean): ChildSpec | undefined {
  if (!isRecord(input)) {
    problems.push(`${at}: must be an object`);
    return undefined;
  }
  checkKeys(input, ['id', 'start', 'restart', 'shutdown', 'type', 'thread'], at, problems);
  let id: string | undefined;
  if (typeof input.id !== 'string' || !idPattern.test(input.id)) {
    problems.push(`${at}.id: must be 1-128 letters, digits or ':._@-' (no '/'), got ${JSON.stringify(input.id)}`);
  } else {
    id = input.id;
  }
  const restart =
    input.restart === undefined ? 'permanent' : oneOf(input.restart, restartTypes, `${at}.restart`, problems);
  const thread = input.thread === undefined ? 'main' : oneOf(input.thread, threadPlacements, `${at}.thread`, problems);
  if (insideWorker && thread === 'worker') {
    problems.push(`${at}.thread: already inside a worker-hosted subtree; nested worker threads are not supported`);
  }
  const onWorker = insideWorker || thread === 'worker';
  const declaredType = input.type === undefined ? undefined : oneOf(input.type, childTypes, `${at}.type`, problems);
  const type: ChildType = declaredType ?? (isSupervisorStart(input.start) ? 'supervisor' : 'worker');

  let shutdown: Shutdown | undefined;
  if (input.shutdown === undefined) shutdown = type === 'supervisor' ? 'infinity' : defaultWorkerShutdownMs;
  else if (input.shutdown === 'brutal' || input.shutdown === 'infinity') shutdown = input.shutdown;
  else if (typeof input.shutdown === 'number' && Number.isFinite(input.shutdown) && input.shutdown >= 0 && input.shutdown <= maxSpecNumber) shutdown = input.shutdown;
  else problems.push(`${at}.shutdown: must be milliseconds (at most ${maxSpecNumber}), 'brutal' or 'infinity', got ${show(input.shutdown)}`);

  if (type === 'supervisor') {
    if (!isSupervisorStart(input.start)) {
      problems.push(`${at}.start: a supervisor child needs start: { supervisor: { children: [...] } }`);
      return undefined;
    }
    checkKeys(input.start as unknown as Record<string, unknown>, ['supervisor'], `${at}.start`, problems);
    const nested = compileSupervisor(input.start.supervisor, `${at}.start.supervisor`, problems, onWorker);
    if (id === undefined || restart === undefined || thread === undefined || shutdown === undefined || nested === undefined) {
      return undefined;
    }
    return { id, type, start: { supervisor: nested }, restart, shutdown, thread };
  }

  const start = compileActorStart(input.start, `${at}.start`, problems, onWorker);
  if (id === undefined || restart === undefined || thread === undefined || shutdown === undefined || start === undefined) {
    return undefined;
  }
  return { id, type: 'worker', start, restart, shutdown, thread };
}

function compileActorStart(input: unknown, at: string, problems: string[], onWorker: boolean): WorkerStart | undefined {
  if (!isRecord(input)) {
    problems.push(`${at}: must be { actor: NAME } or { module: URL, export?: NAME } or { logic }`);
    return undefined;
  }
  if (isSupervisorStart(input)) {
    problems.push(`${at}: a worker child cannot start a supervisor; set type: supervisor`);
    return undefined;
  }
  const forms = ['actor', 'module', 'logic', 'starter'].filter((key) => input[key] !== undefined);
  if (forms.length !== 1) {
    problems.push(`${at}: needs exactly one of actor, module, logic or starter, got ${forms.length === 0 ? 'none' : forms.join(' and ')}`);
    return undefined;
  }
  if (input.starter !== undefined) {
    checkKeys(input, ['starter'], at, problems);
    if (onWorker) {
      problems.push(`${at}.starter: a starter given in code cannot cross to a worker thread`);
      return undefined;
    }
    if (typeof input.starter !== 'function') {
      problems.push(`${at}.starter: must be a function that starts the child`);
      return undefined;
    }
    return { starter: input.starter as StarterStart['starter'] };
  }
  if (input.input !== undefined && (input.logic === undefined || onWorker) && !isJsonValue(input.input)) {
    problems.push(`${at}.input: must be plain JSON data to be sent to an actor`);
  }
  if (input.actor !== undefined) {
    checkKeys(input, ['actor', 'input'], at, problems);
    if (typeof input.actor !== 'string' || input.actor === '') {
      problems.push(`${at}.actor: must be the name of a built-in actor`);
      return undefined;
    }
    return { actor: input.actor, ...(input.input === undefined ? {} : { input: input.input as JsonValue }) };
  }
  if (input.module !== undefined) {
    checkKeys(input, ['module', 'export', 'input'], at, problems);
    if (typeof input.module !== 'string' || input.module === '') {
      problems.push(`${at}.module: must be a module URL or path`);
      return undefined;
    }
    if (input.export !== undefined && typeof input.export !== 'string') {
      problems.push(`${at}.export: must be an export name`);
      return undefined;
    }
    return {
      module: input.module,
      ...(input.export === undefined ? {} : { export: input.export }),
      ...(input.input === undefined ? {} : { input: input.input as JsonValue }),
    };
  }
  checkKeys(input, ['logic', 'input'], at, problems);
  if (onWorker) {
    problems.push(`${at}.logic: actor logic given in code cannot cross to a worker thread; use { actor } or { module }`);
    return undefined;
  }
  const logic = input.logic;
  if (typeof logic !== 'object' || logic === null || typeof (logic as { transition?: unknown }).transition !== 'function') {
    problems.push(`${at}.logic: must be an XState actor logic (a machine or fromPromise/fromCallback/...)`);
    return undefined;
  }
  return { logic: logic as AnyActorLogic, ...(input.input === undefined ? {} : { input: input.input }) };
}

function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (isRecord(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    return (proto === Object.prototype || proto === null) && Object.values(value).every((item) => isJsonValue(item, depth + 1));
  }
  return false;
}
