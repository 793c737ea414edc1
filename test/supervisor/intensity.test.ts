import { strict as assert } from 'node:assert';
import { recordRestart } from '../../src/supervisor/intensity.ts';

describe('supervisor/intensity: recordRestart', () => {
  const table: {
    name: string;
    history: number[];
    now: number;
    intensity: number;
    period: number;
    allowed: boolean;
    kept: number[];
  }[] = [
    { name: 'first restart under the OTP default (1 in 5 s)', history: [], now: 1000, intensity: 1, period: 5, allowed: true, kept: [1000] },
    { name: 'second restart inside the period gives up', history: [1000], now: 5999, intensity: 1, period: 5, allowed: false, kept: [1000, 5999] },
    { name: 'a restart exactly one period old no longer counts', history: [1000], now: 6000, intensity: 1, period: 5, allowed: true, kept: [6000] },
    { name: 'intensity 0 never restarts', history: [], now: 0, intensity: 0, period: 5, allowed: false, kept: [0] },
    { name: 'burst of 3 in 10 s is allowed at intensity 3', history: [0, 100], now: 200, intensity: 3, period: 10, allowed: true, kept: [0, 100, 200] },
    { name: 'the fourth in the window gives up', history: [0, 100, 200], now: 300, intensity: 3, period: 10, allowed: false, kept: [0, 100, 200, 300] },
    { name: 'old restarts are dropped, sustained rate is fine', history: [0, 4000, 8000], now: 12000, intensity: 2, period: 5, allowed: true, kept: [8000, 12000] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const verdict = recordRestart(row.history, row.now, { intensity: row.intensity, period: row.period });
      assert.equal(verdict.allowed, row.allowed);
      assert.deepEqual(verdict.history, row.kept);
    });
  }

  it('does not mutate the history it is given', () => {
    const history = [1, 2];
    recordRestart(history, 3, { intensity: 5, period: 5 });
    assert.deepEqual(history, [1, 2]);
  });
});
