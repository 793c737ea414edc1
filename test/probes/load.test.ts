// The load checker against this host's real load average: thresholds chosen to pass and to fail.

import assert from 'node:assert/strict';
import { loadChecker, loadPerCore } from '../../src/probes/load.ts';
import { assertProblems, mustCompile, runCheck } from './helpers.ts';
import type { BadConfig } from './helpers.ts';

describe('load checker', () => {
  it('defaults to 2 per core over the 1-minute average', () => {
    assert.deepEqual(mustCompile(loadChecker, {}), { maxPerCore: 2, average: '1m' });
  });

  it('is running below the threshold', async () => {
    const result = await runCheck(loadChecker, mustCompile(loadChecker, { maxPerCore: 10_000 }));
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails above the threshold, saying the load, the cores and the threshold', async function () {
    if (loadPerCore('15m').load === 0) this.skip();
    const result = await runCheck(loadChecker, mustCompile(loadChecker, { maxPerCore: 0, average: '15m' }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^load average \(15m\) is [\d.]+ on \d+ cores \([\d.]+ per core\), above the threshold of 0 per core$/);
  });

  const bad: BadConfig[] = [
    { name: 'a negative threshold', raw: { maxPerCore: -1 }, problems: [/^probes\[0\]\.maxPerCore: must be a number of 0 or more/] },
    { name: 'an unknown average', raw: { average: '10m' }, problems: [/^probes\[0\]\.average: must be one of 1m, 5m, 15m, got "10m"$/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(loadChecker, entry));
});
