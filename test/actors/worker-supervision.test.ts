// Worker-thread failures under a real Supervisor: a worker-hosted child that exits its thread, throws
// in an action, throws outside any actor, spins forever, or fails to start on a restart. For each:
// the failure is detected and reported with its code, calls in flight are rejected instead of
// hanging, the supervisor restarts the child on a fresh thread, and a sibling actor on the main thread
// keeps processing events all along. Also: a worker-hosted supervisor subtree that gives up is
// restarted as a whole, and its records reach the main bus under their paths.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorkerChild, liveWorkerThreads } from '../../src/actors/worker-child.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';
import { createLauncher } from '../../src/supervisor/launcher.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { ChildSpecInput, SupervisorSpecInput } from '../../src/supervisor/spec.ts';
import type { ExitReason, RunningChild, TreeNodeInfo } from '../../src/supervisor/child.ts';
import { counterMachine } from '../fixtures/worker-counter.ts';
import { fixtureErrorCode } from '../fixtures/worker-throw.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

const fixture = (name: string): string => new URL(`../fixtures/${name}.ts`, import.meta.url).href;

const tickIntervalMs = 10;
/** The longest the main-thread sibling may go without processing an event. */
const maxTickGapMs = 300;

/** A tree `agent` with a main-thread ticker and one worker-hosted child, plus what the test observes. */
class Tree {
  readonly bus = new InspectionBus();
  readonly records: InspectionRecord[] = [];
  /** Every exit a worker-hosted child reported to the supervisor, in order. */
  readonly exits: ExitReason[] = [];
  /** Every worker-hosted incarnation that started, in order. */
  readonly handles: RunningChild[] = [];
  readonly startErrors: unknown[] = [];
  /** When the ticker processed each TICK (epoch ms). */
  readonly ticks: number[] = [];
  readonly supervisor: Supervisor;
  private interval: NodeJS.Timeout | undefined;

  constructor(worker: ChildSpecInput, flags: Omit<SupervisorSpecInput, 'children'> = {}) {
    this.bus.subscribe((record) => {
      this.records.push(record);
      if (record.kind === 'event' && record.path === 'agent/ticker' && record.event.type === 'TICK') this.ticks.push(Date.now());
    });
    const launcher = createLauncher({
      startOnWorker: async (spec, context) => {
        try {
          const handle = await startWorkerChild(spec, {
            ...context,
            onExit: (reason) => {
              this.exits.push(reason);
              context.onExit(reason);
            },
          });
          this.handles.push(handle);
          return handle;
        } catch (error) {
          this.startErrors.push(error);
          throw error;
        }
      },
    });
    const spec = compileSupervisorSpec({
      strategy: 'one_for_one',
      intensity: 20,
      period: 10,
      backoff: { baseMs: 50, capMs: 200, jitter: 0 },
      ...flags,
      children: [{ id: 'ticker', start: { logic: counterMachine } }, worker],
    });
    this.supervisor = new Supervisor({ path: 'agent', spec, bus: this.bus, clock: systemClock, launcher });
  }

  async start(): Promise<void> {
    await this.supervisor.start();
    this.interval = setInterval(() => this.supervisor.sendTo('ticker', { type: 'TICK' }), tickIntervalMs);
  }

  async stop(): Promise<void> {
    if (this.interval !== undefined) clearInterval(this.interval);
    await this.supervisor.stop('infinity');
  }

  latest(): RunningChild {
    const handle = this.handles.at(-1);
    assert.ok(handle, 'a worker-hosted child has started');
    return handle;
  }

  async child(id: string): Promise<TreeNodeInfo> {
    const { children } = await this.supervisor.describe();
    const child = children?.find((node) => node.id === id);
    assert.ok(child, `child ${id} in the tree`);
    return child;
  }

  supervisorRecords(action: string, child: string, path = 'agent'): InspectionRecord[] {
    return this.records.filter(
      (record) => record.kind === 'supervisor' && record.path === path && record.action === action && record.child === child,
    );
  }

  /** The sibling on the main thread processed events all through [from, to], with no long gap. */
  assertTickerKeptGoing(from: number, to: number): void {
    const during = this.ticks.filter((time) => time >= from && time <= to);
    const expected = (to - from) / tickIntervalMs;
    assert.ok(during.length >= expected / 4, `ticker processed ${during.length} events in ${to - from} ms`);
    const marks = [from, ...during, to];
    const gaps = marks.slice(1).map((time, index) => time - (marks[index] ?? time));
    assert.ok(Math.max(...gaps) <= maxTickGapMs, `ticker stalled for ${Math.max(...gaps)} ms`);
  }
}

/**
 * Calls describe() back to back until one rejects, and returns that error: a call in flight when the
 * thread dies must reject, not hang (each call is awaited, so a hang fails the test by timeout).
 */
async function firstRejectedCall(child: RunningChild, timeoutMs = 10_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await child.describe();
    } catch (error) {
      return error;
    }
  }
  assert.fail('calls kept succeeding');
}

function errorCode(reason: ExitReason | undefined): string | undefined {
  return reason?.kind === 'error' ? reason.error.code : undefined;
}

describe('worker-hosted children under a supervisor', function () {
  this.timeout(30_000);
  let tree: Tree | undefined;

  afterEach(async () => {
    await tree?.stop();
    tree = undefined;
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'every worker thread to exit');
  });

  /** Crash the worker child with `trigger`, then check detection, rejection, restart and the sibling. */
  async function crashAndRecover(trigger: { type: string }, expectedExitCode: string): Promise<unknown> {
    assert.ok(tree);
    await tree.start();
    const first = tree.latest();
    const began = Date.now();
    tree.supervisor.sendTo('crashy', trigger);
    const rejected = await firstRejectedCall(first);
    assert.ok(isGravityError(rejected, 'E_WORKER_EXITED'), `got ${String(rejected)}`);

    await waitFor(() => tree?.exits.length === 1, 10_000, 'the exit report');
    assert.equal(errorCode(tree.exits[0]), expectedExitCode);
    await waitFor(() => tree?.handles.length === 2, 10_000, 'a restart on a fresh thread');
    await tree.supervisor.idle();
    const restarted = await tree.child('crashy');
    assert.equal(restarted.state, 'running');
    assert.equal(restarted.restarts, 1);
    assert.equal(restarted.actorState, 'running');
    assert.equal(tree.supervisorRecords('restart', 'crashy').length, 1);
    assert.equal(liveWorkerThreads(), 1, 'the crashed thread is gone, the new one runs');
    tree.assertTickerKeptGoing(began, Date.now());
    assert.equal((await tree.child('ticker')).restarts, 0);
    return rejected;
  }

  it('process.exit(3) in the worker: detected, calls rejected, restarted; the sibling keeps going', async () => {
    tree = new Tree({ id: 'crashy', thread: 'worker', start: { module: fixture('worker-exit'), export: 'exitsOnEvent' } });
    await crashAndRecover({ type: 'EXIT' }, 'E_WORKER_EXITED');
  });

  it('an action throws after start: the actor error (with its code) is reported, the subtree restarted', async () => {
    tree = new Tree({ id: 'crashy', thread: 'worker', start: { module: fixture('worker-throw'), export: 'throwsOnEvent' } });
    await crashAndRecover({ type: 'THROW' }, fixtureErrorCode);
  });

  it('an uncaught throw in the worker: the thread crash is detected and the child restarted', async () => {
    tree = new Tree({ id: 'crashy', thread: 'worker', start: { module: fixture('worker-throw'), export: 'throwsOnEvent' } });
    await crashAndRecover({ type: 'THROW_UNCAUGHT' }, 'E_WORKER_EXITED');
  });

  it('a while(true) in the worker: the heartbeat kills it, pending calls reject, the child restarts', async () => {
    tree = new Tree(
      { id: 'crashy', thread: 'worker', start: { module: fixture('worker-hang'), export: 'hangsOnEvent' } },
      { heartbeat: { intervalMs: 100, timeoutMs: 500 } },
    );
    const rejected = await crashAndRecover({ type: 'HANG' }, 'E_WORKER_UNRESPONSIVE');
    assert.ok(isGravityError(rejected) && isGravityError(rejected.cause, 'E_WORKER_UNRESPONSIVE'), 'the cause says why');
  });

  it('a restart that throws at start is retried with backoff until it starts; the sibling keeps going', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gravity-worker-'));
    const marker = join(dir, 'fail-start');
    try {
      tree = new Tree({
        id: 'crashy',
        thread: 'worker',
        start: { module: fixture('worker-throw-at-start'), export: 'throwsAtStartWhileMarked', input: { marker } },
      });
      await tree.start();
      const began = Date.now();
      writeFileSync(marker, '');
      tree.supervisor.sendTo('crashy', { type: 'CRASH' });
      const rejected = await firstRejectedCall(tree.latest());
      assert.ok(isGravityError(rejected, 'E_WORKER_EXITED'));
      await waitFor(() => (tree?.startErrors.length ?? 0) >= 2, 10_000, 'restarts that fail to start');
      for (const error of tree.startErrors) {
        assert.ok(error instanceof Error);
        assert.match(error.stack ?? '', /worker-throw-at-start\.ts/, 'the worker-side error, rebuilt');
      }
      assert.ok(liveWorkerThreads() <= 1, 'threads of failed starts are ended');
      rmSync(marker);
      await waitFor(async () => (await tree?.child('crashy'))?.state === 'running', 10_000, 'a successful restart');
      assert.equal(tree.handles.length, 2);
      assert.ok(tree.supervisorRecords('restart', 'crashy').length >= 3);
      assert.deepEqual(await tree.latest().describe(), { actorState: 'running' });
      tree.assertTickerKeptGoing(began, Date.now());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker-hosted supervisor that gives up is reported as such and restarted as a whole', async () => {
    tree = new Tree({
      id: 'probes',
      type: 'supervisor',
      thread: 'worker',
      start: {
        supervisor: {
          intensity: 0,
          children: [
            { id: 'probe:x', start: { module: fixture('worker-counter'), export: 'counterMachine' } },
            { id: 'probe:boom', start: { module: fixture('worker-throw'), export: 'throwsOnEvent' } },
          ],
        },
      },
    });
    await tree.start();
    const began = Date.now();
    assert.ok(tree.records.some((record) => record.kind === 'actor.created' && record.path === 'agent/probes/probe:x'));

    tree.supervisor.sendTo('probes', { type: 'THROW' }); // broadcast inside; only probe:boom throws
    await waitFor(() => tree?.exits.length === 1, 10_000, 'the subtree to escalate');
    assert.equal(errorCode(tree.exits[0]), 'E_SUPERVISOR_GAVE_UP');
    // The inner supervisor's own decisions crossed too, under its path.
    assert.equal(tree.supervisorRecords('give_up', 'probe:boom', 'agent/probes').length, 1);

    await waitFor(() => tree?.handles.length === 2, 10_000, 'the subtree restarted on a fresh thread');
    await tree.supervisor.idle();
    const probes = await tree.child('probes');
    assert.equal(probes.state, 'running');
    assert.equal(probes.thread, 'worker');
    assert.deepEqual(
      probes.children?.map(({ path, state }) => ({ path, state })),
      [
        { path: 'agent/probes/probe:x', state: 'running' },
        { path: 'agent/probes/probe:boom', state: 'running' },
      ],
    );
    tree.assertTickerKeptGoing(began, Date.now());
  });

  it('inspection records of a worker-hosted actor reach the main bus under its path', async () => {
    tree = new Tree({
      id: 'probes',
      type: 'supervisor',
      thread: 'worker',
      start: { supervisor: { children: [{ id: 'probe:x', start: { module: fixture('worker-counter'), export: 'counterMachine' } }] } },
    });
    await tree.start();
    tree.supervisor.sendTo('probes', { type: 'TICK' });
    const record = await waitForValue(
      () => tree?.records.find((r) => r.kind === 'event' && r.path === 'agent/probes/probe:x' && r.event.type === 'TICK'),
      5000,
      'the TICK record of probe:x',
    );
    assert.equal(record.kind, 'event');
    const probes = await tree.child('probes');
    assert.equal(probes.children?.[0]?.actorState, 'counting');
  });
});
