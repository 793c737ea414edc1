// The application's status hook in the agent's log. Every run ends in a transition of the health
// model, but a hook that keeps failing the same way must not fill the log: a failure is logged (with
// its message and the end of its output) when it is the first, or fails differently from the one
// before; the first pass after a failure is logged once.

import type { Logger } from 'pino';
import type { HealthTransition } from './model.ts';

type StatusHookTransition = Extract<HealthTransition, { kind: 'statusHook' }>;

/**
 * @example const logHook = statusHookLogger(logger); onTransition: (t) => { if (t.kind === 'statusHook') logHook(t); }
 */
export function statusHookLogger(logger: Pick<Logger, 'warn' | 'info'>): (transition: StatusHookTransition) => void {
  let last: string | undefined;
  return (transition) => {
    // The output may differ on every run (times, counters): the message says whether it failed differently.
    const key = transition.result === 'passed' ? 'passed' : `failed:${transition.message ?? ''}`;
    if (key === last) return;
    const previous = last;
    last = key;
    if (transition.result === 'failed') {
      logger.warn(
        { hook: 'status', message: transition.message, ...(transition.output === undefined ? {} : { output: transition.output }) },
        `application status hook failed: ${transition.message ?? 'no message'}`,
      );
    } else if (previous !== undefined) {
      logger.info({ hook: 'status' }, 'application status hook passed');
    }
  };
}
