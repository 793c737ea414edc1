// The disk-space checker against the real filesystem of a temp dir (statfs): thresholds chosen to
// pass and to fail, the threshold that matches the probe's severity, a path that does not exist, and
// the state dir as the default path.

import assert from 'node:assert/strict';
import { diskSpaceChecker, diskUsage } from '../../src/probes/disk-space.ts';
import { assertProblems, mustCompile, runCheck, tempDir } from './helpers.ts';
import type { BadConfig, TempDir } from './helpers.ts';

describe('disk-space checker', () => {
  let dir: TempDir;
  let usedPercent: number;
  before(async () => {
    dir = tempDir('disk');
    usedPercent = (await diskUsage(dir.path)).usedPercent;
  });
  after(() => dir.remove());

  it('watches the state dir by default, with the critical threshold for a critical probe', () => {
    assert.deepEqual(mustCompile(diskSpaceChecker, {}, '/srv/state'), { path: '/srv/state', threshold: 'critical', thresholdPercent: 90 });
    assert.deepEqual(mustCompile(diskSpaceChecker, { severity: 'critical' }), { path: '/var/lib/gravity-test', threshold: 'critical', thresholdPercent: 90 });
  });

  it('uses the warning threshold for a warning probe', () => {
    assert.deepEqual(mustCompile(diskSpaceChecker, { severity: 'warning', path: '/data' }), { path: '/data', threshold: 'warning', thresholdPercent: 80 });
    assert.equal(mustCompile(diskSpaceChecker, { severity: 'warning', warningPercent: 70 }).thresholdPercent, 70);
    assert.equal(mustCompile(diskSpaceChecker, { criticalPercent: 95 }).thresholdPercent, 95);
  });

  it('is running while usage is at most the threshold', async () => {
    const result = await runCheck(diskSpaceChecker, mustCompile(diskSpaceChecker, { path: dir.path, criticalPercent: 100 }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails above the threshold, saying the usage, the threshold and the sizes', async function () {
    if (usedPercent === 0) this.skip();
    const threshold = Number((usedPercent / 2).toFixed(2));
    const result = await runCheck(diskSpaceChecker, mustCompile(diskSpaceChecker, { path: dir.path, severity: 'warning', warningPercent: threshold }));
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      new RegExp(`^disk usage on ${dir.path} is [\\d.]+ %, over the warning threshold of [\\d.]+ % \\([\\d.]+ [KMGTP]?i?B used, [\\d.]+ [KMGTP]?i?B available of [\\d.]+ [KMGTP]?i?B\\)$`),
    );
  });

  it('fails clearly for a path that does not exist', async () => {
    const result = await runCheck(diskSpaceChecker, mustCompile(diskSpaceChecker, { path: `${dir.path}/missing` }));
    assert.equal(result.error, `disk-space check failed: statfs ${dir.path}/missing: no such file or directory`);
  });

  it('answers by its deadline', async () => {
    const config = mustCompile(diskSpaceChecker, { path: dir.path });
    const controller = new AbortController();
    controller.abort();
    const result = await diskSpaceChecker.check(config, { signal: controller.signal, timeoutMs: 50, stateDir: dir.path });
    assert.equal(result.error, `disk-space check failed: statfs ${dir.path}: timed out after 50ms (a hung mount?)`);
  });

  const bad: BadConfig[] = [
    { name: 'a percentage over 100', raw: { criticalPercent: 120 }, problems: [/^probes\[0\]\.criticalPercent: must be a percentage from 0 to 100, got 120$/] },
    { name: 'a percentage as a string', raw: { warningPercent: '80%' }, problems: [/^probes\[0\]\.warningPercent: must be a percentage/] },
    { name: 'warning above critical', raw: { warningPercent: 95, criticalPercent: 90 }, problems: [/^probes\[0\]\.warningPercent: the warning threshold \(95\) must not be above the critical threshold \(90\)$/] },
    { name: 'warning above the default critical', raw: { warningPercent: 95 }, problems: [/^probes\[0\]\.warningPercent: /] },
    { name: 'an empty path', raw: { path: '' }, problems: [/^probes\[0\]\.path: must be a path/] },
    { name: 'several mistakes', raw: { path: 3, criticalPercent: -1 }, problems: [/\.path: /, /\.criticalPercent: /] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(diskSpaceChecker, entry));
});
