// This node's system facts (CPU, memory, OS, disks) for `gravity status` and the requirement checks,
// answered over the control socket. systeminformation spawns processes and takes tens of ms, so the
// reading runs in the agent's task pool under a deadline, and the result is kept for a few seconds:
// repeated `status` calls, or many at once, share one reading instead of each starting its own.

import type { Clock } from '../clock.ts';
import type { SystemFactsResult } from '../api/control-protocol.ts';
import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import type { TaskPoolSlot } from './task-pool-actor.ts';
import type { SystemFacts } from './tasks.ts';

/** How long a reading is served again before the next request reads anew. */
export const systemFactsCacheMs = 10_000;
/** The deadline of one reading in the pool (queueing and a cold thread included). */
export const systemFactsDeadlineMs = 5_000;

export interface SystemFactsCacheOptions {
  /** One reading; rejects when it fails (nothing is cached then). */
  read: () => Promise<SystemFacts>;
  clock: Clock;
  /** Default systemFactsCacheMs. */
  cacheMs?: number;
}

/**
 * One cached reading and at most one reading in flight: bounded whatever the number of callers.
 * @example const cache = new SystemFactsCache({ read: () => slot.run('system-facts', undefined, { deadlineMs: 5000 }), clock });
 */
export class SystemFactsCache {
  readonly #options: SystemFactsCacheOptions;
  #cached: SystemFactsResult | undefined;
  #reading: Promise<SystemFactsResult> | undefined;

  constructor(options: SystemFactsCacheOptions) {
    this.#options = options;
  }

  /** The cached reading while it is fresh, else a new one (shared with every caller meanwhile). */
  get(): Promise<SystemFactsResult> {
    const cached = this.#cached;
    const now = this.#options.clock.now();
    if (cached !== undefined && now - cached.readAt < (this.#options.cacheMs ?? systemFactsCacheMs) && now >= cached.readAt) {
      return Promise.resolve(cached);
    }
    this.#reading ??= this.#options
      .read()
      .then((facts) => {
        const result: SystemFactsResult = { ...facts, readAt: this.#options.clock.now() };
        this.#cached = result;
        return result;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}

/**
 * Serves the control method `system` from the supervised task pool in `slot`, and logs when the
 * pool starts and stops.
 * @example runAgent({ spec: buildAgentTreeSpec({ config, tasks: slot }), extensions: [systemFactsExtension(slot)], ... });
 */
export function systemFactsExtension(slot: TaskPoolSlot): AgentExtension {
  return {
    name: 'system-facts',
    start({ logger, clock }): Promise<AgentExtensionHandle> {
      slot.observe({
        onStarted: (pool) => logger.info({ minThreads: pool.options.minThreads, maxThreads: pool.options.maxThreads }, 'task pool started'),
        onStopped: (how, pool) => logger.info({ how, ...pool.stats }, 'task pool stopped'),
      });
      const cache = new SystemFactsCache({ read: () => slot.run('system-facts', undefined, { deadlineMs: systemFactsDeadlineMs }), clock });
      return Promise.resolve({
        handlers: { system: () => cache.get() },
        stop: () => {
          slot.observe({});
          return Promise.resolve();
        },
      });
    },
  };
}
