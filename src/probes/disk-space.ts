// The `disk-space` checker: the filesystem holding a path (the state directory by default) is not
// too full, as Satellite's disk-space checker watches /var/lib/gravity: over 80 % used is a warning,
// over 90 % critical. A probe has one severity, so the checker takes both thresholds and fails above
// the one that matches the probe's own severity (critical → criticalPercent, warning →
// warningPercent); the default probes run it twice, once at each severity, as Gravity does.

import { statfs } from 'node:fs/promises';
import { describeError } from './support/describe-error.ts';
import { untilAborted } from './support/deadline.ts';
import { formatBytes, formatPercent } from './support/format.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult, ProbeSeverity } from './types.ts';

export const diskSpaceCheckerId = 'disk-space';

export interface DiskSpaceConfig {
  path: string;
  /** The threshold this probe enforces (the one matching its severity). */
  thresholdPercent: number;
  /** Which threshold that is, for the error. */
  threshold: ProbeSeverity;
}

export const diskSpaceDefaults = { warningPercent: 80, criticalPercent: 90 };

/** Usage as df computes it: used / (used + available to unprivileged users). */
export interface DiskUsage {
  usedPercent: number;
  usedBytes: number;
  availableBytes: number;
  totalBytes: number;
}

export async function diskUsage(path: string): Promise<DiskUsage> {
  const stats = await statfs(path);
  const usedBytes = (stats.blocks - stats.bfree) * stats.bsize;
  const availableBytes = stats.bavail * stats.bsize;
  const usable = usedBytes + availableBytes;
  return { usedPercent: usable === 0 ? 0 : (usedBytes / usable) * 100, usedBytes, availableBytes, totalBytes: stats.blocks * stats.bsize };
}

/**
 * @example probes: [{ checker: disk-space, path: /var/lib/docker, severity: warning }]  # fails above 80 %
 */
export const diskSpaceChecker: Checker<DiskSpaceConfig> = {
  id: diskSpaceCheckerId,
  description: 'the filesystem holding path (default: the state dir) is used below the threshold of the probe severity (warning 80 %, critical 90 %)',
  keys: ['path', 'warningPercent', 'criticalPercent'],
  compile(raw, at, problems, context) {
    const keys = new KeyReader(raw, at, problems);
    const path = keys.string('path', { what: 'a path on the filesystem to watch', fallback: context.stateDir });
    const percent = (key: string, fallback: number): number | undefined =>
      keys.number(key, { fallback, min: 0, max: 100, what: 'a percentage from 0 to 100' });
    const warningPercent = percent('warningPercent', diskSpaceDefaults.warningPercent);
    const criticalPercent = percent('criticalPercent', diskSpaceDefaults.criticalPercent);
    if (warningPercent !== undefined && criticalPercent !== undefined && warningPercent > criticalPercent) {
      keys.problem(
        keys.has('warningPercent') ? 'warningPercent' : 'criticalPercent',
        `the warning threshold (${warningPercent}) must not be above the critical threshold (${criticalPercent})`,
      );
      return undefined;
    }
    if (path === undefined || warningPercent === undefined || criticalPercent === undefined) return undefined;
    const threshold: ProbeSeverity = raw.severity === 'warning' ? 'warning' : 'critical';
    return { path, threshold, thresholdPercent: threshold === 'warning' ? warningPercent : criticalPercent };
  },
  async check(config: DiskSpaceConfig, context: CheckContext): Promise<CheckResult> {
    let usage: DiskUsage;
    try {
      const raced = await untilAborted(diskUsage(config.path), context.signal);
      if (!raced.done) {
        return { status: 'failed', error: `disk-space check failed: statfs ${config.path}: timed out after ${context.timeoutMs}ms (a hung mount?)` };
      }
      usage = raced.value;
    } catch (error) {
      return { status: 'failed', error: `disk-space check failed: statfs ${config.path}: ${describeError(error)}` };
    }
    if (usage.usedPercent <= config.thresholdPercent) return { status: 'running' };
    return {
      status: 'failed',
      error:
        `disk usage on ${config.path} is ${formatPercent(usage.usedPercent)}, over the ${config.threshold} threshold of ` +
        `${formatPercent(config.thresholdPercent)} (${formatBytes(usage.usedBytes)} used, ${formatBytes(usage.availableBytes)} available` +
        ` of ${formatBytes(usage.totalBytes)})`,
    };
  },
};
