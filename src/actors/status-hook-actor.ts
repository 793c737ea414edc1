// The status hook's schedule with its effect provided: each run is the hook-job machine, invoked as
// the status hook's child `job`, with its attempts run as the application's `status` command in a
// local process group (killed when the run is stopped, e.g. when the status hook stops). This is the
// `status-hook` actor of the registry.

import { statusHookMachine } from '../machines/status-hook.ts';
import { hookJobLogic } from './hook-runner.ts';

/**
 * @example builtinActors['status-hook'] = statusHookLogic; // start: { actor: 'status-hook', input: { job, intervalMs } }
 */
export const statusHookLogic = statusHookMachine.provide({
  actors: { job: hookJobLogic() },
});
