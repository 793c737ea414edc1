// The status hook's schedule with its effect provided: each run is a hook-job actor running the
// application's `status` job as a local process group (killed when the run is stopped). This is the
// `status-hook` actor of the registry.

import { fromPromise } from 'xstate';
import type { HookJob } from '../config/types.ts';
import { statusHookMachine } from '../machines/status-hook.ts';
import type { HookRunOutput } from '../machines/status-hook.ts';
import { runHook } from './hook-runner.ts';

/**
 * @example builtinActors['status-hook'] = statusHookLogic; // start: { actor: 'status-hook', input: { job, intervalMs } }
 */
export const statusHookLogic = statusHookMachine.provide({
  actors: {
    runHook: fromPromise<HookRunOutput, HookJob>(async ({ input, signal }) => {
      const output = await runHook(input, { name: 'status', signal });
      return { result: output.result, message: output.message, output: output.lastOutput };
    }),
  },
});
