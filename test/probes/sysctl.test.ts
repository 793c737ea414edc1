// The sysctl checker against this host's real /proc/sys: the current value passes, another fails
// with both values named, multi-value parameters compare with whitespace collapsed, and a parameter
// the kernel does not have fails with a hint.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sysctlChecker, sysctlPath } from '../../src/probes/sysctl.ts';
import { assertProblems, mustCompile, runCheck } from './helpers.ts';
import type { BadConfig } from './helpers.ts';

describe('sysctl checker', () => {
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();

  it('maps keys to /proc/sys paths as sysctl(8) does', () => {
    assert.equal(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
    assert.equal(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), '/proc/sys/net/ipv4/conf/eth0.100/forwarding');
    assert.equal(sysctlPath('net/ipv4/conf/eth0.100/forwarding'), '/proc/sys/net/ipv4/conf/eth0.100/forwarding');
  });

  it('is running when the value is the expected one (a number or a string)', async () => {
    assert.equal((await runCheck(sysctlChecker, mustCompile(sysctlChecker, { key: 'net.ipv4.ip_forward', expected: Number(ipForward) }))).status, 'running');
    assert.equal((await runCheck(sysctlChecker, mustCompile(sysctlChecker, { key: 'net/ipv4/ip_forward', expected: ipForward }))).status, 'running');
  });

  it('fails when the value differs, naming both', async () => {
    const other = ipForward === '1' ? '0' : '1';
    const result = await runCheck(sysctlChecker, mustCompile(sysctlChecker, { key: 'net.ipv4.ip_forward', expected: other }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `sysctl net.ipv4.ip_forward is "${ipForward}", expected "${other}"`);
  });

  it('compares multi-value parameters with whitespace collapsed', async () => {
    const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const [low, high] = range.trim().split(/\s+/);
    const result = await runCheck(sysctlChecker, mustCompile(sysctlChecker, { key: 'net.ipv4.ip_local_port_range', expected: `${low}   ${high}` }));
    assert.equal(result.status, 'running', result.error);
  });

  it('fails with a hint for a parameter the kernel does not have', async () => {
    const result = await runCheck(sysctlChecker, mustCompile(sysctlChecker, { key: 'net.gravity.no_such_param', expected: 1 }));
    assert.equal(
      result.error,
      'sysctl net.gravity.no_such_param: cannot read /proc/sys/net/gravity/no_such_param: no such file or directory (no such parameter: is the kernel module that provides it loaded?)',
    );
  });

  const bad: BadConfig[] = [
    { name: 'a missing key and value', raw: {}, problems: [/^probes\[0\]\.key: required: a kernel parameter/, /^probes\[0\]\.expected: required: /] },
    { name: 'a key that climbs out of /proc/sys', raw: { key: 'net/../../etc/passwd', expected: 1 }, problems: [/^probes\[0\]\.key: must be a kernel parameter/] },
    { name: 'an absolute path', raw: { key: '/proc/sys/net/ipv4/ip_forward', expected: 1 }, problems: [/^probes\[0\]\.key: /] },
    { name: 'a key with a double dot', raw: { key: 'net..ipv4', expected: 1 }, problems: [/^probes\[0\]\.key: /] },
    { name: 'an empty expected value', raw: { key: 'net.ipv4.ip_forward', expected: ' ' }, problems: [/^probes\[0\]\.expected: must be a value/] },
    { name: 'a boolean expected value', raw: { key: 'net.ipv4.ip_forward', expected: true }, problems: [/^probes\[0\]\.expected: must be a value .*got true$/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(sysctlChecker, entry));
});
