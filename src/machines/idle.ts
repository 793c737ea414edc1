// The smallest well-behaved supervised actor: it runs until told to shut down. Used where a tree
// needs a placeholder child (and by tests and spec files to exercise the supervisor).

import { assign, setup } from 'xstate';

export type IdleEvent = { type: 'SHUTDOWN' } | { type: 'PING' };

export const idleMachine = setup({
  types: { events: {} as IdleEvent, context: {} as { pings: number } },
}).createMachine({
  id: 'idle',
  context: { pings: 0 },
  initial: 'running',
  states: {
    running: {
      on: {
        PING: { actions: assign({ pings: ({ context }) => context.pings + 1 }) },
        SHUTDOWN: 'stopped',
      },
    },
    stopped: { type: 'final' },
  },
});
