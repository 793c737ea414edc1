// The life of one child under its supervisor, as a statechart. The supervisor's decisions (whether to
// restart, which siblings go with it, how long to back off, when to give up) are pure functions in
// src/supervisor/; where a child stands between those decisions is this machine. The Supervisor
// moves every child's state only through `nextChildState`, so a move the chart does not allow is a
// fault found at once, and `gravity debug statechart supervisor` draws the rules the runtime follows.

import { getNextSnapshot, setup } from 'xstate';
import type { ChildState } from '../supervisor/child.ts';

export type SupervisedChildEvent =
  /** The supervisor starts it (first start, or a scheduled restart falling due). */
  | { type: 'start' }
  /** Its start finished: it runs. */
  | { type: 'started' }
  /** Its start failed. */
  | { type: 'start.failed' }
  /** It ended on its own with an error (a crash, a throw, a dead thread). */
  | { type: 'crashed' }
  /** It ended on its own, normally. */
  | { type: 'ended' }
  /** A restart is scheduled for it (after backoff), its own or as a sibling under the strategy. */
  | { type: 'restart.scheduled' }
  /** The supervisor stops it (shutdown, or a sibling's restart under one_for_all / rest_for_one). */
  | { type: 'stop' }
  /** It stopped within its shutdown time, or was killed at the end of it. */
  | { type: 'stopped' }
  /** Killed at once: the supervisor's own shutdown time ran out. */
  | { type: 'killed' };

export const supervisedChildMachine = setup({
  types: { events: {} as SupervisedChildEvent },
}).createMachine({
  id: 'supervisor',
  description: "a child's life under its supervisor: started, running, exited, restarted after a backoff, stopped",
  initial: 'stopped',
  states: {
    stopped: {
      on: { start: 'starting', 'restart.scheduled': 'restarting' },
    },
    starting: {
      on: {
        started: 'running',
        'start.failed': 'failed',
        crashed: 'failed',
        ended: 'stopped',
        stop: 'stopping',
        killed: 'stopped',
      },
    },
    running: {
      on: { crashed: 'failed', ended: 'stopped', stop: 'stopping', killed: 'stopped' },
    },
    failed: {
      on: { start: 'starting', 'restart.scheduled': 'restarting' },
    },
    restarting: {
      on: { start: 'starting', 'restart.scheduled': 'restarting', stop: 'stopped' },
    },
    stopping: {
      on: { stopped: 'stopped', killed: 'stopped' },
    },
  },
});

const childStates: readonly ChildState[] = ['starting', 'running', 'restarting', 'stopping', 'stopped', 'failed'];

/**
 * The state a child moves to on `event`, as the machine says; throws when the machine does not allow
 * that event in `from` (a supervisor fault, never a user mistake).
 * @example nextChildState('running', { type: 'crashed' }) // 'failed'
 */
export function nextChildState(from: ChildState, event: SupervisedChildEvent): ChildState {
  const snapshot = supervisedChildMachine.resolveState({ value: from, context: {} });
  if (!snapshot.can(event)) throw new Error(`a supervised child cannot go from '${from}' on '${event.type}'`);
  const next = getNextSnapshot(supervisedChildMachine, snapshot, event).value;
  if (typeof next !== 'string' || !(childStates as readonly string[]).includes(next)) {
    throw new Error(`the supervised-child machine gave an unknown state ${JSON.stringify(next)}`);
  }
  return next;
}
