import { strict as assert } from 'node:assert';
import { planRestart, shouldRestart } from '../../src/supervisor/strategy.ts';
import type { ChildEntry, ExitKind } from '../../src/supervisor/strategy.ts';
import type { RestartType, Strategy } from '../../src/supervisor/spec.ts';

const children: ChildEntry[] = [
  { id: 'a', restart: 'permanent', running: true },
  { id: 'b', restart: 'permanent', running: true },
  { id: 'c', restart: 'temporary', running: true },
  { id: 'd', restart: 'transient', running: true },
];

describe('supervisor/strategy', () => {
  const plans: { strategy: Strategy; failed: string; stop: string[]; start: string[]; remove: string[] }[] = [
    { strategy: 'one_for_one', failed: 'b', stop: [], start: ['b'], remove: [] },
    { strategy: 'one_for_all', failed: 'b', stop: ['d', 'c', 'a'], start: ['a', 'b', 'd'], remove: ['c'] },
    { strategy: 'rest_for_one', failed: 'b', stop: ['d', 'c'], start: ['b', 'd'], remove: ['c'] },
    { strategy: 'rest_for_one', failed: 'd', stop: [], start: ['d'], remove: [] },
    { strategy: 'rest_for_one', failed: 'a', stop: ['d', 'c', 'b'], start: ['a', 'b', 'd'], remove: ['c'] },
    { strategy: 'one_for_all', failed: 'zz', stop: [], start: [], remove: [] },
  ];
  for (const row of plans) {
    it(`${row.strategy}: ${row.failed} fails -> stop [${row.stop.join(',')}], start [${row.start.join(',')}]`, () => {
      const failedAt = children.map((child) => (child.id === row.failed ? { ...child, running: false } : child));
      assert.deepEqual(planRestart(row.strategy, failedAt, row.failed), { stop: row.stop, start: row.start, remove: row.remove });
    });
  }

  it('a transient sibling that already ended normally is not started again by one_for_all', () => {
    const withEnded = children.map((child) => (child.id === 'd' ? { ...child, running: false } : child));
    assert.deepEqual(planRestart('one_for_all', withEnded, 'a').start, ['a', 'b']);
  });

  const restarts: [RestartType, ExitKind, boolean][] = [
    ['permanent', 'normal', true],
    ['permanent', 'shutdown', true],
    ['permanent', 'error', true],
    ['transient', 'normal', false],
    ['transient', 'shutdown', false],
    ['transient', 'error', true],
    ['temporary', 'normal', false],
    ['temporary', 'error', false],
  ];
  for (const [restart, exit, expected] of restarts) {
    it(`${restart} child after a ${exit} exit is ${expected ? '' : 'not '}restarted`, () => {
      assert.equal(shouldRestart(restart, exit), expected);
    });
  }
});
