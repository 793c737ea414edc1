import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor, fromPromise, setup, spawnChild } from 'xstate';
import { actorChildren } from '../../src/actors/actor-children.ts';
import { statusHookMachine } from '../../src/machines/status-hook.ts';
import type { HookJob } from '../../src/config/types.ts';
import { fakeHookJob } from '../helpers/fake-hook-job.ts';

const job: HookJob = { command: ['/bin/true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };

/** Invokes `inner` (a machine invoking a promise) and spawns a promise of its own. */
const inner = setup({ actors: { work: fromPromise<void>(() => new Promise(() => undefined)) } }).createMachine({
  id: 'inner',
  initial: 'working',
  states: { working: { invoke: { id: 'work', src: 'work' } } },
});
const outer = setup({
  actors: { inner, side: fromPromise<void>(() => new Promise(() => undefined)) },
}).createMachine({
  id: 'outer',
  initial: 'busy',
  entry: spawnChild('side', { id: 'side' }),
  states: { busy: { invoke: { id: 'inner', src: 'inner' }, on: { DONE: 'idle' } }, idle: {} },
});

describe('actors/actor-children', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('lists invoked and spawned actors, recursively, with paths below the parent', () => {
    const actor = createActor(outer).start();
    const nodes = actorChildren(actor.getSnapshot(), 'agent/x');
    const byId = new Map(nodes.map((node) => [node.id, node]));
    assert.deepEqual([...byId.keys()].sort(), ['inner', 'side']);
    assert.deepEqual(byId.get('inner'), {
      id: 'inner',
      path: 'agent/x/inner',
      type: 'worker',
      thread: 'main',
      state: 'running',
      restart: 'temporary',
      actorState: 'working',
      restarts: 0,
      children: [{ id: 'work', path: 'agent/x/inner/work', type: 'worker', thread: 'main', state: 'running', restart: 'temporary', restarts: 0 }],
    });
    // A promise has no state value and no children.
    assert.deepEqual(byId.get('side'), { id: 'side', path: 'agent/x/side', type: 'worker', thread: 'main', state: 'running', restart: 'temporary', restarts: 0 });
    actor.send({ type: 'DONE' });
    assert.deepEqual(actorChildren(actor.getSnapshot(), 'agent/x').map((node) => node.id), ['side']);
    actor.stop();
  });

  it("names a drawable machine's actor by its chart name, even with its implementations provided", async () => {
    const logic = statusHookMachine.provide({ actors: { job: fakeHookJob(() => new Promise(() => undefined)) } });
    const actor = createActor(logic, { input: { job, intervalMs: 60_000 } }).start();
    await clock.tickAsync(0);
    assert.deepEqual(actorChildren(actor.getSnapshot(), 'agent/hook:status'), [
      {
        id: 'job',
        path: 'agent/hook:status/job',
        type: 'worker',
        thread: 'main',
        state: 'running',
        restart: 'temporary',
        actor: 'hook-job',
        actorState: { running: 'attempting' },
        restarts: 0,
        children: [{ id: 'attempt', path: 'agent/hook:status/job/attempt', type: 'worker', thread: 'main', state: 'running', restart: 'temporary', restarts: 0 }],
      },
    ]);
    actor.stop();
  });

  it('an actor without children, or no snapshot at all, has none', () => {
    const actor = createActor(inner.provide({ actors: { work: fromPromise<void>(() => Promise.resolve()) } })).start();
    assert.deepEqual(actorChildren(undefined, 'agent/x'), []);
    assert.deepEqual(actorChildren(null, 'agent/x'), []);
    assert.deepEqual(actorChildren({ value: 'idle' }, 'agent/x'), []);
    actor.stop();
    assert.deepEqual(actorChildren(actor.getSnapshot(), 'agent/x'), []);
  });

  it('a child that has ended is shown stopped, or failed when it ended in an error', () => {
    const ref = (status: string) => ({ getSnapshot: () => ({ status }) });
    const nodes = actorChildren({ children: { a: ref('done'), b: ref('error'), c: ref('stopped'), d: undefined } }, 'agent/x');
    assert.deepEqual(nodes.map((node) => [node.id, node.state]), [['a', 'stopped'], ['b', 'failed'], ['c', 'stopped']]);
  });
});
