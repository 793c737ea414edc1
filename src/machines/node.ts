// The node machine: this node's health as the aggregate of its probes. `starting` until every
// expected probe has reported once, then `running` while no critical probe has failed, `degraded`
// while one has, `stopped` on shutdown. Pure: probe results arrive as events.

import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { ProbeSeverity } from '../probes/types.ts';

export type ProbeResultStatus = 'running' | 'failed';

export interface NodeInput {
  name: string;
  role: 'master' | 'node';
  /** Probe names whose first result the node waits for before it leaves `starting`. */
  expectedProbes?: string[];
}

export interface ProbeReport {
  status: ProbeResultStatus;
  severity: ProbeSeverity;
  error?: string;
}

export interface NodeContext {
  name: string;
  role: 'master' | 'node';
  expectedProbes: string[];
  probes: Record<string, ProbeReport>;
}

export type NodeEvent =
  | { type: 'PROBE_RESULT'; probe: string; status: ProbeResultStatus; severity: ProbeSeverity; error?: string }
  | { type: 'SHUTDOWN' };

export type NodeStateValue = 'starting' | 'running' | 'degraded' | 'stopped';

function allReported(context: NodeContext): boolean {
  return context.expectedProbes.every((probe) => context.probes[probe] !== undefined);
}

function anyCriticalFailed(context: NodeContext): boolean {
  return Object.values(context.probes).some((probe) => probe.severity === 'critical' && probe.status === 'failed');
}

export const nodeMachine = setup({
  types: { context: {} as NodeContext, events: {} as NodeEvent, input: {} as NodeInput },
  actions: {
    recordProbe: assign({
      probes: ({ context, event }) => {
        if (event.type !== 'PROBE_RESULT') return context.probes;
        const report: ProbeReport = { status: event.status, severity: event.severity };
        if (event.error !== undefined) report.error = event.error;
        return { ...context.probes, [event.probe]: report };
      },
    }),
  },
  guards: {
    ready: ({ context }) => allReported(context),
    degraded: ({ context }) => anyCriticalFailed(context),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ name: input.name, role: input.role, expectedProbes: input.expectedProbes ?? [], probes: {} }),
  initial: 'starting',
  on: { SHUTDOWN: '.stopped' },
  states: {
    starting: {
      always: [
        { guard: { type: 'ready' }, target: 'evaluating' },
      ],
      on: { PROBE_RESULT: { actions: 'recordProbe', target: 'starting', reenter: true } },
    },
    evaluating: {
      always: [{ guard: 'degraded', target: 'degraded' }, { target: 'running' }],
    },
    running: {
      on: { PROBE_RESULT: { actions: 'recordProbe', target: 'evaluating' } },
    },
    degraded: {
      on: { PROBE_RESULT: { actions: 'recordProbe', target: 'evaluating' } },
    },
    stopped: { type: 'final' },
  },
});

/** What the node machine says about its health, read from a snapshot (see nodeReport). */
export interface NodeMachineReport {
  /** The node's name (the key of every health record about it). */
  node: string;
  /** `evaluating` is transient and never seen at rest. */
  status: NodeStateValue;
}

/**
 * The node's health as its snapshot states it.
 * @example nodeReport(actor.getSnapshot()) // { node: 'node-1', status: 'degraded' }
 */
export function nodeReport(snapshot: SnapshotFrom<typeof nodeMachine>): NodeMachineReport {
  const status: NodeStateValue = snapshot.matches('running')
    ? 'running'
    : snapshot.matches('degraded')
      ? 'degraded'
      : snapshot.matches('stopped')
        ? 'stopped'
        : 'starting';
  return { node: snapshot.context.name, status };
}
