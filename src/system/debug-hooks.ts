// A debug aid for the watchdog, off unless GRAVITY_DEBUG_HOOKS=1: SIGUSR2 then blocks the agent's
// event loop for GRAVITY_DEBUG_BLOCK_MS (default 5000 ms), which is what a hang looks like from
// outside. With the watchdog on, the pings stop and systemd restarts the agent; tests use it to
// check exactly that against a real agent process.

import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import { GravityError } from '../errors.ts';

export const defaultBlockMs = 5000;

export interface DebugHooksSettings {
  blockMs: number;
}

/**
 * The settings when the hooks are enabled, else undefined; a malformed duration is a usage error.
 * @example debugHooksSettings({ GRAVITY_DEBUG_HOOKS: '1', GRAVITY_DEBUG_BLOCK_MS: '3000' }) // { blockMs: 3000 }
 */
export function debugHooksSettings(env: Readonly<Record<string, string | undefined>>): DebugHooksSettings | undefined {
  if (env.GRAVITY_DEBUG_HOOKS !== '1') return undefined;
  const text = env.GRAVITY_DEBUG_BLOCK_MS;
  if (text === undefined || text === '') return { blockMs: defaultBlockMs };
  const blockMs = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(blockMs) || blockMs <= 0) {
    throw new GravityError('E_USAGE', `GRAVITY_DEBUG_BLOCK_MS must be a positive number of milliseconds, got ${JSON.stringify(text)}`);
  }
  return { blockMs };
}

/** Blocks the calling thread for `ms`: nothing else runs on its event loop meanwhile. */
export function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * @example runAgent({ ..., extensions: [debugHooksExtension({ blockMs: 3000 })] }); // kill -USR2 <pid>
 */
export function debugHooksExtension(settings: DebugHooksSettings): AgentExtension {
  return {
    name: 'debug-hooks',
    start({ logger }): Promise<AgentExtensionHandle> {
      const onSignal = (): void => {
        logger.warn({ blockMs: settings.blockMs, hook: 'block-event-loop' }, 'debug hook: blocking the event loop');
        blockEventLoop(settings.blockMs);
        logger.warn({ blockMs: settings.blockMs, hook: 'block-event-loop' }, 'debug hook: event loop unblocked');
      };
      process.on('SIGUSR2', onSignal);
      logger.warn({ signal: 'SIGUSR2', blockMs: settings.blockMs }, 'debug hooks enabled (GRAVITY_DEBUG_HOOKS=1): SIGUSR2 blocks the event loop');
      return Promise.resolve({
        stop() {
          process.off('SIGUSR2', onSignal);
          return Promise.resolve();
        },
      });
    },
  };
}
