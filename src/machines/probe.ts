// The probe machine: one health check run on a schedule, with a deadline per check and flap damping
// (Consul's failures_before_critical / success_before_passing). Two regions: `status` (unknown →
// running ⇄ failed) is what the node and the operator see; `cycle` (checking → waiting) is the
// schedule. Pure: the check itself is the provided actor `runCheck`.

import { assign, fromPromise, raise, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { CheckResult, ProbeSeverity } from '../probes/types.ts';

export interface ProbeInput {
  name: string;
  checker: string;
  severity: ProbeSeverity;
  intervalMs: number;
  timeoutMs: number;
  failuresBeforeFailed: number;
  successesBeforeRunning: number;
  /** The checker's compiled config, handed to runCheck. */
  config: unknown;
  stateDir: string;
  /** The node the probe checks, when it is not the agent's own (its health reports name it). */
  node?: string;
}

export interface ProbeContext extends ProbeInput {
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** The last failed check's error (kept while the probe is failed). */
  error: string | undefined;
  checkedAt: number | undefined;
  durationMs: number | undefined;
}

/** What runCheck is given and returns. */
export interface RunCheckInput {
  checker: string;
  config: unknown;
  timeoutMs: number;
  stateDir: string;
}
export interface RunCheckOutput extends CheckResult {
  durationMs: number;
  checkedAt: number;
}

export type ProbeEvent =
  | { type: 'SHUTDOWN' }
  /** Run a check now instead of waiting out the interval. */
  | { type: 'CHECK_NOW' }
  | { type: 'probe.passed' }
  | { type: 'probe.failed' };

export type ProbeStatusValue = 'unknown' | 'running' | 'failed';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const probeMachine = setup({
  types: { input: {} as ProbeInput, context: {} as ProbeContext, events: {} as ProbeEvent },
  actors: {
    runCheck: fromPromise<RunCheckOutput, RunCheckInput>(() =>
      Promise.reject(new Error('runCheck is provided by the host (src/actors/probe-actor.ts)')),
    ),
  },
  delays: {
    timeout: ({ context }) => context.timeoutMs,
    /** The interval is measured from the start of the last check. */
    untilNextCheck: ({ context }) => Math.max(0, context.intervalMs - (context.durationMs ?? 0)),
  },
  guards: {
    enoughFailures: ({ context }) => context.consecutiveFailures >= context.failuresBeforeFailed,
    enoughSuccesses: ({ context }) => context.consecutiveSuccesses >= context.successesBeforeRunning,
  },
  actions: {
    recordPass: assign(({ context }, result: RunCheckOutput) => ({
      consecutiveSuccesses: context.consecutiveSuccesses + 1,
      consecutiveFailures: 0,
      checkedAt: result.checkedAt,
      durationMs: result.durationMs,
    })),
    recordFailure: assign(({ context }, result: { error: string; durationMs: number; checkedAt?: number }) => ({
      consecutiveFailures: context.consecutiveFailures + 1,
      consecutiveSuccesses: 0,
      error: result.error,
      checkedAt: result.checkedAt ?? context.checkedAt,
      durationMs: result.durationMs,
    })),
    clearError: assign({ error: undefined }),
  },
}).createMachine({
  id: 'probe',
  context: ({ input }) => ({ ...input, consecutiveFailures: 0, consecutiveSuccesses: 0, error: undefined, checkedAt: undefined, durationMs: undefined }),
  initial: 'active',
  on: { SHUTDOWN: '.stopped' },
  states: {
    active: {
      type: 'parallel',
      states: {
        status: {
          initial: 'unknown',
          states: {
            unknown: {
              on: {
                'probe.passed': { guard: 'enoughSuccesses', target: 'running', actions: 'clearError' },
                'probe.failed': { guard: 'enoughFailures', target: 'failed' },
              },
            },
            running: {
              on: { 'probe.failed': { guard: 'enoughFailures', target: 'failed' } },
            },
            failed: {
              on: { 'probe.passed': { guard: 'enoughSuccesses', target: 'running', actions: 'clearError' } },
            },
          },
        },
        cycle: {
          initial: 'checking',
          states: {
            checking: {
              invoke: {
                src: 'runCheck',
                input: ({ context }) => ({
                  checker: context.checker,
                  config: context.config,
                  timeoutMs: context.timeoutMs,
                  stateDir: context.stateDir,
                }),
                onDone: [
                  {
                    guard: ({ event }) => event.output.status === 'running',
                    target: 'waiting',
                    actions: [{ type: 'recordPass', params: ({ event }) => event.output }, raise({ type: 'probe.passed' })],
                  },
                  {
                    target: 'waiting',
                    actions: [
                      {
                        type: 'recordFailure',
                        params: ({ event }) => ({ ...event.output, error: event.output.error ?? 'check failed' }),
                      },
                      raise({ type: 'probe.failed' }),
                    ],
                  },
                ],
                onError: {
                  target: 'waiting',
                  actions: [
                    {
                      type: 'recordFailure',
                      params: ({ context, event }) => ({ error: `check crashed: ${message(event.error)}`, durationMs: context.timeoutMs }),
                    },
                    raise({ type: 'probe.failed' }),
                  ],
                },
              },
              after: {
                timeout: {
                  target: 'waiting',
                  actions: [
                    {
                      type: 'recordFailure',
                      params: ({ context }) => ({ error: `check timed out after ${context.timeoutMs}ms`, durationMs: context.timeoutMs }),
                    },
                    raise({ type: 'probe.failed' }),
                  ],
                },
              },
            },
            waiting: {
              after: { untilNextCheck: 'checking' },
              on: { CHECK_NOW: 'checking' },
            },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
});

/** What the probe machine says about its health, read from a snapshot (see probeReport). */
export interface ProbeMachineReport {
  /** The `status` region, or `stopped` once the probe has shut down. */
  status: ProbeStatusValue | 'stopped';
  /** The last check's error, only while the probe is failed. */
  error?: string;
  /** Epoch ms of the last completed check. */
  checkedAt?: number;
  /** Duration of the last check in ms. */
  durationMs?: number;
}

/**
 * The probe's health as its snapshot states it.
 * @example probeReport(actor.getSnapshot()) // { status: 'failed', error: 'connection refused', checkedAt, durationMs }
 */
export function probeReport(snapshot: SnapshotFrom<typeof probeMachine>): ProbeMachineReport {
  const status: ProbeMachineReport['status'] = snapshot.matches({ active: { status: 'running' } })
    ? 'running'
    : snapshot.matches({ active: { status: 'failed' } })
      ? 'failed'
      : snapshot.matches({ active: { status: 'unknown' } })
        ? 'unknown'
        : 'stopped';
  const { error, checkedAt, durationMs } = snapshot.context;
  return {
    status,
    ...(status === 'failed' && error !== undefined ? { error } : {}),
    ...(checkedAt === undefined ? {} : { checkedAt }),
    ...(durationMs === undefined ? {} : { durationMs }),
  };
}
