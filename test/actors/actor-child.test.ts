import { strict as assert } from 'node:assert';
import type sinon from 'sinon';
import { assign, fromPromise, setup } from 'xstate';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { startActorChild } from '../../src/actors/actor-child.ts';
import type { ChildContext, ExitReason, TreeNodeInfo } from '../../src/supervisor/child.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { createLauncher } from '../../src/supervisor/launcher.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import { idleMachine } from '../../src/machines/idle.ts';
import { probeMachine } from '../../src/machines/probe.ts';
import { statusHookMachine } from '../../src/machines/status-hook.ts';
import type { HookJob } from '../../src/config/types.ts';
import type { ProbeInput, RunCheckInput, RunCheckOutput } from '../../src/machines/probe.ts';
import { installFakeClock } from '../helpers/fake-children.ts';
import { fakeHookJob } from '../helpers/fake-hook-job.ts';

const crashOnEvent = setup({
  types: { events: {} as { type: 'CRASH' } | { type: 'FAIL' } | { type: 'DONE' } },
  actors: { failing: fromPromise<never>(() => Promise.reject(new Error('invoked actor failed'))) },
}).createMachine({
  id: 'crashy',
  initial: 'up',
  states: {
    up: {
      on: {
        CRASH: {
          actions: () => {
            throw new Error('thrown in an action');
          },
        },
        FAIL: 'invoking',
        DONE: 'finished',
      },
    },
    invoking: { invoke: { src: 'failing' } },
    finished: { type: 'final' },
  },
});

const endsInError = setup({}).createMachine({
  id: 'gives-up',
  initial: 'trying',
  states: { trying: { on: { GIVE_UP: 'failed' } }, failed: { type: 'final' } },
  output: () => ({ error: 'could not reach the target' }),
});

/** Goes to `draining` on SHUTDOWN and only finishes after `drainMs`. */
const slowToStop = setup({ delays: { drainMs: 2000 } }).createMachine({
  id: 'slow',
  initial: 'running',
  states: {
    running: { on: { SHUTDOWN: 'draining' } },
    draining: { after: { drainMs: 'stopped' } },
    stopped: { type: 'final' },
  },
});

describe('actors/actor-child', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: ReturnType<typeof installFakeClock>['clock'];
  let bus: InspectionBus;
  let exits: ExitReason[];
  beforeEach(() => {
    ({ fake, clock } = installFakeClock());
    bus = new InspectionBus();
    exits = [];
  });
  afterEach(() => fake.restore());

  const context = (path = 'agent/x'): ChildContext => ({ path, bus, clock, onExit: (reason) => exits.push(reason) });

  const failures: { name: string; event: string; message: RegExp }[] = [
    { name: 'an exception thrown by the machine', event: 'CRASH', message: /thrown in an action/ },
    { name: 'an invoked actor error the machine does not handle', event: 'FAIL', message: /invoked actor failed/ },
  ];
  for (const row of failures) {
    it(`reports ${row.name} as an error exit`, async () => {
      const child = startActorChild(crashOnEvent, undefined, 'x', context());
      child.send({ type: row.event });
      await fake.tickAsync(0);
      assert.equal(exits.length, 1);
      const exit = exits[0]!;
      assert.ok(exit.kind === 'error');
      assert.match(exit.error.message, row.message);
    });
  }

  it('reports a final state with an error output as an error exit, and a plain final state as normal', () => {
    const failing = startActorChild(endsInError, undefined, 'g', context());
    failing.send({ type: 'GIVE_UP' });
    const finishing = startActorChild(crashOnEvent, undefined, 'f', context());
    finishing.send({ type: 'DONE' });
    assert.deepEqual(exits, [{ kind: 'error', error: { name: 'ActorFailed', message: 'could not reach the target' } }, { kind: 'normal' }]);
  });

  it('throws when the actor fails during start', () => {
    const broken = setup({}).createMachine({
      entry: () => {
        throw new Error('bad entry');
      },
    });
    assert.throws(() => startActorChild(broken, undefined, 'b', context()), /bad entry/);
    assert.equal(exits.length, 0);
  });

  it('stops a machine that accepts SHUTDOWN cleanly, without reporting an exit', async () => {
    const child = startActorChild(idleMachine, undefined, 'i', context());
    assert.deepEqual(await child.stop(5000), { kind: 'shutdown' });
    assert.equal(exits.length, 0);
  });

  it('kills a machine that does not finish within its shutdown time', async () => {
    const child = startActorChild(slowToStop, undefined, 's', context());
    const stopping = child.stop(1000);
    await fake.tickAsync(1000);
    assert.deepEqual(await stopping, { kind: 'shutdown', killed: true });
  });

  it('lets a machine that finishes within its shutdown time stop cleanly', async () => {
    const child = startActorChild(slowToStop, undefined, 's', context());
    const stopping = child.stop(5000);
    await fake.tickAsync(2000);
    assert.deepEqual(await stopping, { kind: 'shutdown' });
  });

  it('a brutal stop during a clean one kills at once', async () => {
    const child = startActorChild(slowToStop, undefined, 's', context());
    const clean = child.stop('infinity');
    const brutal = child.stop('brutal');
    assert.deepEqual(await clean, { kind: 'shutdown', killed: true });
    assert.deepEqual(await brutal, { kind: 'shutdown', killed: true });
  });

  it('publishes inspection records with the actor path, nested actors below it', async () => {
    const records: InspectionRecord[] = [];
    bus.subscribe((record) => records.push(record));
    const child = startActorChild(crashOnEvent, undefined, 'x', context('agent/node:n1'));
    child.send({ type: 'FAIL' });
    await fake.tickAsync(0);
    const paths = new Set(records.map((record) => record.path));
    assert.ok(paths.has('agent/node:n1'));
    assert.ok([...paths].some((path) => path.startsWith('agent/node:n1/')), [...paths].join(', '));
    const event = records.find((record) => record.kind === 'event' && record.event.type === 'FAIL');
    assert.ok(event);
    const snapshot = records.find((record) => record.kind === 'snapshot' && record.value === 'invoking');
    assert.ok(snapshot);
  });

  it("describes a status hook's job as its child while a run is in progress, with the paths of its records", async () => {
    const records: InspectionRecord[] = [];
    bus.subscribe((record) => records.push(record));
    let finish: (exitCode: number) => void = () => undefined;
    const logic = statusHookMachine.provide({
      actors: { job: fakeHookJob(() => new Promise((resolve) => (finish = (exitCode) => resolve({ exitCode })))) },
    });
    const job: HookJob = { command: ['true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };
    const child = startActorChild(logic, { job, intervalMs: 60_000 }, 'hook:status', context('agent/hook:status'));
    await fake.tickAsync(0);
    const running = await child.describe();
    assert.equal(running.actorState, 'running');
    assert.deepEqual(
      running.children?.map((node) => [node.path, node.state, node.actor, node.actorState, node.children?.map((below) => below.path)]),
      [['agent/hook:status/job', 'running', 'hook-job', { running: 'attempting' }, ['agent/hook:status/job/attempt']]],
    );
    assert.ok(records.some((record) => record.kind === 'actor.created' && record.path === 'agent/hook:status/job' && record.logic === 'hookJob'));
    assert.ok(records.some((record) => record.kind === 'snapshot' && record.path === 'agent/hook:status/job/attempt'));

    finish(0);
    await fake.tickAsync(0);
    const waiting = await child.describe();
    assert.equal(waiting.actorState, 'waiting');
    assert.equal(waiting.children, undefined);
    const done = records.find((record) => record.kind === 'snapshot' && record.path === 'agent/hook:status/job' && record.status === 'done');
    assert.ok(done, 'no final snapshot of the job');
    assert.ok(records.some((record) => record.kind === 'actor.stopped' && record.path === 'agent/hook:status/job' && record.status === 'done'));
    await child.stop('brutal');
  });

  it('under a supervisor: a crashing actor is restarted while a sibling keeps counting events', async () => {
    const counter = setup({ types: { context: {} as { count: number } } }).createMachine({
      context: { count: 0 },
      on: { TICK: { actions: assign({ count: ({ context: c }) => c.count + 1 }) }, SHUTDOWN: '.done' },
      initial: 'counting',
      states: { counting: {}, done: { type: 'final' } },
    });
    const supervisor = new Supervisor({
      path: 'agent',
      spec: compileSupervisorSpec({
        intensity: 3,
        children: [
          { id: 'counter', start: { logic: counter } },
          { id: 'crashy', start: { logic: crashOnEvent } },
        ],
      }),
      bus,
      clock,
      launcher: createLauncher(),
    });
    await supervisor.start();
    for (let i = 0; i < 3; i += 1) {
      supervisor.sendTo('counter', { type: 'TICK' });
      supervisor.sendTo('crashy', { type: 'CRASH' });
      await fake.tickAsync(0);
      await supervisor.idle();
      await fake.tickAsync(1000); // past the restart backoff
      await supervisor.idle();
    }
    const tree = await supervisor.describe();
    const [counterNode, crashyNode] = tree.children! as [TreeNodeInfo, TreeNodeInfo];
    assert.equal(crashyNode.restarts, 3);
    assert.equal(crashyNode.state, 'running');
    assert.equal(counterNode.restarts, 0);
    assert.equal(counterNode.actorState, 'counting');
    supervisor.sendTo('counter', { type: 'TICK' });
    assert.equal(supervisor.state, 'running');
    await supervisor.stop();
  });

  it("runs a machine's delays on the clock: a probe with a 30-day interval and a 25-day timeout is checked once per interval", async () => {
    const day = 86_400_000;
    const calls: number[] = [];
    const signals: AbortSignal[] = [];
    const logic = probeMachine.provide({
      actors: {
        runCheck: fromPromise<RunCheckOutput, RunCheckInput>(({ signal }) => {
          calls.push(Date.now());
          signals.push(signal);
          // A slow check, within its timeout: Node alone would fire the 25-day deadline after 1 ms.
          return new Promise((resolve) => {
            setTimeout(() => resolve({ status: 'running', durationMs: 2000, checkedAt: Date.now() }), 2000);
          });
        }),
      },
    });
    const input: ProbeInput = {
      name: 'slow',
      checker: 'tcp',
      severity: 'critical',
      intervalMs: 30 * day,
      timeoutMs: 25 * day,
      failuresBeforeFailed: 1,
      successesBeforeRunning: 1,
      config: {},
      stateDir: '/tmp',
    };
    const child = startActorChild(logic, input, 'probe', context('agent/probes/slow'));
    const start = Date.now();
    await fake.tickAsync(3600_000);
    assert.equal(calls.length, 1, 'checked in a loop instead of once per interval');
    assert.equal(signals[0]?.aborted, false, 'the check was stopped by its deadline long before it');
    await fake.tickAsync(30 * day - 3600_000 - 1);
    assert.equal(calls.length, 1);
    await fake.tickAsync(1);
    assert.deepEqual(calls.map((at) => at - start), [0, 30 * day]);
    await child.stop('brutal');
  });

  it('runs a status hook with a 30-day interval once per interval, not back to back', async () => {
    const day = 86_400_000;
    const runs: number[] = [];
    const logic = statusHookMachine.provide({
      actors: {
        job: fakeHookJob(() => {
          runs.push(Date.now());
          return Promise.resolve({ exitCode: 0 });
        }),
      },
    });
    const job: HookJob = { command: ['true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };
    const child = startActorChild(logic, { job, intervalMs: 30 * day }, 'status-hook', context('agent/status-hook'));
    const start = Date.now();
    await fake.tickAsync(3600_000);
    assert.equal(runs.length, 1, 'the hook was run back to back');
    await fake.tickAsync(30 * day);
    assert.deepEqual(runs.map((at) => at - start), [0, 30 * day]);
    await child.stop('brutal');
  });
});
