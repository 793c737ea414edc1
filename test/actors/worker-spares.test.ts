// Warm spare threads: with spares on, a worker-hosted child starts on a thread that was loaded in
// advance, and the spare is replaced in the background; with spares off, none are kept.

import assert from 'node:assert/strict';
import { endWorkerSpares, idleWorkerSpares, setWorkerSpares, takeWorkerThread } from '../../src/actors/worker-spares.ts';
import { startWorkerChild, liveWorkerThreads } from '../../src/actors/worker-child.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import { waitFor } from '../helpers/wait.ts';

describe('actors/worker-spares', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await endWorkerSpares();
  });

  it('keeps the requested number of spares and replaces a spare that is taken', async () => {
    setWorkerSpares(1);
    await waitFor(() => idleWorkerSpares() === 1, 5000, 'one spare');
    const worker = takeWorkerThread();
    assert.equal(idleWorkerSpares(), 0);
    await waitFor(() => idleWorkerSpares() === 1, 5000, 'the spare to be replaced');
    assert.notEqual(takeWorkerThread(), worker, 'a spare is never handed out twice');
    await worker.terminate();
  });

  it('a worker-hosted child starts on the spare, and ends it when stopped', async () => {
    setWorkerSpares(1);
    await waitFor(() => idleWorkerSpares() === 1, 5000, 'one spare');
    const spec = compileSupervisorSpec({
      children: [
        { id: 'c', thread: 'worker', start: { module: new URL('../fixtures/worker-counter.ts', import.meta.url).href, export: 'counterMachine' } },
      ],
    }).children[0]!;
    const child = await startWorkerChild(spec, { path: 'agent/c', bus: new InspectionBus(), clock: systemClock, onExit: () => undefined });
    assert.equal(liveWorkerThreads(), 1);
    assert.deepEqual(await child.describe(), { actorState: 'counting' });
    await child.stop('infinity');
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'the thread to end');
  });

  it('a thread for another program is always a new one: the spare, loaded with the host entry, stays', async () => {
    setWorkerSpares(1);
    await waitFor(() => idleWorkerSpares() === 1, 5000, 'one spare');
    const worker = takeWorkerThread(new URL('../fixtures/worker-entry-hangs.ts', import.meta.url));
    assert.equal(idleWorkerSpares(), 1);
    await worker.terminate();
  });

  it('setting spares to 0 ends the idle ones', async () => {
    setWorkerSpares(2);
    await waitFor(() => idleWorkerSpares() === 2, 10_000, 'two spares');
    setWorkerSpares(0);
    assert.equal(idleWorkerSpares(), 0);
  });
});
