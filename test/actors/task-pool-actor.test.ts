// The task pool as a supervised child: started, it publishes a working pool in its slot; stopped by
// its supervisor, it drains and its threads are gone; a pool-level failure (a task module that
// cannot load) ends the incarnation and the supervisor restarts it with a fresh pool.

import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { TaskPoolSlot, taskPoolLogic } from '../../src/actors/task-pool-actor.ts';
import type { TaskPool } from '../../src/actors/task-pool.ts';
import type { TaskPoolOptions } from '../../src/actors/task-pool.ts';
import { systemClock } from '../../src/clock.ts';
import { createLauncher } from '../../src/supervisor/launcher.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { waitFor } from '../helpers/wait.ts';

const deadline = { deadlineMs: 10_000 };

describe('actors/task-pool-actor', () => {
  const supervisors: Supervisor[] = [];
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop(10_000)));
  });

  async function supervise(slot: TaskPoolSlot, moreOptions?: () => Omit<TaskPoolOptions, 'onError'>) {
    const bus = new InspectionBus();
    const records: InspectionRecord[] = [];
    bus.subscribe((record) => records.push(record), { kinds: ['supervisor'] });
    const supervisor = new Supervisor({
      path: 'agent',
      spec: compileSupervisorSpec({
        strategy: 'one_for_one',
        intensity: 5,
        period: 30,
        backoff: { baseMs: 1, capMs: 1 },
        children: [{ id: 'tasks', start: { logic: taskPoolLogic(slot, moreOptions), input: { minThreads: 1, maxThreads: 1 } }, shutdown: 10_000 }],
      }),
      bus,
      clock: systemClock,
      launcher: createLauncher(),
      onExit: () => undefined,
    });
    supervisors.push(supervisor);
    await supervisor.start();
    return { supervisor, records };
  }

  it('publishes a running pool in its slot, and on stop drains it and stops its threads', async () => {
    const events: string[] = [];
    const pools: TaskPool[] = [];
    const slot = new TaskPoolSlot();
    slot.observe({
      onStarted: (started) => {
        pools.push(started);
        events.push('started');
      },
      onStopped: (how) => events.push(`stopped ${how}`),
    });
    const { supervisor } = await supervise(slot);
    const [pool] = pools;
    assert.ok(pool !== undefined);
    const facts = await slot.run('system-facts', undefined, deadline);
    assert.ok(facts.cpu.count >= 1);
    assert.equal(pool.stats.threads, 1);

    await supervisor.stop(10_000);
    assert.equal(pool.state, 'closed');
    assert.equal(pool.stats.threads, 0);
    assert.deepEqual(events, ['started', 'stopped closed']);
    await assert.rejects(slot.run('system-facts', undefined, deadline), (error: unknown) => (error as { code?: string }).code === 'E_POOL_CLOSED');
  });

  it('a pool-level failure ends the child and the supervisor restarts it with a fresh pool', async () => {
    const missing = path.join(tmpdir(), `gravity-no-such-tasks-${process.pid}.mjs`);
    let incarnation = 0;
    const slot = new TaskPoolSlot();
    const pools: TaskPool[] = [];
    slot.observe({ onStarted: (pool) => pools.push(pool) });
    const { records } = await supervise(slot, () => (++incarnation === 1 ? { filename: missing } : {}));
    await waitFor(() => records.some((record) => record.kind === 'supervisor' && record.action === 'restart' && record.child === 'tasks'), 10_000, 'the task pool to be restarted');
    await waitFor(() => pools.length === 2, 10_000, 'the second pool in the slot');
    const [broken] = pools;
    assert.equal(broken?.state, 'destroyed');
    const facts = await slot.run('system-facts', undefined, deadline);
    assert.ok(facts.memory.total > 0);
  });
});
