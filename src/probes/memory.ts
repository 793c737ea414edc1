// The `memory` checker: enough memory is available for new work. "Available" is the kernel's own
// estimate (MemAvailable in /proc/meminfo: free memory plus the caches it can reclaim), the same
// figure the kubelet's memory.available eviction signal and `free`'s "available" column use.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { describeError } from './support/describe-error.ts';
import { untilAborted } from './support/deadline.ts';
import { formatBytes, formatPercent } from './support/format.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const memoryCheckerId = 'memory';

export interface MemoryConfig {
  /** Failed when available memory is below this share of the total. */
  minAvailablePercent: number;
  /** Failed when available memory is below this many MiB (if given). */
  minAvailableMiB?: number;
}

export const memoryDefaults = { minAvailablePercent: 10 };

export interface MemoryFigures {
  totalBytes: number;
  availableBytes: number;
}

/** MemTotal and MemAvailable from /proc/meminfo; what `os` says where that file is not readable. */
export async function memoryFigures(): Promise<MemoryFigures> {
  let text: string;
  try {
    text = await readFile('/proc/meminfo', 'utf8');
  } catch (error) {
    if (process.platform === 'linux') throw error;
    return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
  }
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]) * 1024;
  };
  const totalBytes = field('MemTotal');
  // Kernels before 3.14 have no MemAvailable: free plus page cache is the closest estimate.
  const availableBytes = field('MemAvailable') ?? (field('MemFree') ?? 0) + (field('Cached') ?? 0);
  if (totalBytes === undefined) throw new Error('/proc/meminfo has no MemTotal');
  return { totalBytes, availableBytes };
}

/**
 * @example probes: [{ checker: memory, minAvailablePercent: 5, minAvailableMiB: 256 }]
 */
export const memoryChecker: Checker<MemoryConfig> = {
  id: memoryCheckerId,
  description: 'available memory (MemAvailable) is at least minAvailablePercent (default 10 %) of the total, and at least minAvailableMiB if given',
  keys: ['minAvailablePercent', 'minAvailableMiB'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const minAvailablePercent = keys.number('minAvailablePercent', {
      fallback: memoryDefaults.minAvailablePercent,
      min: 0,
      max: 100,
      what: 'a percentage from 0 to 100',
    });
    const minAvailableMiB = keys.has('minAvailableMiB')
      ? keys.number('minAvailableMiB', { fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER, what: 'a number of MiB (0 or more)' })
      : undefined;
    if (minAvailablePercent === undefined || (keys.has('minAvailableMiB') && minAvailableMiB === undefined)) return undefined;
    return { minAvailablePercent, ...(minAvailableMiB === undefined ? {} : { minAvailableMiB }) };
  },
  async check(config: MemoryConfig, context: CheckContext): Promise<CheckResult> {
    let figures: MemoryFigures;
    try {
      const raced = await untilAborted(memoryFigures(), context.signal);
      if (!raced.done) return { status: 'failed', error: `memory check failed: timed out after ${context.timeoutMs}ms reading /proc/meminfo` };
      figures = raced.value;
    } catch (error) {
      return { status: 'failed', error: `memory check failed: cannot read /proc/meminfo: ${describeError(error)}` };
    }
    const percent = figures.totalBytes === 0 ? 0 : (figures.availableBytes / figures.totalBytes) * 100;
    const available = `available memory is ${formatBytes(figures.availableBytes)} (${formatPercent(percent)} of ${formatBytes(figures.totalBytes)})`;
    if (percent < config.minAvailablePercent) {
      return { status: 'failed', error: `${available}, below the threshold of ${formatPercent(config.minAvailablePercent)}` };
    }
    if (config.minAvailableMiB !== undefined && figures.availableBytes < config.minAvailableMiB * 1024 * 1024) {
      return { status: 'failed', error: `${available}, below the threshold of ${formatBytes(config.minAvailableMiB * 1024 * 1024)}` };
    }
    return { status: 'running' };
  },
};
