// The plan engine with a fake phase runner (it records its calls, can fail named phases and can hold
// a phase until released) over a real SQLite store in a temp dir: the derived states after each
// action; requirements of a phase and of its ancestors; force (a leaf only: a group is refused);
// completed and in-progress phases; groups in order and `parallel: N` groups, nested ones each by its
// own setting (overlap seen by the blocking fake); resume (no completed phase runs twice) and
// complete; rollback of a leaf and of a group (reverse order), its refusals and `--force`; rolling
// back the whole operation; the operation lock between two engines (a live holder refused, a dead
// one taken over, and one whose pid now belongs to a process with another start time); stop(); and a plan that is always what the store says (a second
// engine on a second connection sees the same). Codes are asserted, and Gravity's own messages.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import { GravityError, isGravityError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { createOperation, PlanEngine } from '../../src/plan/engine.ts';
import type { ProgressEvent } from '../../src/plan/engine.ts';
import type { PhaseContext, PhaseRunner } from '../../src/plan/executors.ts';
import { descendants, leaves, resolvePlan } from '../../src/plan/phase-state.ts';
import type { Phase, PhaseSpec, PhaseState } from '../../src/plan/types.ts';
import { processStartTime } from '../../src/processes.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';

// ---- the plan ---------------------------------------------------------------------------------

function leaf(id: string, requires: string[] = []): PhaseSpec {
  return { id, description: `leaf ${id}`, requires, executor: { kind: 'hook', hook: 'noop' }, phases: [] };
}

function group(id: string, phases: PhaseSpec[], extra: Partial<PhaseSpec> = {}): PhaseSpec {
  return { id, description: `group ${id}`, requires: [], phases, ...extra };
}

const M1D = '/masters/node-1/drain';
const M1U = '/masters/node-1/upgrade';
const M2D = '/masters/node-2/drain';
const M2U = '/masters/node-2/upgrade';
const W3 = '/workers/node-3';
const W4 = '/workers/node-4';
const W5 = '/workers/node-5';

/**
 * /init; /masters (requires /init) with node-1 {drain, upgrade (requires drain)} and node-2 {drain,
 * upgrade}; /workers (requires /masters, parallel 2) with three leaves; /finish (requires /workers).
 */
const planSpec: PhaseSpec = group('/', [
  leaf('/init'),
  group(
    '/masters',
    [group('/masters/node-1', [leaf(M1D), leaf(M1U, [M1D])]), group('/masters/node-2', [leaf(M2D), leaf(M2U)])],
    { requires: ['/init'] },
  ),
  group('/workers', [leaf(W3), leaf(W4), leaf(W5)], { requires: ['/masters'], parallel: 2 }),
  leaf('/finish', ['/workers']),
]);

const allLeaves = leaves(planSpec).map((phase) => phase.id);

// ---- the fake runner --------------------------------------------------------------------------

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function interrupted(): GravityError {
  return new GravityError('E_PHASE_FAILED', 'interrupted');
}

/** Rejects when the signal aborts (at once if it has). */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(interrupted());
    else signal.addEventListener('abort', () => reject(interrupted()), { once: true });
  });
}

/** Calls are named `execute /init` or `rollback /init`. */
class FakeRunner implements PhaseRunner {
  readonly calls: string[] = [];
  /** Calls that fail, with the error they fail with. */
  readonly failures = new Map<string, string>();
  /** The signal each call got (the latest, for a call made twice). */
  readonly signals = new Map<string, AbortSignal>();
  /** Whether each call's signal was already aborted when it was made. */
  readonly abortedAtStart = new Map<string, boolean>();
  readonly running = new Set<string>();
  maxRunning = 0;
  private readonly gates = new Map<string, Deferred>();
  private readonly starts = new Map<string, Deferred>();

  /** The next call named `key` waits until `release(key)` (or until its signal aborts). */
  block(key: string): void {
    this.gates.set(key, deferred());
  }

  release(key: string): void {
    const gate = this.gates.get(key);
    assert.ok(gate !== undefined, `${key} is not blocked`);
    this.gates.delete(key);
    gate.resolve();
  }

  /** Resolves once a call named `key` has been made. */
  started(key: string): Promise<void> {
    return this.start(key).promise;
  }

  count(key: string): number {
    return this.calls.filter((call) => call === key).length;
  }

  execute(phase: PhaseSpec, ctx: PhaseContext): Promise<void> {
    return this.call(`execute ${phase.id}`, ctx);
  }

  rollback(phase: PhaseSpec, ctx: PhaseContext): Promise<void> {
    return this.call(`rollback ${phase.id}`, ctx);
  }

  private start(key: string): Deferred {
    let start = this.starts.get(key);
    if (start === undefined) {
      start = deferred();
      this.starts.set(key, start);
    }
    return start;
  }

  private async call(key: string, ctx: PhaseContext): Promise<void> {
    this.calls.push(key);
    this.signals.set(key, ctx.signal);
    this.abortedAtStart.set(key, ctx.signal.aborted);
    this.running.add(key);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    this.start(key).resolve();
    try {
      const gate = this.gates.get(key);
      if (gate !== undefined) await Promise.race([gate.promise, whenAborted(ctx.signal)]);
      if (ctx.signal.aborted) throw interrupted();
      const failure = this.failures.get(key);
      if (failure !== undefined) throw new GravityError('E_PHASE_FAILED', failure);
    } finally {
      this.running.delete(key);
    }
  }
}

// ---- helpers ----------------------------------------------------------------------------------

/** Rejects with `code`; returns the error for more checks. */
async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<GravityError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code}, but it succeeded`);
  if (!isGravityError(caught, code)) {
    assert.fail(`expected ${code}, got ${isGravityError(caught) ? caught.code : 'another error'}: ${caught instanceof Error ? caught.message : typeof caught}`);
  }
  return caught;
}

/** Every phase's state, the root's as `/`. */
function statesOf(plan: Phase): Record<string, PhaseState> {
  const states: Record<string, PhaseState> = { '/': plan.state };
  for (const phase of descendants(plan)) states[phase.id] = phase.state;
  return states;
}

/** The states named in `expected`, as the plan has them. */
function pick(states: Record<string, PhaseState>, expected: Record<string, PhaseState>): Record<string, PhaseState | undefined> {
  return Object.fromEntries(Object.keys(expected).map((id) => [id, states[id]]));
}

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

describe('plan/engine', () => {
  let dir: string;
  let store: SqliteStore;
  let others: SqliteStore[];
  let operationId: string;
  let time: number;
  let runner: FakeRunner;
  let events: ProgressEvent[];

  const clock: Clock = {
    now: () => (time += 1),
    monotonic: () => time,
    setTimeout: () => assert.fail('the engine sets no timers'),
    clearTimeout: () => undefined,
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-engine-'));
    store = openSqliteStore(dir);
    others = [];
    time = 1_700_000_000_000;
    runner = new FakeRunner();
    events = [];
    operationId = await createOperation(store.operations, { id: randomUUID(), type: 'custom', description: 'Test plan', plan: planSpec, created: time });
  });

  afterEach(async () => {
    await store.close();
    for (const other of others) await other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Another connection to the same store, as another process would open it. */
  function openOther(): SqliteStore {
    const other = openSqliteStore(dir);
    others.push(other);
    return other;
  }

  async function engine(options: { on?: SqliteStore; pid?: number; phaseRunner?: PhaseRunner; onProgress?: (event: ProgressEvent) => void } = {}): Promise<PlanEngine> {
    return await PlanEngine.open({
      store: (options.on ?? store).operations,
      runner: options.phaseRunner ?? runner,
      operationId,
      holder: { pid: options.pid ?? process.pid, hostname: hostname() },
      scope: new ActorScope('test/operation', new InspectionBus(), clock),
      clock,
      onProgress: options.onProgress ?? ((event) => events.push(event)),
    });
  }

  /** Stores leaf states as if earlier runs had left them. */
  async function seed(states: Record<string, PhaseState>): Promise<void> {
    for (const [phaseId, state] of Object.entries(states)) {
      await store.operations.appendChange({ operationId, phaseId, state, time: clock.now(), ...(state === 'failed' ? { error: 'seeded failure' } : {}) });
    }
  }

  async function states(): Promise<Record<string, PhaseState>> {
    return statesOf(await (await engine()).plan());
  }

  const completedUpTo = (...ids: string[]): Record<string, PhaseState> => Object.fromEntries(ids.map((id) => [id, 'completed' as const]));
  const mastersDone = completedUpTo('/init', M1D, M1U, M2D, M2U);
  const everything = completedUpTo(...allLeaves);

  describe('derived states, one action after another', () => {
    const steps: { name: string; act: (engine: PlanEngine) => Promise<unknown>; fail?: string; states: Record<string, PhaseState> }[] = [
      {
        name: 'execute /init',
        act: (e) => e.execute('/init', { force: false }),
        states: { '/init': 'completed', '/masters': 'unstarted', '/': 'in_progress' },
      },
      {
        name: 'execute /masters/node-1',
        act: (e) => e.execute('/masters/node-1', { force: false }),
        states: { [M1D]: 'completed', [M1U]: 'completed', '/masters/node-1': 'completed', '/masters/node-2': 'unstarted', '/masters': 'in_progress', '/': 'in_progress' },
      },
      {
        name: 'execute /masters/node-2/drain, which fails',
        act: (e) => e.execute(M2D, { force: false }),
        fail: M2D,
        states: { [M2D]: 'failed', [M2U]: 'unstarted', '/masters/node-2': 'failed', '/masters': 'failed', '/': 'failed' },
      },
      {
        name: 'roll back /masters/node-2/drain',
        act: (e) => e.rollback(M2D, { force: false, dryRun: false }),
        states: { [M2D]: 'rolled_back', '/masters/node-2': 'rolled_back', '/masters': 'in_progress', '/': 'in_progress' },
      },
      {
        name: 'roll back /masters/node-1',
        act: (e) => e.rollback('/masters/node-1', { force: false, dryRun: false }),
        states: { [M1D]: 'rolled_back', [M1U]: 'rolled_back', '/masters/node-1': 'rolled_back', '/masters': 'rolled_back', '/': 'in_progress' },
      },
      {
        name: 'roll back /init',
        act: (e) => e.rollback('/init', { force: false, dryRun: false }),
        states: { '/init': 'rolled_back', '/masters': 'rolled_back', '/workers': 'unstarted', '/': 'rolled_back' },
      },
      {
        name: 'execute /init again',
        act: (e) => e.execute('/init', { force: false }),
        states: { '/init': 'completed', '/masters': 'rolled_back', '/': 'in_progress' },
      },
    ];

    it('every phase starts unstarted', async () => {
      for (const [id, state] of Object.entries(await states())) assert.equal(state, 'unstarted', id);
    });

    it('each action leaves the states Gravity derives', async () => {
      const planEngine = await engine();
      for (const step of steps) {
        if (step.fail === undefined) {
          runner.failures.clear();
          await step.act(planEngine);
        } else {
          runner.failures.set(`execute ${step.fail}`, 'exit code 1');
          await rejection(step.act(planEngine), 'E_PHASE_FAILED');
        }
        assert.deepEqual(pick(await states(), step.states), step.states, step.name);
      }
    });
  });

  describe('execute', () => {
    const cases: {
      name: string;
      seed?: Record<string, PhaseState>;
      failing?: string[];
      phase: string;
      force?: boolean;
      error?: ErrorCode;
      /** Gravity's exact message, where it has one. */
      message?: string;
      details?: string[];
      calls: string[];
      states?: Record<string, PhaseState>;
    }[] = [
      { name: 'a leaf without requirements', phase: '/init', calls: ['execute /init'], states: { '/init': 'completed', '/': 'in_progress' } },
      {
        name: "a leaf whose ancestor's requirement is not completed is refused",
        phase: M1D,
        error: 'E_PLAN_REFUSED',
        message: 'required phase "/init" is not completed',
        calls: [],
        states: { [M1D]: 'unstarted' },
      },
      {
        name: "a leaf whose ancestor's requirement failed is refused",
        seed: { '/init': 'failed' },
        phase: M1D,
        error: 'E_PLAN_REFUSED',
        message: 'required phase "/init" is not completed',
        calls: [],
      },
      {
        name: 'a leaf whose own requirement is not completed is refused',
        seed: { '/init': 'completed' },
        phase: M1U,
        error: 'E_PLAN_REFUSED',
        message: `required phase "${M1D}" is not completed`,
        calls: [],
      },
      {
        name: 'a group whose requirement (a group) is not completed is refused',
        seed: { '/init': 'completed', [M1D]: 'completed', [M1U]: 'completed' },
        phase: '/workers',
        error: 'E_PLAN_REFUSED',
        message: 'required phase "/masters" is not completed',
        calls: [],
        states: { '/workers': 'unstarted' },
      },
      {
        name: 'a leaf inside a group whose requirement is not completed is refused',
        seed: mastersDone,
        phase: '/finish',
        error: 'E_PLAN_REFUSED',
        message: 'required phase "/workers" is not completed',
        calls: [],
      },
      {
        name: '--force skips the requirements',
        phase: M1U,
        force: true,
        calls: [`execute ${M1U}`],
        states: { [M1U]: 'completed', [M1D]: 'unstarted', '/masters/node-1': 'in_progress' },
      },
      { name: 'a completed leaf is a no-op', seed: { '/init': 'completed' }, phase: '/init', calls: [], states: { '/init': 'completed' } },
      { name: 'a completed leaf runs again with --force', seed: { '/init': 'completed' }, phase: '/init', force: true, calls: ['execute /init'] },
      { name: 'a failed leaf runs again', seed: { '/init': 'failed' }, phase: '/init', calls: ['execute /init'], states: { '/init': 'completed' } },
      { name: 'a rolled-back leaf runs again', seed: { '/init': 'rolled_back' }, phase: '/init', calls: ['execute /init'], states: { '/init': 'completed' } },
      {
        name: 'an in-progress leaf needs --force',
        seed: { '/init': 'in_progress' },
        phase: '/init',
        error: 'E_PLAN_REFUSED',
        message: 'phase "/init" is in progress, use --force flag to force execution',
        details: ['/init'],
        calls: [],
        states: { '/init': 'in_progress' },
      },
      { name: 'an in-progress leaf runs with --force', seed: { '/init': 'in_progress' }, phase: '/init', force: true, calls: ['execute /init'], states: { '/init': 'completed' } },
      {
        name: 'a group with a phase in progress is refused, naming that leaf (the one to force)',
        seed: { '/init': 'completed', [M2D]: 'in_progress' },
        phase: '/masters',
        error: 'E_PLAN_REFUSED',
        message: `phase "${M2D}" is in progress, use --force flag to force execution`,
        details: [M2D],
        calls: [],
      },
      {
        name: 'a group runs its leaves in order',
        seed: { '/init': 'completed' },
        phase: '/masters',
        calls: [M1D, M1U, M2D, M2U].map((id) => `execute ${id}`),
        states: { '/masters/node-1': 'completed', '/masters/node-2': 'completed', '/masters': 'completed', '/workers': 'unstarted', '/': 'in_progress' },
      },
      {
        name: 'a group skips its completed leaves',
        seed: { '/init': 'completed', [M1D]: 'completed', [M2D]: 'completed' },
        phase: '/masters',
        calls: [M1U, M2U].map((id) => `execute ${id}`),
        states: { '/masters': 'completed' },
      },
      { name: 'a completed group is a no-op', seed: mastersDone, phase: '/masters', calls: [] },
      {
        name: '--force on a completed group is refused: its phases do not run again',
        seed: mastersDone,
        phase: '/masters',
        force: true,
        error: 'E_PLAN_REFUSED',
        message: 'cannot use --force with group phase "/masters": --force runs a single leaf phase',
        calls: [],
      },
      {
        name: '--force on a group with a phase in progress is refused too',
        seed: { '/init': 'completed', [M2D]: 'in_progress' },
        phase: '/masters',
        force: true,
        error: 'E_PLAN_REFUSED',
        message: 'cannot use --force with group phase "/masters": --force runs a single leaf phase',
        calls: [],
      },
      { name: '--force on the whole plan is refused', phase: '/', force: true, error: 'E_PLAN_REFUSED', calls: [] },
      {
        name: 'a failing leaf stops its group; the failure and its error are stored',
        seed: { '/init': 'completed' },
        failing: [`execute ${M1U}`],
        phase: '/masters',
        error: 'E_PHASE_FAILED',
        calls: [`execute ${M1D}`, `execute ${M1U}`],
        states: { [M1D]: 'completed', [M1U]: 'failed', [M2D]: 'unstarted', '/masters/node-1': 'failed', '/masters': 'failed', '/': 'failed' },
      },
      {
        name: 'the whole plan, in order',
        phase: '/',
        calls: allLeaves.map((id) => `execute ${id}`),
        states: { '/': 'completed' },
      },
      { name: 'a phase that does not exist', phase: '/masters/node-9', error: 'E_PHASE_NOT_FOUND', calls: [] },
    ];

    for (const testCase of cases) {
      it(testCase.name, async () => {
        await seed(testCase.seed ?? {});
        for (const key of testCase.failing ?? []) runner.failures.set(key, 'exit code 1');
        const before = await states();
        const run = (await engine()).execute(testCase.phase, { force: testCase.force ?? false });
        if (testCase.error === undefined) {
          await run;
        } else {
          const error = await rejection(run, testCase.error);
          if (testCase.message !== undefined) assert.equal(error.message, testCase.message);
          if (testCase.details !== undefined) assert.deepEqual(error.details, testCase.details);
          if (testCase.error !== 'E_PHASE_FAILED') assert.deepEqual(await states(), before, 'a refusal changes nothing');
        }
        assert.deepEqual(runner.calls, testCase.calls);
        if (testCase.states !== undefined) assert.deepEqual(pick(await states(), testCase.states), testCase.states);
        assert.equal(await store.operations.lockHolder(), undefined, 'the lock is released');
      });
    }

    const forcedGroups: { seed: Record<string, PhaseState>; leaf: string }[] = [
      { seed: { '/init': 'completed', [M2D]: 'in_progress' }, leaf: M2D },
      { seed: { '/init': 'completed', [M1D]: 'completed', [M1U]: 'failed' }, leaf: M1U },
      { seed: mastersDone, leaf: M1D },
    ];
    for (const { seed: stored, leaf: named } of forcedGroups) {
      it(`--force on a group says to force its leaves one by one, naming ${named}`, async () => {
        await seed(stored);
        const error = await rejection((await engine()).execute('/masters', { force: true }), 'E_PLAN_REFUSED');
        assert.ok(error.hint?.startsWith('force its leaf phases one by one') === true, error.hint);
        assert.ok(error.hint.includes(`'gravity plan execute --phase ${named} --force'`), error.hint);
        assert.equal(await store.operations.lockHolder(), undefined, 'the lock was never taken');
      });
    }

    it('a no-op says why', async () => {
      await seed({ '/init': 'completed' });
      await (await engine()).execute('/init', { force: false });
      assert.deepEqual(events, [{ kind: 'skipped', phaseId: '/init', reason: 'already completed' }]);
    });

    it('the failed leaf keeps the executor\'s error', async () => {
      runner.failures.set('execute /init', 'exit code 7: no space left on device');
      await rejection((await engine()).execute('/init', { force: false }), 'E_PHASE_FAILED');
      const init = (await (await engine()).plan()).phases[0];
      assert.equal(init?.state, 'failed');
      assert.equal(init.error, 'exit code 7: no space left on device');
    });

    it('a leaf inside the group being run whose requirement is not met is refused when its turn comes', async () => {
      // /b itself requires nothing, but its first leaf requires /a: the check comes when that leaf's turn does.
      const spec = group('/', [leaf('/a'), group('/b', [leaf('/b/one', ['/a']), leaf('/b/two')])]);
      operationId = await createOperation(store.operations, { id: randomUUID(), type: 'custom', description: 'Requirements inside a group', plan: spec, created: time });
      const error = await rejection((await engine()).execute('/b', { force: false }), 'E_PLAN_REFUSED');
      assert.equal(error.message, 'required phase "/a" is not completed');
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(pick(await states(), { '/b/one': 'unstarted', '/b/two': 'unstarted' }), { '/b/one': 'unstarted', '/b/two': 'unstarted' });
      await rejection((await engine()).execute('/b', { force: true }), 'E_PLAN_REFUSED');
      await (await engine()).execute('/b/one', { force: true });
      await (await engine()).execute('/b', { force: false });
      assert.deepEqual(runner.calls, ['execute /b/one', 'execute /b/two']);
    });

    it('in_progress is stored before the effect starts and the end after it ends', async () => {
      runner.block('execute /init');
      const run = (await engine()).execute('/init', { force: false });
      await runner.started('execute /init');
      const other = await engine({ on: openOther() });
      assert.equal((await other.plan()).phases[0]?.state, 'in_progress');
      runner.release('execute /init');
      await run;
      assert.equal((await other.plan()).phases[0]?.state, 'completed');
    });

    it('progress: start and done for each leaf, failed with the error', async () => {
      await seed({ '/init': 'completed' });
      runner.failures.set(`execute ${M1U}`, 'exit code 2');
      await rejection((await engine()).execute('/masters/node-1', { force: false }), 'E_PHASE_FAILED');
      assert.deepEqual(
        events.map((event) => ('phaseId' in event ? `${event.kind} ${event.phaseId}` : event.kind)),
        [`start ${M1D}`, `done ${M1D}`, `start ${M1U}`, `failed ${M1U}`],
      );
      const failed = events.at(-1);
      assert.ok(failed?.kind === 'failed');
      assert.equal(failed.error, 'exit code 2');
    });

    it('an operation that has ended cannot change', async () => {
      await seed(everything);
      assert.equal(await (await engine()).complete(), 'completed');
      await rejection((await engine()).execute('/init', { force: true }), 'E_PLAN_REFUSED');
      await rejection((await engine()).rollback('/init', { force: true, dryRun: false }), 'E_PLAN_REFUSED');
      await rejection((await engine()).resume(), 'E_PLAN_REFUSED');
      await rejection((await engine()).rollbackAll({ dryRun: false }), 'E_PLAN_REFUSED');
      assert.deepEqual(runner.calls, []);
    });
  });

  describe('parallel groups', () => {
    it('`parallel: 2` runs two children at once, and no more', async () => {
      await seed(mastersDone);
      for (const id of [W3, W4, W5]) runner.block(`execute ${id}`);
      const run = (await engine()).execute('/workers', { force: false });
      await Promise.all([runner.started(`execute ${W3}`), runner.started(`execute ${W4}`)]);
      assert.deepEqual([...runner.running].sort(), [`execute ${W3}`, `execute ${W4}`]);
      assert.equal(runner.count(`execute ${W5}`), 0, 'the third waits for a free slot');
      assert.deepEqual(pick(await states(), { [W3]: 'in_progress', [W4]: 'in_progress', [W5]: 'unstarted' }), {
        [W3]: 'in_progress',
        [W4]: 'in_progress',
        [W5]: 'unstarted',
      });
      runner.release(`execute ${W3}`);
      runner.release(`execute ${W4}`);
      await runner.started(`execute ${W5}`);
      runner.release(`execute ${W5}`);
      await run;
      assert.equal(runner.maxRunning, 2);
      assert.equal((await states())['/workers'], 'completed');
    });

    it('a slot freed by a child that ended takes the next child while the other still runs', async () => {
      await seed(mastersDone);
      for (const id of [W3, W4, W5]) runner.block(`execute ${id}`);
      const run = (await engine()).execute('/workers', { force: false });
      await Promise.all([runner.started(`execute ${W3}`), runner.started(`execute ${W4}`)]);
      runner.release(`execute ${W4}`);
      await runner.started(`execute ${W5}`);
      assert.deepEqual([...runner.running].sort(), [`execute ${W3}`, `execute ${W5}`]);
      runner.release(`execute ${W3}`);
      runner.release(`execute ${W5}`);
      await run;
      assert.equal(runner.maxRunning, 2);
    });

    it('a failure in one slot lets the other finish, then stops the group', async () => {
      await seed(mastersDone);
      runner.block(`execute ${W4}`);
      runner.failures.set(`execute ${W3}`, 'exit code 1');
      const run = (await engine()).execute('/workers', { force: false });
      await runner.started(`execute ${W4}`);
      runner.release(`execute ${W4}`);
      await rejection(run, 'E_PHASE_FAILED');
      assert.deepEqual(pick(await states(), { [W3]: 'failed', [W4]: 'completed', [W5]: 'unstarted', '/workers': 'failed' }), {
        [W3]: 'failed',
        [W4]: 'completed',
        [W5]: 'unstarted',
        '/workers': 'failed',
      });
      assert.equal(runner.count(`execute ${W5}`), 0);
    });

    describe('nested groups keep their own setting', () => {
      const [A1, A2, A3] = ['/racks/a/one', '/racks/a/two', '/racks/a/three'] as const;
      const A = [A1, A2, A3];
      const B1 = '/racks/b/first';
      const P = ['/racks/b/pair/x', '/racks/b/pair/y'];
      /**
       * /racks runs its two racks at once; rack a runs two of its three leaves at a time; rack b runs
       * in order: its first leaf, then a pair that runs both at once.
       */
      const nested: PhaseSpec = group('/', [
        group(
          '/racks',
          [
            group('/racks/a', A.map((id) => leaf(id)), { parallel: 2 }),
            group('/racks/b', [leaf(B1), group('/racks/b/pair', P.map((id) => leaf(id)), { parallel: 2 })]),
          ],
          { parallel: 2 },
        ),
        leaf('/after', ['/racks']),
      ]);
      const running = (): string[] => [...runner.running].map((call) => call.replace('execute ', '')).sort();

      beforeEach(async () => {
        operationId = await createOperation(store.operations, { id: randomUUID(), type: 'custom', description: 'Nested parallel groups', plan: nested, created: time });
        for (const id of [...A, B1, ...P]) runner.block(`execute ${id}`);
      });

      /** Drives the run: each group's own limit is seen in what runs together, and what waits. */
      async function drive(): Promise<void> {
        await Promise.all([A1, A2, B1].map((id) => runner.started(`execute ${id}`)));
        assert.deepEqual(running(), [A1, A2, B1].sort(), "rack a's two slots and rack b's first leaf, at once");
        assert.equal(runner.count(`execute ${A3}`), 0, "rack a's third leaf waits for one of its two slots");
        runner.release(`execute ${B1}`);
        await Promise.all(P.map((id) => runner.started(`execute ${id}`)));
        assert.deepEqual(running(), [A1, A2, ...P].sort(), "rack b's pair runs both at once, beside rack a");
        assert.equal(runner.count(`execute ${A3}`), 0);
        runner.release(`execute ${A1}`);
        await runner.started(`execute ${A3}`);
        assert.deepEqual(running(), [A2, A3, ...P].sort(), "rack a's freed slot takes its third leaf");
        for (const id of [A2, A3, ...P]) runner.release(`execute ${id}`);
      }

      it('execute of the parallel group', async () => {
        const run = (await engine()).execute('/racks', { force: false });
        await drive();
        await run;
        assert.equal(runner.maxRunning, 4);
        assert.equal((await states())['/racks'], 'completed');
        assert.equal(runner.count('execute /after'), 0);
      });

      it('resume of the whole plan', async () => {
        const run = (await engine()).resume();
        await drive();
        assert.equal(await run, 'completed');
        assert.equal(runner.maxRunning, 4);
        assert.deepEqual(runner.calls.at(-1), 'execute /after', 'what follows the group waits for all of it');
      });

      it('a failure in a nested pool starts nothing more there, and fails the run once the rest has ended', async () => {
        runner.failures.set(`execute ${A1}`, 'exit code 1');
        const run = (await engine()).execute('/racks', { force: false });
        await Promise.all([A1, A2, B1].map((id) => runner.started(`execute ${id}`)));
        runner.release(`execute ${A1}`);
        runner.release(`execute ${A2}`);
        runner.release(`execute ${B1}`);
        await Promise.all(P.map((id) => runner.started(`execute ${id}`)));
        for (const id of P) runner.release(`execute ${id}`);
        await rejection(run, 'E_PHASE_FAILED');
        assert.equal(runner.count(`execute ${A3}`), 0);
        assert.deepEqual(pick(await states(), { [A1]: 'failed', [A2]: 'completed', [A3]: 'unstarted', '/racks/b': 'completed', '/racks': 'failed' }), {
          [A1]: 'failed',
          [A2]: 'completed',
          [A3]: 'unstarted',
          '/racks/b': 'completed',
          '/racks': 'failed',
        });
      });
    });

    it('completed children leave their slot to the others', async () => {
      await seed({ ...mastersDone, [W3]: 'completed' });
      for (const id of [W4, W5]) runner.block(`execute ${id}`);
      const run = (await engine()).execute('/workers', { force: false });
      await Promise.all([runner.started(`execute ${W4}`), runner.started(`execute ${W5}`)]);
      assert.equal(runner.running.size, 2);
      runner.release(`execute ${W4}`);
      runner.release(`execute ${W5}`);
      await run;
      assert.equal(runner.count(`execute ${W3}`), 0);
    });
  });

  describe('resume and complete', () => {
    it('re-runs in-progress and failed phases and everything unstarted, skips completed ones, then completes', async () => {
      await seed({ '/init': 'completed', [M1D]: 'completed', [M1U]: 'in_progress', [M2D]: 'failed' });
      assert.equal(await (await engine()).resume(), 'completed');
      const expected = [M1U, M2D, M2U, W3, W4, W5, '/finish'];
      assert.deepEqual([...runner.calls].sort(), expected.map((id) => `execute ${id}`).sort());
      for (const id of allLeaves) assert.equal(runner.count(`execute ${id}`), expected.includes(id) ? 1 : 0, id);
      assert.equal((await (await engine()).operation()).state, 'completed');
      assert.equal((await states())['/'], 'completed');
    });

    it('a failure stops the resume; the next resume picks up from there and no completed phase runs twice', async () => {
      await seed({ '/init': 'completed', [M1D]: 'in_progress' });
      runner.failures.set(`execute ${W4}`, 'exit code 1');
      await rejection((await engine()).resume(), 'E_PHASE_FAILED');
      assert.equal(runner.count('execute /finish'), 0);
      assert.equal((await (await engine()).operation()).state, 'in_progress', 'a failed resume can be resumed again');
      runner.failures.clear();
      assert.equal(await (await engine()).resume(), 'completed');
      for (const id of allLeaves) {
        const expected = id === '/init' ? 0 : id === W4 ? 2 : 1;
        assert.equal(runner.count(`execute ${id}`), expected, id);
      }
    });

    it('a resume of a plan that is all completed only completes the operation', async () => {
      await seed(everything);
      assert.equal(await (await engine()).resume(), 'completed');
      assert.deepEqual(runner.calls, []);
    });

    const completions: { name: string; seed: Record<string, PhaseState>; result: 'completed' | 'failed' }[] = [
      { name: 'every leaf completed: completed', seed: everything, result: 'completed' },
      { name: 'a leaf unstarted: failed', seed: { ...everything, '/finish': 'unstarted' }, result: 'failed' },
      { name: 'a leaf failed: failed', seed: { ...everything, [W4]: 'failed' }, result: 'failed' },
      { name: 'a leaf in progress: failed', seed: { ...everything, [M2U]: 'in_progress' }, result: 'failed' },
      { name: 'a leaf rolled back: failed', seed: { ...everything, '/init': 'rolled_back' }, result: 'failed' },
      { name: 'nothing run: failed', seed: {}, result: 'failed' },
    ];
    for (const { name, seed: stored, result } of completions) {
      it(`complete: ${name}`, async () => {
        await seed(stored);
        assert.equal(await (await engine()).complete(), result);
        const operation = await (await engine({ on: openOther() })).operation();
        assert.equal(operation.state, result);
        assert.equal(operation.rolledBack, undefined);
      });
    }
  });

  describe('rollback', () => {
    const cases: {
      name: string;
      seed: Record<string, PhaseState>;
      failing?: string[];
      phase: string;
      force?: boolean;
      dryRun?: boolean;
      error?: ErrorCode;
      message?: string;
      details?: string[];
      order?: string[];
      states?: Record<string, PhaseState>;
      warning?: boolean;
    }[] = [
      {
        name: 'a completed leaf',
        seed: completedUpTo('/init', M1D, M1U),
        phase: M1U,
        order: [M1U],
        states: { [M1U]: 'rolled_back', [M1D]: 'completed', '/masters/node-1': 'in_progress' },
      },
      { name: 'a failed leaf', seed: { '/init': 'failed' }, phase: '/init', order: ['/init'], states: { '/init': 'rolled_back', '/': 'rolled_back' } },
      { name: 'an in-progress leaf', seed: { '/init': 'in_progress' }, phase: '/init', order: ['/init'], states: { '/init': 'rolled_back' } },
      {
        name: 'a group: its executed leaves in reverse order',
        seed: { ...completedUpTo('/init', M1D, M1U), [M2D]: 'failed' },
        phase: '/masters',
        order: [M2D, M1U, M1D],
        states: { [M1D]: 'rolled_back', [M1U]: 'rolled_back', [M2D]: 'rolled_back', [M2U]: 'unstarted', '/masters': 'rolled_back', '/init': 'completed' },
      },
      {
        name: 'a group whose leaves are partly rolled back already: the rest',
        seed: { ...completedUpTo('/init', M1D, M1U, M2D), [M2D]: 'rolled_back' },
        phase: '/masters',
        order: [M1U, M1D],
        states: { '/masters': 'rolled_back' },
      },
      {
        name: 'a parallel group, in reverse order',
        seed: { ...mastersDone, [W3]: 'completed', [W4]: 'completed', [W5]: 'completed' },
        phase: '/workers',
        order: [W5, W4, W3],
        states: { '/workers': 'rolled_back' },
      },
      {
        name: 'an unstarted leaf is refused',
        seed: {},
        phase: '/init',
        error: 'E_PLAN_REFUSED',
        message: `phase "/init" hasn't been executed yet`,
      },
      {
        name: 'an unstarted group is refused',
        seed: { '/init': 'completed' },
        phase: '/masters',
        error: 'E_PLAN_REFUSED',
        message: `phase "/masters" hasn't been executed yet`,
      },
      { name: 'a rolled-back leaf is refused', seed: { '/init': 'rolled_back' }, phase: '/init', error: 'E_PLAN_REFUSED' },
      { name: 'a rolled-back leaf is refused even with --force', seed: { '/init': 'rolled_back' }, phase: '/init', force: true, error: 'E_PLAN_REFUSED' },
      {
        name: 'a rolled-back group is refused',
        seed: { '/init': 'completed', [M1D]: 'rolled_back', [M1U]: 'rolled_back' },
        phase: '/masters/node-1',
        error: 'E_PLAN_REFUSED',
      },
      {
        name: 'a phase whose dependents have started is refused, and they are listed',
        seed: { '/init': 'completed', [M1D]: 'completed' },
        phase: '/init',
        error: 'E_PLAN_REFUSED',
        details: ['/masters'],
      },
      {
        name: 'a leaf whose dependent leaf has started is refused',
        seed: completedUpTo('/init', M1D, M1U),
        phase: M1D,
        error: 'E_PLAN_REFUSED',
        details: [M1U],
      },
      {
        name: 'dependents that failed count as started',
        seed: { ...mastersDone, [W3]: 'failed' },
        phase: M2U,
        error: 'E_PLAN_REFUSED',
        details: ['/workers'],
      },
      {
        name: 'transitive dependents are listed too',
        seed: { ...mastersDone, ...completedUpTo(W3, W4, W5, '/finish') },
        phase: '/init',
        error: 'E_PLAN_REFUSED',
        details: ['/masters', '/workers', '/finish'],
      },
      {
        name: '--force overrides started dependents, with a warning',
        seed: { '/init': 'completed', [M1D]: 'completed' },
        phase: '/init',
        force: true,
        order: ['/init'],
        warning: true,
        states: { '/init': 'rolled_back', [M1D]: 'completed' },
      },
      {
        name: 'rolled-back dependents do not count',
        seed: { '/init': 'completed', [M1D]: 'rolled_back' },
        phase: '/init',
        order: ['/init'],
        states: { '/init': 'rolled_back' },
      },
      {
        name: 'a dry run changes nothing',
        seed: { ...completedUpTo('/init', M1D, M1U), [M2D]: 'failed' },
        phase: '/masters',
        dryRun: true,
        order: [M2D, M1U, M1D],
        states: { [M1D]: 'completed', [M1U]: 'completed', [M2D]: 'failed' },
      },
      {
        name: 'a failing rollback stops there and reads failed',
        seed: completedUpTo('/init', M1D, M1U),
        failing: [`rollback ${M1U}`],
        phase: '/masters/node-1',
        error: 'E_PHASE_FAILED',
        states: { [M1U]: 'failed', [M1D]: 'completed', '/masters/node-1': 'failed' },
      },
      { name: 'a phase that does not exist', seed: {}, phase: '/nope', error: 'E_PHASE_NOT_FOUND' },
    ];

    for (const testCase of cases) {
      it(testCase.name, async () => {
        await seed(testCase.seed);
        for (const key of testCase.failing ?? []) runner.failures.set(key, 'exit code 1');
        const before = await states();
        const dryRun = testCase.dryRun ?? false;
        const run = (await engine()).rollback(testCase.phase, { force: testCase.force ?? false, dryRun });
        if (testCase.error === undefined) {
          const order = await run;
          assert.deepEqual(order, testCase.order);
          assert.deepEqual(
            runner.calls,
            dryRun ? [] : (testCase.order ?? []).map((id) => `rollback ${id}`),
          );
        } else {
          const error = await rejection(run, testCase.error);
          if (testCase.message !== undefined) assert.equal(error.message, testCase.message);
          if (testCase.details !== undefined) assert.deepEqual(error.details, testCase.details);
          if (testCase.error !== 'E_PHASE_FAILED') {
            assert.deepEqual(runner.calls, []);
            assert.deepEqual(await states(), before, 'a refusal changes nothing');
          }
        }
        if (testCase.states !== undefined) assert.deepEqual(pick(await states(), testCase.states), testCase.states);
        const warnings = events.filter((event) => event.kind === 'warning');
        assert.equal(warnings.length, testCase.warning === true ? 1 : 0);
        assert.equal(await store.operations.lockHolder(), undefined, 'the lock is released');
      });
    }

    it('the --force warning names the started dependents', async () => {
      await seed({ ...completedUpTo('/init', M1D), [W3]: 'in_progress' });
      await (await engine()).rollback('/init', { force: true, dryRun: false });
      const warning = events.find((event) => event.kind === 'warning');
      assert.ok(warning?.kind === 'warning');
      assert.ok(warning.message.includes('/masters') && warning.message.includes('/workers'));
    });
  });

  describe('rollbackAll', () => {
    const executed = { ...completedUpTo('/init', M1D, M1U), [M2D]: 'failed' as const, [W3]: 'in_progress' as const };

    it('rolls back every executed leaf in reverse order; the operation ends failed, rolled back', async () => {
      await seed(executed);
      const order = await (await engine()).rollbackAll({ dryRun: false });
      assert.deepEqual(order, [W3, M2D, M1U, M1D, '/init']);
      assert.deepEqual(runner.calls, order.map((id) => `rollback ${id}`));
      const operation = await (await engine({ on: openOther() })).operation();
      assert.equal(operation.state, 'failed');
      assert.equal(operation.rolledBack, true);
      for (const phase of leaves(operation.plan)) assert.ok(phase.state === 'rolled_back' || phase.state === 'unstarted', phase.id);
      assert.equal(operation.plan.state, 'rolled_back');
    });

    it('skips leaves already rolled back', async () => {
      await seed({ ...executed, [M1U]: 'rolled_back' });
      assert.deepEqual(await (await engine()).rollbackAll({ dryRun: false }), [W3, M2D, M1D, '/init']);
      assert.equal(runner.count(`rollback ${M1U}`), 0);
    });

    it('a dry run lists the order and changes nothing', async () => {
      await seed(executed);
      const before = await states();
      assert.deepEqual(await (await engine()).rollbackAll({ dryRun: true }), [W3, M2D, M1U, M1D, '/init']);
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(await states(), before);
      assert.equal((await (await engine()).operation()).state, 'in_progress');
    });

    it('stops at the first failure; the operation stays in progress', async () => {
      await seed(executed);
      runner.failures.set(`rollback ${M1U}`, 'exit code 1');
      await rejection((await engine()).rollbackAll({ dryRun: false }), 'E_PHASE_FAILED');
      assert.deepEqual(runner.calls, [W3, M2D, M1U].map((id) => `rollback ${id}`));
      assert.deepEqual(pick(await states(), { [M1U]: 'failed', [M1D]: 'completed', '/init': 'completed' }), {
        [M1U]: 'failed',
        [M1D]: 'completed',
        '/init': 'completed',
      });
      assert.equal((await (await engine()).operation()).state, 'in_progress');
    });
  });

  describe('the operation lock', () => {
    it('a second engine (another live process) is refused while the first runs, then gets it', async () => {
      runner.block('execute /init');
      const first = (await engine()).execute('/init', { force: false });
      await runner.started('execute /init');
      assert.equal((await store.operations.lockHolder())?.pid, process.pid);

      const otherRunner = new FakeRunner();
      const second = await engine({ on: openOther(), pid: process.ppid, phaseRunner: otherRunner });
      const error = await rejection(second.execute('/init', { force: true }), 'E_OPERATION_LOCKED');
      assert.ok(error.message.includes(operationId), "the refusal names the holder's operation");
      await rejection(second.resume(), 'E_OPERATION_LOCKED');
      await rejection(second.rollbackAll({ dryRun: false }), 'E_OPERATION_LOCKED');
      assert.deepEqual(otherRunner.calls, []);
      assert.equal((await states())['/init'], 'in_progress', "the refused engine wrote nothing");

      runner.release('execute /init');
      await first;
      assert.equal(await store.operations.lockHolder(), undefined);
      await second.execute('/masters/node-1', { force: false });
      assert.deepEqual(otherRunner.calls, [M1D, M1U].map((id) => `execute ${id}`));
      assert.equal(await store.operations.lockHolder(), undefined);
    });

    it('a lock held by a live process refuses before anything is recorded', async () => {
      assert.deepEqual(await store.operations.acquireLock({ operationId: 'another-operation', pid: process.ppid, hostname: hostname(), since: time }), { acquired: true });
      const error = await rejection((await engine()).execute('/init', { force: false }), 'E_OPERATION_LOCKED');
      assert.ok(error.message.includes('another-operation'));
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(await store.operations.changes(operationId), []);
      assert.equal((await store.operations.lockHolder())?.pid, process.ppid, 'the holder keeps its lock');
    });

    it('a lock left by a dead process is taken over', async () => {
      const dead = deadPid();
      assert.deepEqual(await store.operations.acquireLock({ operationId, pid: dead, hostname: hostname(), since: time }), { acquired: true });
      runner.block('execute /init');
      const run = (await engine()).execute('/init', { force: false });
      await runner.started('execute /init');
      assert.equal((await store.operations.lockHolder())?.pid, process.pid);
      runner.release('execute /init');
      await run;
      assert.equal(await store.operations.lockHolder(), undefined);
      assert.equal((await states())['/init'], 'completed');
    });

    it('a lock whose pid now belongs to a process started at another time (the holder died, its pid was reused) is taken over', async function () {
      if (process.platform !== 'linux') this.skip(); // the start time comes from /proc
      const started = processStartTime(process.ppid);
      assert.ok(started !== undefined, 'the parent process has a start time in /proc');
      const lock = { operationId: 'another-operation', pid: process.ppid, hostname: hostname(), since: time, startTime: started + 1 };
      assert.deepEqual(await store.operations.acquireLock(lock), { acquired: true });
      await (await engine()).execute('/init', { force: false });
      assert.deepEqual(runner.calls, ['execute /init']);
      assert.equal(await store.operations.lockHolder(), undefined);
    });

    it("a lock with its holder's own pid and start time is refused", async function () {
      if (process.platform !== 'linux') this.skip(); // the start time comes from /proc
      const started = processStartTime(process.ppid);
      assert.ok(started !== undefined);
      const lock = { operationId: 'another-operation', pid: process.ppid, hostname: hostname(), since: time, startTime: started };
      assert.deepEqual(await store.operations.acquireLock(lock), { acquired: true });
      const error = await rejection((await engine()).execute('/init', { force: false }), 'E_OPERATION_LOCKED');
      assert.ok(error.message.includes(`pid ${process.ppid}`));
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(await store.operations.lockHolder(), lock, 'the holder keeps its lock');
    });

    it('is released after a failure', async () => {
      runner.failures.set('execute /init', 'exit code 1');
      await rejection((await engine()).execute('/init', { force: false }), 'E_PHASE_FAILED');
      assert.equal(await store.operations.lockHolder(), undefined);
    });

    it('complete is refused while another process runs the operation, which is not marked ended under it', async () => {
      runner.block('execute /init');
      const first = (await engine()).execute('/init', { force: false });
      await runner.started('execute /init');
      const second = await engine({ on: openOther(), pid: process.ppid, phaseRunner: new FakeRunner() });
      await assert.rejects(async () => await second.complete(), (error) => isGravityError(error, 'E_OPERATION_LOCKED'));
      assert.equal((await (await engine()).operation()).state, 'in_progress');
      assert.equal((await store.operations.lockHolder())?.pid, process.pid, 'the runner keeps its lock');
      runner.release('execute /init');
      await first;
      assert.equal(await second.complete(), 'failed');
      assert.equal(await store.operations.lockHolder(), undefined, 'complete releases the lock');
    });

    it('complete is refused once the operation has ended: a rolled-back operation stays rolled back', async () => {
      await seed({ '/init': 'completed' });
      await (await engine()).rollbackAll({ dryRun: false });
      await assert.rejects(async () => await (await engine()).complete(), (error) => isGravityError(error, 'E_PLAN_REFUSED'));
      const operation = await (await engine()).operation();
      assert.equal(operation.state, 'failed');
      assert.equal(operation.rolledBack, true);
    });
  });

  describe('stop', () => {
    it('aborts the running phase, which reads failed; nothing after it runs', async () => {
      await seed({ '/init': 'completed' });
      runner.block(`execute ${M1D}`);
      const planEngine = await engine();
      const run = planEngine.execute('/masters', { force: false });
      await runner.started(`execute ${M1D}`);
      const signal = runner.signals.get(`execute ${M1D}`);
      assert.equal(signal?.aborted, false);
      planEngine.stop();
      assert.equal(signal.aborted, true, 'the runner sees its signal abort');
      await rejection(run, 'E_PHASE_FAILED');
      // Read as soon as the run has returned: by then the phase's end is on record.
      assert.equal((await states())[M1D], 'failed');
      assert.equal(await store.operations.lockHolder(), undefined, 'the lock is released once the phase has ended');
      assert.deepEqual(runner.calls, [`execute ${M1D}`]);
      assert.equal((await states())['/masters'], 'failed');
    });

    it('a phase whose effect starts after stop() gets an aborted signal', async () => {
      const planEngine: PlanEngine = await engine({
        onProgress: (event) => {
          if (event.kind === 'start') planEngine.stop();
        },
      });
      runner.block('execute /init');
      await rejection(planEngine.execute('/init', { force: false }), 'E_PHASE_FAILED');
      assert.equal(runner.abortedAtStart.get('execute /init'), true);
      assert.equal((await states())['/init'], 'failed');
      assert.equal(await store.operations.lockHolder(), undefined);
    });
  });

  describe('the plan shown is the store', () => {
    it('a second engine on another connection sees the same operation', async () => {
      const planEngine = await engine();
      await planEngine.execute('/init', { force: false });
      runner.failures.set(`execute ${M1U}`, 'exit code 1');
      await rejection(planEngine.execute('/masters/node-1', { force: false }), 'E_PHASE_FAILED');
      const other = await engine({ on: openOther() });
      assert.deepEqual(await other.operation(), await planEngine.operation());
      assert.deepEqual(await other.plan(), resolvePlan(planSpec, await store.operations.changes(operationId)));
      assert.deepEqual(pick(statesOf(await other.plan()), { [M1U]: 'failed', '/masters': 'failed' }), { [M1U]: 'failed', '/masters': 'failed' });
      assert.deepEqual(await other.leafOrder(), allLeaves);
    });

    it('changes made through one engine show in another made before them', async () => {
      const reader = await engine({ on: openOther() });
      assert.equal((await reader.plan()).state, 'unstarted');
      await (await engine()).execute('/init', { force: false });
      assert.equal((await reader.plan()).phases[0]?.state, 'completed');
      await (await engine()).complete();
      assert.equal((await reader.operation()).state, 'failed');
    });

    it('an unknown operation is refused', async () => {
      operationId = randomUUID();
      await assert.rejects(async () => await engine(), (error: unknown) => isGravityError(error, 'E_OPERATION_NOT_FOUND'));
    });
  });
});
