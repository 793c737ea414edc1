// The main-thread host of a worker-hosted child, as a statechart: one worker thread's life from the
// moment it is spawned (`start`) until it has exited. Two regions while the thread is alive:
// `heartbeat` (loading → waiting ⇄ pinging, with the load deadline and the heartbeat deadline, each
// given one more timer turn before the thread is called unresponsive) and `host` (starting →
// running → stopping). Whatever ends the thread (a failed start, the child's own exit, a stop, a
// crash, an exit nobody asked for, a missed heartbeat) leads through `exiting` (terminated, waiting
// for its 'exit') to `terminated`, where the process groups it left behind are handed to this
// thread.
//
// Pure: spawning the thread, the host API calls (ping, start, stop), terminating, reporting and the
// process-group hand-off are provided by src/actors/worker-child.ts, which runs this machine with
// the injected clock so that every deadline here is a timer tests can drive.

import { assign, fromPromise, raise, setup } from 'xstate';
import type { ExitReason } from '../supervisor/child.ts';

/** The top-level states, as `snapshot.value` names them (`alive` holds the two regions). */
export type WorkerHostStateValue = 'created' | 'alive' | 'exiting' | 'terminated';
export type WorkerHostHeartbeatState = 'loading' | 'load_timed_out' | 'waiting' | 'pinging' | 'missed';
export type WorkerHostLifecycleState = 'starting' | 'running' | 'stopping';

/** Why the thread is being ended without anyone asking. */
export type HostFailure =
  /** It did not answer its first ping within the load deadline: its code never loaded. */
  | { kind: 'load_timeout' }
  /** It did not answer a heartbeat within the heartbeat timeout. */
  | { kind: 'heartbeat_missed' }
  /** An uncaught throw in the thread ('error' on the Worker). */
  | { kind: 'crashed'; error: Error }
  /** It exited with nobody asking ('exit' on the Worker while alive). */
  | { kind: 'exited'; code: number }
  /** A message that could not be read, or one the protocol does not know. */
  | { kind: 'protocol'; error: Error };

/** Why the start did not succeed: the start call failed, the thread failed, or a stop came first. */
export type StartFailure = { kind: 'start_error'; error: unknown } | { kind: 'thread'; failure: HostFailure } | { kind: 'stopped' };

/** How a requested stop ended, settled once the thread has exited. */
export type StopOutcome =
  /** The hosted child stopped (within its shutdown time, or killed there by the worker). */
  | { kind: 'stopped'; reason: ExitReason }
  /** The thread was killed from here: brutally, at the backstop, or because it stopped answering. */
  | { kind: 'killed' }
  /** The thread failed on its own during the stop. */
  | { kind: 'failed'; failure: HostFailure };

/** Why the thread is ended from here; the host says it in E_WORKER_EXITED's message. */
export type EndReason = { why: 'stopped' | 'start_failed' | 'child_exited' } | { why: 'failed'; failure: HostFailure };

/** A graceful stop's shutdown time in ms, or no limit ('brutal' is the `kill` event). */
export type GracefulShutdown = number | 'infinity';

export interface WorkerHostInput {
  /** How often a loaded thread is pinged, in ms. */
  intervalMs: number;
  /** How long a ping may go unanswered, in ms. */
  timeoutMs: number;
  /** How long a new thread may take to answer its first ping (load its code), in ms. */
  loadTimeoutMs: number;
}

export interface WorkerHostContext extends WorkerHostInput {
  /** The graceful stop's shutdown time, once one is asked for. */
  shutdown: GracefulShutdown | undefined;
  /** Why the thread failed on its own, if it did. */
  failure: HostFailure | undefined;
  /** The hosted child's own exit, when it came while the start was still in flight. */
  earlyExit: ExitReason | undefined;
  /** The requested stop's outcome, settled when the thread has exited. */
  stopOutcome: StopOutcome | undefined;
  /** The thread's 'exit' has been seen. */
  threadExited: boolean;
}

export type WorkerHostEvent =
  /** Take a thread and start the hosted child on it. */
  | { type: 'start' }
  /** The thread answered the ping in flight (there is never more than one). */
  | { type: 'ping.answered' }
  /** The thread failed: crashed, broke the protocol, or (raised by `heartbeat`) stopped answering. */
  | { type: 'thread.failed'; failure: HostFailure }
  /** 'exit' on the Worker: expected once the thread is being ended, a failure before that. */
  | { type: 'thread.exited'; code: number }
  /** The hosted child stopped by itself; the worker said so on the port. */
  | { type: 'child.exited'; reason: ExitReason }
  /** An orderly stop within `shutdown` (the worker enforces it; past it plus a heartbeat timeout, kill). */
  | { type: 'stop'; shutdown: GracefulShutdown }
  /** A brutal stop: kill the thread at once. */
  | { type: 'kill' };

export interface StopChildInput {
  shutdown: GracefulShutdown;
}

/** Node timers cap at 2^31−1 ms; a longer delay is re-armed by the clock, this one is never used. */
const maxTimerMs = 2_147_483_647;

function unprovided(what: string): Promise<never> {
  return Promise.reject(new Error(`${what} is provided by the host (src/actors/worker-child.ts)`));
}

/**
 * The worker host machine. Its actors reject and its actions do nothing until the host provides them.
 * @example
 * const actor = createActor(
 *   workerHostMachine.provide({ actors: { startChild, stopChild }, actions: { spawnThread, sendPing, endThread } }),
 *   { input: { intervalMs: 1000, timeoutMs: 3000, loadTimeoutMs: 30_000 }, clock: xstateClock(systemClock) },
 * ).start();
 * actor.send({ type: 'start' });
 */
export const workerHostMachine = setup({
  types: {
    input: {} as WorkerHostInput,
    context: {} as WorkerHostContext,
    events: {} as WorkerHostEvent,
  },
  actors: {
    /** Starts the hosted child; resolves once it runs and every record of its start is in. */
    startChild: fromPromise<void>(() => unprovided('startChild')),
    /** Stops the hosted child; resolves with its exit once every record of the stop is in. */
    stopChild: fromPromise<ExitReason, StopChildInput>(() => unprovided('stopChild')),
  },
  actions: {
    /** Takes a thread (a warm spare or a new one) and listens to it. */
    spawnThread: () => undefined,
    /** Pings the thread through the host API; its answer comes back as `ping.answered`. */
    sendPing: () => undefined,
    /** Terminates the thread (if it still runs); pending and later calls reject with E_WORKER_EXITED. */
    endThread: (_, _why: EndReason) => undefined,
    /** The start succeeded: start() resolves. */
    startSucceeded: () => undefined,
    /** The start failed: start() rejects. */
    failStart: (_, _failure: StartFailure) => undefined,
    /** Tells the supervisor the hosted child exited by itself. */
    reportChildExit: (_, _reason: ExitReason) => undefined,
    /** Tells the supervisor the thread failed. */
    reportFailure: (_, _failure: HostFailure) => undefined,
    /** Ends the process groups the thread left behind, from this thread. */
    handOffGroups: () => undefined,
    /** Resolves the requested stop, if any, with its outcome. */
    settleStop: (_, _outcome: StopOutcome | undefined) => undefined,
    recordFailure: assign((_, failure: HostFailure) => ({ failure })),
    recordStop: assign((_, stopOutcome: StopOutcome) => ({ stopOutcome })),
  },
  guards: {
    hasEarlyExit: ({ context }) => context.earlyExit !== undefined,
    threadExited: ({ context }) => context.threadExited,
    hasBackstop: ({ context }) => context.shutdown !== undefined && context.shutdown !== 'infinity',
    unresponsive: (_, failure: HostFailure) => failure.kind === 'load_timeout' || failure.kind === 'heartbeat_missed',
  },
  delays: {
    loadTimeout: ({ context }) => context.loadTimeoutMs,
    beatInterval: ({ context }) => context.intervalMs,
    beatTimeout: ({ context }) => context.timeoutMs,
    /** One more timer turn: an answer already in but not yet read is read before it. */
    graceTurn: 0,
    /** The worker enforces the shutdown time; past it, plus the heartbeat's allowance, kill. */
    stopBackstop: ({ context }) =>
      typeof context.shutdown === 'number' ? context.shutdown + context.timeoutMs : maxTimerMs,
  },
}).createMachine({
  id: 'workerHost',
  description: 'a worker thread hosting a child: load deadline, heartbeat, start, stop, exit',
  context: ({ input }) => ({
    ...input,
    shutdown: undefined,
    failure: undefined,
    earlyExit: undefined,
    stopOutcome: undefined,
    threadExited: false,
  }),
  initial: 'created',
  states: {
    created: {
      on: { start: 'alive' },
    },
    alive: {
      type: 'parallel',
      entry: 'spawnThread',
      on: {
        // Nobody asked it to end: a failure, which the host region handles as any other.
        'thread.exited': {
          actions: [
            assign({ threadExited: true }),
            raise(({ event }) => ({ type: 'thread.failed' as const, failure: { kind: 'exited' as const, code: event.code } })),
          ],
        },
      },
      // `heartbeat` comes first: its ping is sent before the start call, so a child that hangs the
      // thread while starting cannot keep the first ping from being answered. The ping is an action
      // and its answer an event, not an invoked call, so that the call stays in flight through the
      // extra timer turn (`overdue`) a deadline gives an answer already in but not yet read.
      states: {
        heartbeat: {
          initial: 'loading',
          states: {
            loading: {
              entry: 'sendPing',
              on: { 'ping.answered': 'waiting' },
              initial: 'on_time',
              states: {
                on_time: { after: { loadTimeout: 'overdue' } },
                overdue: { after: { graceTurn: '#workerHost.alive.heartbeat.load_timed_out' } },
              },
            },
            load_timed_out: {
              entry: raise({ type: 'thread.failed', failure: { kind: 'load_timeout' } }),
            },
            waiting: {
              after: { beatInterval: 'pinging' },
            },
            pinging: {
              entry: 'sendPing',
              on: { 'ping.answered': 'waiting' },
              initial: 'on_time',
              states: {
                on_time: { after: { beatTimeout: 'overdue' } },
                overdue: { after: { graceTurn: '#workerHost.alive.heartbeat.missed' } },
              },
            },
            missed: {
              entry: raise({ type: 'thread.failed', failure: { kind: 'heartbeat_missed' } }),
            },
          },
        },
        host: {
          initial: 'starting',
          states: {
            starting: {
              invoke: {
                src: 'startChild',
                onDone: { target: 'running', actions: 'startSucceeded' },
                onError: {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'endThread', params: { why: 'start_failed' } },
                    { type: 'failStart', params: ({ event }) => ({ kind: 'start_error', error: event.error }) },
                  ],
                },
              },
              on: {
                // Reported once the start has returned.
                'child.exited': { actions: assign({ earlyExit: ({ event }) => event.reason }) },
                'thread.failed': {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'recordFailure', params: ({ event }) => event.failure },
                    { type: 'endThread', params: ({ event }) => ({ why: 'failed', failure: event.failure }) },
                    { type: 'failStart', params: ({ event }) => ({ kind: 'thread', failure: event.failure }) },
                  ],
                },
                stop: {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'recordStop', params: { kind: 'killed' } },
                    { type: 'endThread', params: { why: 'stopped' } },
                    { type: 'failStart', params: { kind: 'stopped' } },
                  ],
                },
                kill: {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'recordStop', params: { kind: 'killed' } },
                    { type: 'endThread', params: { why: 'stopped' } },
                    { type: 'failStart', params: { kind: 'stopped' } },
                  ],
                },
              },
            },
            running: {
              always: {
                guard: 'hasEarlyExit',
                target: '#workerHost.exiting',
                actions: [
                  { type: 'endThread', params: { why: 'child_exited' } },
                  { type: 'reportChildExit', params: ({ context }) => context.earlyExit ?? { kind: 'normal' } },
                ],
              },
              on: {
                'child.exited': {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'endThread', params: { why: 'child_exited' } },
                    { type: 'reportChildExit', params: ({ event }) => event.reason },
                  ],
                },
                'thread.failed': {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'recordFailure', params: ({ event }) => event.failure },
                    { type: 'endThread', params: ({ event }) => ({ why: 'failed', failure: event.failure }) },
                    { type: 'reportFailure', params: ({ event }) => event.failure },
                  ],
                },
                stop: { target: 'stopping', actions: assign({ shutdown: ({ event }) => event.shutdown }) },
                kill: {
                  target: '#workerHost.exiting',
                  actions: [{ type: 'recordStop', params: { kind: 'killed' } }, { type: 'endThread', params: { why: 'stopped' } }],
                },
              },
            },
            stopping: {
              invoke: {
                src: 'stopChild',
                input: ({ context }) => ({ shutdown: context.shutdown ?? 'infinity' }),
                onDone: {
                  target: '#workerHost.exiting',
                  actions: [
                    { type: 'recordStop', params: ({ event }) => ({ kind: 'stopped', reason: event.output }) },
                    { type: 'endThread', params: { why: 'stopped' } },
                  ],
                },
                // Only a thread that is gone makes the stop call fail, and that is a failure seen first.
                onError: {
                  target: '#workerHost.exiting',
                  actions: [{ type: 'recordStop', params: { kind: 'killed' } }, { type: 'endThread', params: { why: 'stopped' } }],
                },
              },
              after: {
                stopBackstop: {
                  guard: 'hasBackstop',
                  target: '#workerHost.exiting',
                  actions: [{ type: 'recordStop', params: { kind: 'killed' } }, { type: 'endThread', params: { why: 'stopped' } }],
                },
              },
              on: {
                // A stop was asked for: the failure is the stop's outcome, never an exit report.
                'thread.failed': [
                  {
                    guard: { type: 'unresponsive', params: ({ event }) => event.failure },
                    target: '#workerHost.exiting',
                    actions: [
                      { type: 'recordFailure', params: ({ event }) => event.failure },
                      { type: 'recordStop', params: { kind: 'killed' } },
                      { type: 'endThread', params: ({ event }) => ({ why: 'failed', failure: event.failure }) },
                    ],
                  },
                  {
                    target: '#workerHost.exiting',
                    actions: [
                      { type: 'recordFailure', params: ({ event }) => event.failure },
                      { type: 'recordStop', params: ({ event }) => ({ kind: 'failed', failure: event.failure }) },
                      { type: 'endThread', params: ({ event }) => ({ why: 'failed', failure: event.failure }) },
                    ],
                  },
                ],
                kill: {
                  target: '#workerHost.exiting',
                  actions: [{ type: 'recordStop', params: { kind: 'killed' } }, { type: 'endThread', params: { why: 'stopped' } }],
                },
              },
            },
          },
        },
      },
    },
    exiting: {
      // The thread was told to end; it is gone once its 'exit' is seen (already, if it exited itself).
      always: { guard: 'threadExited', target: 'terminated' },
      on: { 'thread.exited': { target: 'terminated', actions: assign({ threadExited: true }) } },
    },
    terminated: {
      type: 'final',
      entry: ['handOffGroups', { type: 'settleStop', params: ({ context }) => context.stopOutcome }],
    },
  },
});
