// The `sysctl` checker: a kernel parameter has the value a workload depends on (Satellite's
// ip-forward, br-netfilter and may-detach-mounts checkers are all `= 1` checks of this kind). It
// reads /proc/sys directly, as sysctl(8) does.

import { readFile } from 'node:fs/promises';
import { describeError, errorCode } from './support/describe-error.ts';
import { untilAborted } from './support/deadline.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const sysctlCheckerId = 'sysctl';

export interface SysctlConfig {
  /** As written, for messages. */
  key: string;
  /** The file under /proc/sys. */
  path: string;
  /** Expected value with whitespace runs collapsed to one space. */
  expected: string;
}

/** Where the kernel exposes its parameters. */
export const procSysRoot = '/proc/sys';

/** Whitespace-separated multi-value parameters (`32768\t60999`) compare as `32768 60999`. */
export function normalizeSysctlValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/**
 * The file of a key, as sysctl(8) maps it: `net.ipv4.ip_forward` → net/ipv4/ip_forward; in the
 * dotted form a `/` stands for a `.` (`net.ipv4.conf.eth0/100.forwarding`); a key whose first
 * separator is `/` is already a path.
 */
export function sysctlPath(key: string, root = procSysRoot): string {
  const firstSlash = key.indexOf('/');
  const firstDot = key.indexOf('.');
  const relative = firstSlash !== -1 && (firstDot === -1 || firstSlash < firstDot) ? key : key.split('.').map((part) => part.replace(/\//g, '.')).join('/');
  return `${root}/${relative}`;
}

/**
 * @example probes: [{ checker: sysctl, name: ip-forward, key: net.ipv4.ip_forward, expected: 1 }]
 */
export const sysctlChecker: Checker<SysctlConfig> = {
  id: sysctlCheckerId,
  description: 'a kernel parameter (key, e.g. net.ipv4.ip_forward) read from /proc/sys equals expected',
  keys: ['key', 'expected'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const key = keys.string('key', {
      required: true,
      what: 'a kernel parameter such as net.ipv4.ip_forward',
      // Segments of letters, digits and _:@+- separated by single dots or slashes: nothing that climbs out of /proc/sys.
      pattern: /^[A-Za-z0-9_:@+-]+(?:[./][A-Za-z0-9_:@+-]+)*$/,
    });
    let expected: string | undefined;
    if (raw.expected === undefined) keys.problem('expected', 'required: the value the parameter must have, e.g. 1');
    else if ((typeof raw.expected === 'string' && raw.expected.trim() !== '') || (typeof raw.expected === 'number' && Number.isFinite(raw.expected))) {
      expected = normalizeSysctlValue(String(raw.expected));
    } else keys.problem('expected', `must be a value such as 1 or "32768 60999", got ${JSON.stringify(raw.expected)}`);
    if (key === undefined || expected === undefined) return undefined;
    return { key, path: sysctlPath(key), expected };
  },
  async check(config: SysctlConfig, context: CheckContext): Promise<CheckResult> {
    let text: string;
    try {
      const raced = await untilAborted(readFile(config.path, 'utf8'), context.signal);
      if (!raced.done) return { status: 'failed', error: `sysctl ${config.key}: timed out after ${context.timeoutMs}ms reading ${config.path}` };
      text = raced.value;
    } catch (error) {
      const hint = errorCode(error) === 'ENOENT' ? ' (no such parameter: is the kernel module that provides it loaded?)' : '';
      return { status: 'failed', error: `sysctl ${config.key}: cannot read ${config.path}: ${describeError(error)}${hint}` };
    }
    const actual = normalizeSysctlValue(text);
    if (actual === config.expected) return { status: 'running' };
    return { status: 'failed', error: `sysctl ${config.key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(config.expected)}` };
  },
};
