// What an actor's event means, in a few words, for the actors page's record list. XState names the
// events it makes itself after its internals (`xstate.done.actor.0.probe.active.cycle.checking`,
// `xstate.after.untilNextCheck.probe.active.cycle.waiting`), which says little to someone watching a
// probe; this reads the event's type, its payload and the machine the actor runs, and says what
// happened ("check finished: failed (connection refused)", "timer: next check"). The raw type stays
// with the label, for the list to show on demand.

import type { JsonValue } from '../../actors/inspection.ts';

/** An event as an inspection record carries it. */
export type RecordedEvent = { type: string } & Record<string, JsonValue>;

export interface EventMeaning {
  /** What it means, e.g. `check finished: passed`. */
  label: string;
  /** The event's type as XState names it. */
  raw: string;
}

const afterPrefix = 'xstate.after.';
const doneActorPrefix = 'xstate.done.actor.';
const errorActorPrefix = 'xstate.error.actor.';
const doneStatePrefix = 'xstate.done.state.';

/** Per machine: what its invoked actor is called, its timers, and its own events. */
interface MachineWords {
  /** What the invoked actor does, e.g. `check` (so `check finished`, `check crashed`). */
  work?: string;
  /** What the actor's output says, from the `xstate.done.actor` payload's `output`. */
  outcome?: (output: JsonValue | undefined) => string | undefined;
  /** Timer names by delay name. */
  timers?: Record<string, string>;
  /** Its own events, by type; a function when the payload adds to it. */
  events?: Record<string, string | ((event: RecordedEvent) => string)>;
}

function field(value: JsonValue | undefined, key: string): JsonValue | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value[key] : undefined;
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function withReason(head: string, reason: JsonValue | undefined): string {
  const said = text(reason);
  return said === undefined ? head : `${head} (${said})`;
}

/** An error as toJsonValue leaves it: `{ name, message }`, or a string. */
function errorText(error: JsonValue | undefined): string | undefined {
  return text(error) ?? text(field(error, 'message'));
}

/** A hook attempt's ProcessOutcome in words, as the hook-job machine reads it. */
function attemptOutcome(output: JsonValue | undefined): string | undefined {
  if (output === undefined) return undefined;
  const error = text(field(output, 'error'));
  if (error !== undefined) return `failed (${error})`;
  if (field(output, 'timedOut') === true) return 'timed out';
  if (field(output, 'aborted') === true) return 'aborted';
  const exitCode = field(output, 'exitCode');
  if (exitCode === 0) return 'succeeded';
  if (typeof exitCode === 'number') return `failed (exit code ${exitCode})`;
  const signal = text(field(output, 'signal'));
  return signal === undefined ? 'failed' : `failed (killed by ${signal})`;
}

const words: Record<string, MachineWords> = {
  probe: {
    work: 'check',
    outcome: (output) => {
      const status = field(output, 'status');
      if (status === 'running') return 'passed';
      if (status === 'failed') return withReason('failed', field(output, 'error'));
      return undefined;
    },
    timers: { timeout: 'check timed out', untilNextCheck: 'next check' },
    events: {
      'probe.passed': 'counted a passed check',
      'probe.failed': 'counted a failed check',
      CHECK_NOW: 'check now (asked for)',
      SHUTDOWN: 'shutdown',
    },
  },
  node: {
    events: {
      PROBE_RESULT: (event) => withReason(`probe ${text(event['probe']) ?? '?'}: ${text(event['status']) ?? '?'}`, event['error']),
      SHUTDOWN: 'shutdown',
    },
  },
  cluster: {
    events: {
      NODE_STATUS: (event) => `node ${text(event['node']) ?? '?'}: ${text(event['status']) ?? '?'}`,
      STATUS_HOOK: (event) => withReason(`status hook: ${text(event['result']) ?? '?'}`, event['message']),
      SHUTDOWN: 'shutdown',
    },
  },
  'hook-job': {
    work: 'attempt',
    outcome: attemptOutcome,
    timers: { activeDeadline: 'deadline reached', retryBackoff: 'retry' },
    events: { START: 'job started' },
  },
  // A child's life under its supervisor (the supervised-child machine).
  supervisor: {
    events: {
      start: 'start asked for',
      started: 'started, running',
      'start.failed': 'start failed',
      crashed: 'crashed',
      ended: 'ended on its own',
      'restart.scheduled': 'restart scheduled',
      stop: 'stop asked for',
      stopped: 'stopped',
      killed: 'killed',
    },
  },
  // Its invoked actor is the hook-job child `job`, whose output says how the run ended.
  'status-hook': {
    work: 'status hook run',
    outcome: (output) => {
      const result = field(output, 'result');
      if (result === 'succeeded') return 'passed';
      if (result === 'failed') return withReason('failed', field(output, 'message'));
      if (result === 'deadline_exceeded') return withReason('deadline exceeded', field(output, 'message'));
      return undefined;
    },
    timers: { interval: 'next run' },
    events: { RUN_NOW: 'run now (asked for)', SHUTDOWN: 'shutdown' },
  },
};

/**
 * What `event` means for an actor running `machine` (a drawable machine's name, e.g. `probe`); the
 * raw type when there is nothing better to say.
 * @example eventMeaning({ type: 'xstate.done.actor.0.probe.active.cycle.checking', output: { status: 'failed', error: 'connection refused' } }, 'probe').label
 * // 'check finished: failed (connection refused)'
 */
export function eventMeaning(event: RecordedEvent, machine?: string): EventMeaning {
  const raw = event.type;
  return { label: labelOf(event, machine === undefined ? undefined : words[machine], machine) ?? raw, raw };
}

function labelOf(event: RecordedEvent, known: MachineWords | undefined, machine: string | undefined): string | undefined {
  const type = event.type;
  if (type === 'xstate.init') return `${machine ?? 'actor'} started`;
  if (type === 'xstate.stop') return `${machine ?? 'actor'} stopped`;
  if (type.startsWith(doneActorPrefix)) {
    const outcome = known?.outcome?.(event['output']);
    const head = `${known?.work ?? 'invoked actor'} finished`;
    return outcome === undefined ? head : `${head}: ${outcome}`;
  }
  if (type.startsWith(errorActorPrefix)) return withReason(`${known?.work ?? 'invoked actor'} crashed`, errorText(event['error']) ?? null);
  if (type.startsWith(afterPrefix)) {
    const delay = type.slice(afterPrefix.length).split('.')[0] ?? '';
    const timer = known?.timers?.[delay];
    if (timer !== undefined) return `timer: ${timer}`;
    return /^\d+$/u.test(delay) ? `timer: ${delay} ms passed` : `timer: ${delay}`;
  }
  if (type.startsWith(doneStatePrefix)) return `state ${type.slice(doneStatePrefix.length)} done`;
  const own = known?.events?.[type];
  if (own !== undefined) return typeof own === 'string' ? own : own(event);
  return undefined;
}
