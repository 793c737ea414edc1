// The registry of built-in checkers, and the compiler of `probes:` entries in the config: the
// settings every probe shares (name, interval, timeout, thresholds, severity) with their defaults
// and limits, then the checker's own keys through its own validator. Every mistake is reported.

import { show } from '../config/yaml-source.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import type { Checker, ProbeSeverity, ProbeSpec } from './types.ts';

/** Checkers by id. Each lives in its own file under src/probes/. */
export const checkers = new Map<string, Checker<unknown>>();

/** Adds a checker to the registry (each checker module's file is imported in checkers.ts). */
export function registerChecker<C>(checker: Checker<C>): void {
  checkers.set(checker.id, checker);
}

/** Consul's floor: "Otherwise we risk fork bombing a system". */
export const minIntervalMs = 1000;
/** The longest interval (and so the longest timeout): a day. */
export const maxIntervalMs = 86_400_000;
/** The shortest timeout. */
export const minTimeoutMs = 1;
/** The largest failuresBeforeFailed and successesBeforeRunning. */
export const maxThreshold = 100;
export const probeDefaults = {
  intervalMs: 10_000,
  timeoutMs: 5000,
  failuresBeforeFailed: 1,
  successesBeforeRunning: 1,
  severity: 'critical' as ProbeSeverity,
};

const sharedKeys = ['checker', 'name', 'interval', 'timeout', 'failuresBeforeFailed', 'successesBeforeRunning', 'severity'];
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A duration from `minMs` to `maxMs`. */
function duration(raw: unknown, at: string, problems: string[], range: { fallback: number; minMs: number; maxMs: number }): number | undefined {
  if (raw === undefined) return range.fallback;
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (ms === undefined || ms < range.minMs || ms > range.maxMs) {
    const what = `a duration from ${formatDuration(range.minMs)} to ${formatDuration(range.maxMs)}`;
    problems.push(`${at}: must be ${ms === undefined ? `${what}, such as 500ms, 1s or 2m` : what}, got ${show(raw)}`);
    return undefined;
  }
  return ms;
}

function threshold(raw: unknown, at: string, problems: string[], fallback: number): number | undefined {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > maxThreshold) {
    problems.push(`${at}: must be a whole number from 1 to ${maxThreshold}, got ${show(raw)}`);
    return undefined;
  }
  return raw;
}

/**
 * Compiles one `probes:` entry; problems are pushed as `<at>.<key>: ...`.
 * @example compileProbe({ checker: 'tcp', address: '127.0.0.1:80', interval: '1s' }, 'probes[0]', problems, { stateDir })
 */
export function compileProbe(raw: unknown, at: string, problems: string[], context: { stateDir: string }): ProbeSpec | undefined {
  if (!isRecord(raw)) {
    problems.push(`${at}: must be a mapping with at least a checker`);
    return undefined;
  }
  if (typeof raw.checker !== 'string') {
    problems.push(`${at}.checker: required: one of ${[...checkers.keys()].sort().join(', ')}`);
    return undefined;
  }
  const checker = checkers.get(raw.checker);
  if (checker === undefined) {
    problems.push(`${at}.checker: unknown checker ${show(raw.checker)} (known: ${[...checkers.keys()].sort().join(', ')})`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (!sharedKeys.includes(key) && !checker.keys.includes(key)) {
      problems.push(`${at}.${key}: unknown key for checker ${checker.id} (allowed: ${[...sharedKeys, ...checker.keys].join(', ')})`);
    }
  }
  let name = checker.id;
  if (raw.name !== undefined) {
    if (typeof raw.name === 'string' && namePattern.test(raw.name)) name = raw.name;
    else problems.push(`${at}.name: must be 1-63 letters, digits or '._-', got ${show(raw.name)}`);
  }
  const intervalMs = duration(raw.interval, `${at}.interval`, problems, { fallback: probeDefaults.intervalMs, minMs: minIntervalMs, maxMs: maxIntervalMs });
  // The default timeout fits within a short interval; a bad interval is reported once, above.
  const timeoutMs = duration(raw.timeout, `${at}.timeout`, problems, {
    fallback: Math.min(probeDefaults.timeoutMs, intervalMs ?? minIntervalMs),
    minMs: minTimeoutMs,
    maxMs: maxIntervalMs,
  });
  if (timeoutMs !== undefined && intervalMs !== undefined && timeoutMs > intervalMs) {
    problems.push(`${at}.timeout: must not exceed the interval (${show(raw.interval ?? '10s')}), got ${show(raw.timeout)}`);
  }
  const failuresBeforeFailed = threshold(raw.failuresBeforeFailed, `${at}.failuresBeforeFailed`, problems, probeDefaults.failuresBeforeFailed);
  const successesBeforeRunning = threshold(
    raw.successesBeforeRunning,
    `${at}.successesBeforeRunning`,
    problems,
    probeDefaults.successesBeforeRunning,
  );
  let severity: ProbeSeverity = probeDefaults.severity;
  if (raw.severity !== undefined) {
    if (raw.severity === 'critical' || raw.severity === 'warning') severity = raw.severity;
    else problems.push(`${at}.severity: must be critical or warning, got ${show(raw.severity)}`);
  }
  const config = checker.compile(raw, at, problems, context);
  if (problems.length > before || config === undefined) return undefined;
  return {
    name,
    checker: checker.id,
    intervalMs: intervalMs!,
    timeoutMs: timeoutMs!,
    failuresBeforeFailed: failuresBeforeFailed!,
    successesBeforeRunning: successesBeforeRunning!,
    severity,
    config,
    source: raw,
  };
}

/** Compiles the `probes:` list; also reports two probes with the same name. */
export function compileProbes(raw: unknown, at: string, problems: string[], context: { stateDir: string }): ProbeSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${at}: must be a list of probes`);
    return [];
  }
  const probes: ProbeSpec[] = [];
  const names = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    const probe = compileProbe(entry, `${at}[${index}]`, problems, context);
    if (probe === undefined) return;
    if (names.has(probe.name)) {
      problems.push(`${at}[${index}].name: another probe is already named ${JSON.stringify(probe.name)}`);
      return;
    }
    names.add(probe.name);
    probes.push(probe);
  });
  return probes;
}
