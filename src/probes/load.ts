// The `load` checker: the CPU run queue is not swamped. The load average (1 minute by default) is
// divided by the cores this process may use, so one threshold fits a 2-core VM and a 64-core host.

import os from 'node:os';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const loadCheckerId = 'load';

export type LoadAverage = '1m' | '5m' | '15m';

export interface LoadConfig {
  /** Failed when the load average per core is above this. */
  maxPerCore: number;
  average: LoadAverage;
}

export const loadDefaults = { maxPerCore: 2, average: '1m' as LoadAverage };

const averageIndex: Record<LoadAverage, 0 | 1 | 2> = { '1m': 0, '5m': 1, '15m': 2 };

/** The load average and the number of cores it is divided by. */
export function loadPerCore(average: LoadAverage): { load: number; cores: number; perCore: number } {
  const load = os.loadavg()[averageIndex[average]] ?? 0;
  const cores = Math.max(1, os.availableParallelism());
  return { load, cores, perCore: load / cores };
}

/**
 * @example probes: [{ checker: load, maxPerCore: 1.5, average: 5m, severity: warning }]
 */
export const loadChecker: Checker<LoadConfig> = {
  id: loadCheckerId,
  description: 'the load average (average: 1m, 5m or 15m; default 1m) per core is at most maxPerCore (default 2)',
  keys: ['maxPerCore', 'average'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const maxPerCore = keys.number('maxPerCore', { fallback: loadDefaults.maxPerCore, min: 0, max: 10_000, what: 'a number of 0 or more (load per core)' });
    const average = keys.oneOf('average', ['1m', '5m', '15m'] as const, loadDefaults.average);
    if (maxPerCore === undefined || average === undefined) return undefined;
    return { maxPerCore, average };
  },
  check(config: LoadConfig, _context: CheckContext): Promise<CheckResult> {
    const { load, cores, perCore } = loadPerCore(config.average);
    if (perCore <= config.maxPerCore) return Promise.resolve({ status: 'running' });
    return Promise.resolve({
      status: 'failed',
      error: `load average (${config.average}) is ${load.toFixed(2)} on ${cores} cores (${perCore.toFixed(2)} per core), above the threshold of ${config.maxPerCore} per core`,
    });
  },
};
