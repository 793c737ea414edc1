// The memory checker against this host's real /proc/meminfo: thresholds chosen to pass and to fail.

import assert from 'node:assert/strict';
import { memoryChecker, memoryFigures } from '../../src/probes/memory.ts';
import { assertProblems, mustCompile, runCheck } from './helpers.ts';
import type { BadConfig } from './helpers.ts';

describe('memory checker', () => {
  it('reads MemTotal and MemAvailable', async () => {
    const figures = await memoryFigures();
    assert.ok(figures.totalBytes > 0);
    assert.ok(figures.availableBytes > 0 && figures.availableBytes <= figures.totalBytes);
  });

  it('defaults to 10 % available', () => {
    assert.deepEqual(mustCompile(memoryChecker, {}), { minAvailablePercent: 10 });
  });

  it('is running while enough memory is available', async () => {
    const result = await runCheck(memoryChecker, mustCompile(memoryChecker, { minAvailablePercent: 0, minAvailableMiB: 1 }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails below the percentage, saying how much is available', async () => {
    const result = await runCheck(memoryChecker, mustCompile(memoryChecker, { minAvailablePercent: 100 }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^available memory is [\d.]+ [KMGT]iB \([\d.]+ % of [\d.]+ [KMGT]iB\), below the threshold of 100 %$/);
  });

  it('fails below the absolute minimum', async () => {
    const result = await runCheck(memoryChecker, mustCompile(memoryChecker, { minAvailablePercent: 0, minAvailableMiB: 1024 * 1024 * 1024 }));
    assert.match(result.error ?? '', /, below the threshold of 1\.0 PiB$/);
  });

  const bad: BadConfig[] = [
    { name: 'a percentage over 100', raw: { minAvailablePercent: 101 }, problems: [/^probes\[0\]\.minAvailablePercent: must be a percentage from 0 to 100, got 101$/] },
    { name: 'a size as a string', raw: { minAvailableMiB: '256Mi' }, problems: [/^probes\[0\]\.minAvailableMiB: must be a number of MiB/] },
    { name: 'both wrong', raw: { minAvailablePercent: -5, minAvailableMiB: -1 }, problems: [/\.minAvailablePercent: /, /\.minAvailableMiB: /] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(memoryChecker, entry));
});
