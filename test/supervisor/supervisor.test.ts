import { strict as assert } from 'node:assert';
import type sinon from 'sinon';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import type { ChildLauncher } from '../../src/supervisor/supervisor.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { ChildSpecInput, SupervisorSpecInput } from '../../src/supervisor/spec.ts';
import type { ExitReason, TreeNodeInfo } from '../../src/supervisor/child.ts';
import { isGravityError } from '../../src/errors.ts';
import { FakeLauncher, installFakeClock } from '../helpers/fake-children.ts';

const idle = { actor: 'idle' } as const;
const child = (id: string, extra: Partial<ChildSpecInput> = {}): ChildSpecInput => ({ id, start: idle, ...extra });

interface Harness {
  supervisor: Supervisor;
  launcher: FakeLauncher;
  records: InspectionRecord[];
  exits: ExitReason[];
  fake: sinon.SinonFakeTimers;
  settle: () => Promise<void>;
}

describe('supervisor/supervisor', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: ReturnType<typeof installFakeClock>['clock'];
  beforeEach(() => {
    ({ fake, clock } = installFakeClock());
  });
  afterEach(() => fake.restore());

  async function harness(input: SupervisorSpecInput, random = () => 0.5): Promise<Harness> {
    const bus = new InspectionBus();
    const records: InspectionRecord[] = [];
    bus.subscribe((record) => records.push(record), { kinds: ['supervisor'] });
    const launcher = new FakeLauncher();
    const exits: ExitReason[] = [];
    const supervisor = new Supervisor({
      path: 'root',
      spec: compileSupervisorSpec(input),
      bus,
      clock,
      launcher,
      random,
      onExit: (reason) => exits.push(reason),
    });
    await supervisor.start();
    const settle = async (): Promise<void> => {
      await fake.tickAsync(0);
      await supervisor.idle();
    };
    return { supervisor, launcher, records, exits, fake, settle };
  }

  it('starts children in order and stops them in reverse order', async () => {
    const h = await harness({ children: [child('a'), child('b'), child('c')] });
    assert.deepEqual(h.launcher.take(), ['start a', 'start b', 'start c']);
    assert.equal(h.supervisor.state, 'running');
    await h.supervisor.stop();
    assert.deepEqual(h.launcher.take(), ['stop c', 'stop b', 'stop a']);
    assert.equal(h.supervisor.state, 'stopped');
  });

  const strategies: { strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one'; crash: string; log: string[] }[] = [
    { strategy: 'one_for_one', crash: 'b', log: ['start b'] },
    { strategy: 'one_for_all', crash: 'b', log: ['stop c', 'stop a', 'start a', 'start b', 'start c'] },
    { strategy: 'rest_for_one', crash: 'b', log: ['stop c', 'start b', 'start c'] },
    { strategy: 'rest_for_one', crash: 'c', log: ['start c'] },
  ];
  for (const row of strategies) {
    it(`${row.strategy}: when ${row.crash} crashes -> ${row.log.join(', ')}`, async () => {
      const h = await harness({ strategy: row.strategy, children: [child('a'), child('b'), child('c')] });
      h.launcher.take();
      h.launcher.child(row.crash).crash();
      await h.settle();
      assert.deepEqual(h.launcher.take(), row.log);
      assert.equal(h.exits.length, 0);
      const restart = h.records.find((record) => record.kind === 'supervisor' && record.action === 'restart');
      assert.ok(restart !== undefined && restart.kind === 'supervisor');
      assert.equal(restart.child, row.crash);
      assert.match(restart.reason, /boom/);
    });
  }

  const restartTypes: { restart: 'permanent' | 'transient' | 'temporary'; how: 'crash' | 'finish'; restarted: boolean; action: string }[] = [
    { restart: 'permanent', how: 'finish', restarted: true, action: 'restart' },
    { restart: 'permanent', how: 'crash', restarted: true, action: 'restart' },
    { restart: 'transient', how: 'finish', restarted: false, action: 'ignore' },
    { restart: 'transient', how: 'crash', restarted: true, action: 'restart' },
    { restart: 'temporary', how: 'finish', restarted: false, action: 'remove' },
    { restart: 'temporary', how: 'crash', restarted: false, action: 'remove' },
  ];
  for (const row of restartTypes) {
    it(`a ${row.restart} child that ${row.how === 'crash' ? 'crashes' : 'ends normally'} is ${row.action === 'restart' ? 'restarted' : row.action === 'ignore' ? 'left stopped' : 'removed'}`, async () => {
      const h = await harness({ children: [child('a', { restart: row.restart })] });
      h.launcher.take();
      const target = h.launcher.child('a');
      if (row.how === 'crash') target.crash();
      else target.finish();
      await h.settle();
      assert.deepEqual(h.launcher.take(), row.restarted ? ['start a'] : []);
      const actions = h.records.flatMap((record) => (record.kind === 'supervisor' && record.child === 'a' ? [record.action] : []));
      const tail = row.action === 'restart' ? ['restart', 'start'] : [row.action];
      assert.deepEqual(actions.slice(-tail.length), tail);
      const tree = await h.supervisor.describe();
      assert.equal(tree.children?.length, row.action === 'remove' ? 0 : 1);
    });
  }

  it('gives up past the default intensity (1 in 5 s): stops the rest in reverse and escalates', async () => {
    const h = await harness({ children: [child('a'), child('b'), child('c')] });
    h.launcher.take();
    h.launcher.child('b').crash('first');
    await h.settle();
    assert.deepEqual(h.launcher.take(), ['start b']);
    await h.fake.tickAsync(4999);
    h.launcher.child('b').crash('second');
    await h.settle();
    assert.deepEqual(h.launcher.take(), ['stop c', 'stop a']);
    assert.equal(h.supervisor.state, 'failed');
    assert.equal(h.exits.length, 1);
    const exit = h.exits[0]!;
    assert.ok(exit.kind === 'error' && exit.error.code === 'E_SUPERVISOR_GAVE_UP');
    const actions = h.records.flatMap((record) => (record.kind === 'supervisor' ? [record.action] : []));
    assert.deepEqual(actions.slice(-4), ['give_up', 'stop', 'stop', 'escalate']);
  });

  it('keeps restarting when crashes are spaced further apart than the period', async () => {
    const h = await harness({ children: [child('a')] });
    h.launcher.take();
    for (let i = 0; i < 5; i += 1) {
      h.launcher.child('a').crash();
      await h.settle();
      await h.fake.tickAsync(5000);
    }
    assert.deepEqual(h.launcher.take(), Array.from({ length: 5 }, () => 'start a'));
    assert.equal(h.exits.length, 0);
  });

  it('backs off exponentially between consecutive restarts, on the injected clock', async () => {
    const h = await harness({
      intensity: 10,
      period: 60,
      backoff: { baseMs: 100, factor: 2, capMs: 250, jitter: 0 },
      children: [child('a')],
    });
    h.launcher.take();
    const expectedDelays = [0, 100, 200, 250, 250];
    for (const delayMs of expectedDelays) {
      h.launcher.child('a').crash();
      await h.settle();
      if (delayMs > 0) {
        await h.fake.tickAsync(delayMs - 1);
        assert.deepEqual(h.launcher.take(), [], `not restarted 1 ms before its ${delayMs} ms delay`);
        await h.fake.tickAsync(1);
        await h.supervisor.idle();
      }
      assert.deepEqual(h.launcher.take(), ['start a']);
    }
    const delays = h.records.flatMap((record) => (record.kind === 'supervisor' && record.action === 'restart' ? [record.delayMs] : []));
    assert.deepEqual(delays, expectedDelays);
  });

  it('resets the backoff after the child ran stably for resetAfterMs', async () => {
    const h = await harness({
      intensity: 10,
      period: 1,
      backoff: { baseMs: 100, factor: 2, capMs: 10_000, jitter: 0, resetAfterMs: 2000 },
      children: [child('a')],
    });
    h.launcher.child('a').crash();
    await h.settle();
    h.launcher.child('a').crash();
    await h.settle();
    await h.fake.tickAsync(100);
    await h.supervisor.idle();
    await h.fake.tickAsync(2000);
    h.launcher.child('a').crash();
    await h.settle();
    const delays = h.records.flatMap((record) => (record.kind === 'supervisor' && record.action === 'restart' ? [record.delayMs] : []));
    assert.deepEqual(delays, [0, 100, 0]);
  });

  it('gives a slow child its shutdown time, then kills it; brutal kills at once', async () => {
    const h = await harness({
      children: [child('slow', { shutdown: 1000 }), child('quick', { shutdown: 'brutal' }), child('patient', { shutdown: 5000 })],
    });
    h.launcher.take();
    h.launcher.stopTakesMs.set('slow', 3000);
    h.launcher.stopTakesMs.set('patient', 2000);
    const stopped = h.supervisor.stop();
    await h.fake.tickAsync(2000);
    assert.deepEqual(h.launcher.take(), ['stop patient', 'kill quick']);
    await h.fake.tickAsync(999);
    assert.deepEqual(h.launcher.take(), []);
    await h.fake.tickAsync(1);
    await stopped;
    assert.deepEqual(h.launcher.take(), ['kill slow']);
    const actions = h.records.flatMap((record) => (record.kind === 'supervisor' && record.action !== 'start' ? [`${record.action} ${record.child}`] : []));
    assert.deepEqual(actions, ['stop patient', 'kill quick', 'kill slow']);
  });

  it("kills what is left when the supervisor's own shutdown time runs out", async () => {
    const h = await harness({ children: [child('a', { shutdown: 10_000 }), child('b', { shutdown: 10_000 })] });
    h.launcher.take();
    h.launcher.stopTakesMs.set('b', 8000);
    h.launcher.stopTakesMs.set('a', 8000);
    const stopped = h.supervisor.stop(3000);
    await h.fake.tickAsync(3000);
    const reason = await stopped;
    assert.deepEqual(reason, { kind: 'shutdown', killed: true });
    assert.deepEqual(h.launcher.take(), ['kill b', 'kill a']);
  });

  it('fails to start when a child fails to start, stopping the started ones in reverse', async () => {
    const bus = new InspectionBus();
    const launcher = new FakeLauncher();
    launcher.failStart.add('c');
    const supervisor = new Supervisor({
      path: 'root',
      spec: compileSupervisorSpec({ children: [child('a'), child('b'), child('c'), child('d')] }),
      bus,
      clock,
      launcher,
    });
    await assert.rejects(supervisor.start(), (error: unknown) => isGravityError(error, 'E_CHILD_START_FAILED'));
    assert.deepEqual(launcher.take(), ['start a', 'start b', 'fail c', 'stop b', 'stop a']);
    assert.equal(supervisor.state, 'failed');
  });

  it('counts a failed restart as another failure against the intensity', async () => {
    const h = await harness({ intensity: 2, period: 10, backoff: { jitter: 0 }, children: [child('a'), child('b')] });
    h.launcher.take();
    h.launcher.failStart.add('b');
    h.launcher.child('b').crash();
    await h.settle();
    await h.fake.tickAsync(100);
    await h.supervisor.idle();
    assert.deepEqual(h.launcher.take(), ['fail b', 'fail b', 'stop a']);
    assert.equal(h.supervisor.state, 'failed');
    assert.equal(h.exits.length, 1);
  });

  it('backs off a restart that fails to start, even after a long stable run', async () => {
    const h = await harness({
      intensity: 10,
      period: 60,
      backoff: { baseMs: 100, factor: 2, capMs: 10_000, jitter: 0, resetAfterMs: 30_000 },
      children: [child('a')],
    });
    h.launcher.take();
    await h.fake.tickAsync(60_000); // a stable run: the first restart is immediate
    h.launcher.failStart.add('a');
    h.launcher.child('a').crash();
    await h.settle();
    // The failed start ran for no time at all: the next attempt waits, it does not burn the intensity.
    assert.deepEqual(h.launcher.take(), ['fail a']);
    const delays = h.records.flatMap((record) => (record.kind === 'supervisor' && record.action === 'restart' ? [record.delayMs] : []));
    assert.deepEqual(delays, [0, 100]);
    assert.equal(h.supervisor.state, 'running');
    assert.equal(h.exits.length, 0);
  });

  it('a stop while children are starting ends the start: nothing more starts, and it stays stopped', async () => {
    const bus = new InspectionBus();
    const launcher = new FakeLauncher();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const launching = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const gated: ChildLauncher = {
      async launch(spec, context) {
        if (spec.id === 'a') {
          entered();
          await gate;
        }
        return launcher.launch(spec, context);
      },
    };
    const supervisor = new Supervisor({
      path: 'root',
      spec: compileSupervisorSpec({ children: [child('a'), child('b')] }),
      bus,
      clock,
      launcher: gated,
    });
    const started = supervisor.start();
    await launching; // 'a' is being launched
    await supervisor.stop('brutal');
    release();
    await started;
    await supervisor.idle();
    assert.deepEqual(launcher.take(), ['start a', 'stop a']);
    assert.equal(supervisor.state, 'stopped');
  });

  it('ignores a late exit report from an incarnation that was already replaced', async () => {
    const h = await harness({ intensity: 5, children: [child('a')] });
    const first = h.launcher.child('a');
    first.crash();
    await h.settle();
    first.crash('late duplicate');
    await h.settle();
    const restarts = h.records.filter((record) => record.kind === 'supervisor' && record.action === 'restart');
    assert.equal(restarts.length, 1);
  });

  it('a nested supervisor that gives up escalates to its parent, which restarts it', async () => {
    const h = await harness({
      intensity: 3,
      period: 10,
      children: [child('top'), { id: 'inner', start: { supervisor: { intensity: 0, children: [child('x'), child('y')] } } }],
    });
    assert.deepEqual(h.launcher.take(), ['start top', 'start inner', 'start x', 'start y']);
    h.launcher.child('x').crash();
    await h.settle();
    assert.deepEqual(h.launcher.take(), ['stop y', 'start inner', 'start x', 'start y']);
    const escalation = h.records.find((record) => record.kind === 'supervisor' && record.path === 'root/inner' && record.action === 'escalate');
    assert.ok(escalation);
    const restart = h.records.find((record) => record.kind === 'supervisor' && record.path === 'root' && record.action === 'restart');
    assert.ok(restart !== undefined && restart.kind === 'supervisor' && restart.child === 'inner');
    assert.match(restart.reason, /restart intensity exceeded/);
    assert.equal(h.exits.length, 0);
  });

  it('describes the live tree with states, restarts and nested children', async () => {
    const h = await harness({
      intensity: 5,
      children: [child('a'), { id: 'inner', thread: 'main', start: { supervisor: { children: [child('x')] } } }],
    });
    h.launcher.child('a').crash();
    await h.settle();
    const tree = await h.supervisor.describe();
    assert.equal(tree.strategy, 'one_for_one');
    const [a, inner] = tree.children! as [TreeNodeInfo, TreeNodeInfo];
    assert.equal(a.restarts, 1);
    assert.equal(a.state, 'running');
    assert.equal(a.lastExit, 'error: boom');
    assert.equal(a.path, 'root/a');
    assert.equal(inner.type, 'supervisor');
    assert.equal(inner.children![0]!.path, 'root/inner/x');
  });
});
