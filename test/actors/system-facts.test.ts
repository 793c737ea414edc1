// The system facts the agent serves over its control socket: one reading is kept for a few seconds
// and shared by concurrent callers, a failed reading is not kept, and the extension reads through
// the task pool in its slot (E_POOL_CLOSED while no pool runs).

import { strict as assert } from 'node:assert';
import type sinon from 'sinon';
import { SystemFactsCache, systemFactsCacheMs, systemFactsExtension } from '../../src/actors/system-facts.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { TaskPoolSlot } from '../../src/actors/task-pool-actor.ts';
import type { SystemFacts } from '../../src/actors/tasks.ts';
import type { Clock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { Supervisor } from '../../src/supervisor/supervisor.ts';
import { installFakeClock } from '../helpers/fake-children.ts';

function facts(count: number): SystemFacts {
  return {
    cpu: { count, model: 'Intel Xeon' },
    memory: { total: 8 * 1024 ** 3, available: 6 * 1024 ** 3 },
    os: { distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0' },
    disks: [],
    disksTruncated: false,
  };
}

describe('actors/system-facts', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: Clock;
  beforeEach(() => {
    ({ fake, clock } = installFakeClock());
  });
  afterEach(() => fake.restore());

  it('serves one reading until it is systemFactsCacheMs old, then reads again', async () => {
    let reads = 0;
    const cache = new SystemFactsCache({ read: () => Promise.resolve(facts(++reads)), clock });
    const first = await cache.get();
    assert.deepEqual({ count: first.cpu.count, readAt: first.readAt }, { count: 1, readAt: clock.now() });
    await fake.tickAsync(systemFactsCacheMs - 1);
    assert.equal((await cache.get()).cpu.count, 1);
    assert.equal(reads, 1);
    await fake.tickAsync(1);
    const second = await cache.get();
    assert.deepEqual({ count: second.cpu.count, readAt: second.readAt }, { count: 2, readAt: clock.now() });
  });

  it('concurrent callers share one reading in flight', async () => {
    let reads = 0;
    let finish: (value: SystemFacts) => void = () => undefined;
    const cache = new SystemFactsCache({
      read: () => {
        reads += 1;
        return new Promise<SystemFacts>((resolve) => (finish = resolve));
      },
      clock,
    });
    const answers = Promise.all([cache.get(), cache.get(), cache.get()]);
    finish(facts(4));
    const results = await answers;
    assert.equal(reads, 1);
    assert.deepEqual(results.map((result) => result.cpu.count), [4, 4, 4]);
  });

  it('a failed reading is not kept: the next call reads again', async () => {
    let reads = 0;
    const cache = new SystemFactsCache({
      read: () => (++reads === 1 ? Promise.reject(new Error('df hung')) : Promise.resolve(facts(2))),
      clock,
    });
    await assert.rejects(cache.get(), /df hung/);
    assert.equal((await cache.get()).cpu.count, 2);
    assert.equal(reads, 2);
  });

  it('the extension answers system from the pool in its slot: E_POOL_CLOSED while none runs', async () => {
    const slot = new TaskPoolSlot();
    const extension = systemFactsExtension(slot);
    const handle = await extension.start({
      stateDir: '/nonexistent',
      bus: new InspectionBus(),
      root: {} as Supervisor,
      logger: createLogger({ quiet: true }),
      clock,
      controlHandlers: () => {
        throw new Error('not needed');
      },
    });
    const system = handle.handlers?.system;
    assert.ok(system !== undefined);
    await assert.rejects(Promise.resolve(system({})), (error: unknown) => isGravityError(error, 'E_POOL_CLOSED'));
    await handle.stop();
  });
});
