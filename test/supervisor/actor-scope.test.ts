// Scoped actors: created with the inspector (their records on the bus under the parent's path) and
// the given clock, listed in the tree while running and with their final state afterwards, nested
// scopes under their own path; a crash is recorded by a supervisor record and rejects `done`, never
// restarts; stopping one rejects `done` too.

import { strict as assert } from 'node:assert';
import { assign, fromPromise, setup } from 'xstate';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { ActorScope, ScopedActorCrash } from '../../src/supervisor/actor-scope.ts';

const waiter = setup({
  types: { events: {} as { type: 'GO' } | { type: 'BREAK' }, context: {} as { n: number } },
  actions: {
    explode: () => {
      throw new Error('host code fault');
    },
  },
}).createMachine({
  id: 'waiter',
  context: { n: 0 },
  initial: 'waiting',
  states: {
    waiting: { on: { GO: { target: 'done', actions: assign({ n: 1 }) }, BREAK: { actions: 'explode' } } },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ n: context.n }),
});

describe('supervisor/actor-scope', () => {
  let bus: InspectionBus;
  let records: InspectionRecord[];
  let scope: ActorScope;
  beforeEach(() => {
    bus = new InspectionBus();
    records = [];
    bus.subscribe((record) => records.push(record));
    scope = new ActorScope('agent/operations/operation:1', bus, systemClock);
  });

  it('publishes a scoped actor under its path, lists it running, then with its final state', async () => {
    const started = scope.spawn('phase:/init', waiter, undefined);
    assert.ok(records.some((record) => record.kind === 'actor.created' && record.path === 'agent/operations/operation:1/phase:/init'));
    const [running] = scope.describe();
    assert.equal(running?.state, 'running');
    assert.equal(running?.path, 'agent/operations/operation:1/phase:/init');
    assert.equal(running?.actorState, 'waiting');
    started.actor.send({ type: 'GO' });
    assert.deepEqual(await started.done, { n: 1 });
    const [finished] = scope.describe();
    assert.equal(finished?.state, 'stopped');
    assert.equal(finished?.actorState, 'done');
    assert.equal(finished?.lastExit, 'normal');
    assert.ok(records.some((record) => record.kind === 'snapshot' && record.path === 'agent/operations/operation:1/phase:/init' && record.value === 'done'));
  });

  it('nests: a scoped actor scope holds its own children, under its path, reserved before it is spawned', async () => {
    const reserved = scope.scopeOf('phase:/hook');
    const phase = scope.spawn('phase:/hook', waiter, undefined);
    assert.equal(phase.scope, reserved);
    const job = phase.scope.spawn('hook:install', fromPromise(() => Promise.resolve('ok')), undefined);
    assert.equal(await job.done, 'ok');
    const [parent] = scope.describe();
    assert.equal(parent?.children?.[0]?.path, 'agent/operations/operation:1/phase:/hook/hook:install');
    assert.ok(records.some((record) => record.kind === 'actor.created' && record.path === 'agent/operations/operation:1/phase:/hook/hook:install'));
    phase.actor.send({ type: 'GO' });
    await phase.done;
  });

  it('a crash rejects done with the crash, is recorded by a supervisor record, and is not restarted', async () => {
    const started = scope.spawn('phase:/x', waiter, undefined);
    started.actor.send({ type: 'BREAK' });
    await assert.rejects(started.done, (error: unknown) => error instanceof ScopedActorCrash && error.message.includes('host code fault'));
    const supervisor = records.filter((record) => record.kind === 'supervisor');
    assert.equal(supervisor.length, 1);
    assert.ok(supervisor[0]?.kind === 'supervisor' && supervisor[0].action === 'remove' && supervisor[0].child === 'phase:/x' && supervisor[0].reason.includes('host code fault'));
    const [entry] = scope.describe();
    assert.equal(entry?.state, 'failed');
    assert.equal(records.filter((record) => record.kind === 'actor.created' && record.path.endsWith('phase:/x')).length, 1);
  });

  it('a stopped actor rejects done; stopAll stops what runs; a running id cannot be spawned twice', async () => {
    const started = scope.spawn('phase:/y', waiter, undefined);
    assert.throws(() => scope.spawn('phase:/y', waiter, undefined), /already runs/u);
    scope.stopAll();
    await assert.rejects(started.done, /stopped before it finished/u);
    assert.equal(scope.describe()[0]?.lastExit, 'shutdown');
  });
});
