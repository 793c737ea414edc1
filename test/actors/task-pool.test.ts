import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { archiveErrorCode } from '../../src/actors/archive-tasks.ts';
import { compileTaskPoolOptions, TaskPool, type TaskPoolOptions } from '../../src/actors/task-pool.ts';
import { systemFactsLimits } from '../../src/actors/tasks.ts';
import type { Clock, TimerHandle } from '../../src/clock.ts';
import { isGravityError, type ErrorCode, type GravityError } from '../../src/errors.ts';
import { gateCell, type FixtureTasks } from '../fixtures/tasks-fixture.ts';

const fixtureModule = new URL('../fixtures/tasks-fixture.boot.mjs', import.meta.url);
/** Generous: covers a cold worker starting under tsx (about 300 ms). Only overrun tests use small ones. */
const ample = { deadlineMs: 10_000 };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return assert.fail('expected the promise to reject');
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<GravityError> {
  const error = await rejection(promise);
  assert.ok(isGravityError(error, code), `expected ${code}, got ${String(error)}`);
  return error;
}

type WaitAsync = (
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
// ES2024, present in Node 20; the project's lib setting (ES2023) does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** A fixture gate: the `gate` task blocks its thread until `release()`. */
function newGate() {
  const cells = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(cells);
  return {
    input: { cells },
    /** Resolves once the gate task is running on a thread (bounded so a broken test fails, not hangs). */
    async started(): Promise<void> {
      const waited = waitAsync(view, gateCell.started, 0, 10_000);
      const outcome = waited.async ? await waited.value : waited.value;
      assert.notEqual(outcome, 'timed-out', 'the gate task never started');
    },
    release(): void {
      Atomics.store(view, gateCell.released, 1);
      Atomics.notify(view, gateCell.released);
    },
  };
}

/** A clock whose timers fire only when the test says so. */
function manualClock() {
  const timers = new Map<TimerHandle, () => void>();
  const clock: Clock = {
    now: () => 0,
    monotonic: () => 0,
    setTimeout: (callback) => {
      const handle: TimerHandle = {};
      timers.set(handle, callback);
      return handle;
    },
    clearTimeout: (handle) => {
      timers.delete(handle);
    },
  };
  return {
    clock,
    get pending(): number {
      return timers.size;
    },
    fireAll(): void {
      const due = [...timers.values()];
      timers.clear();
      for (const callback of due) callback();
    },
  };
}

describe('actors/task-pool', () => {
  const pools: TaskPool<FixtureTasks>[] = [];
  const fixturePool = (options: TaskPoolOptions = {}): TaskPool<FixtureTasks> => {
    const pool = new TaskPool<FixtureTasks>({ filename: fixtureModule, ...options });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
  });

  describe('options', () => {
    it('defaults to a size bounded by the machine', () => {
      const options = compileTaskPoolOptions();
      assert.ok(options.maxThreads >= 1 && options.maxThreads <= Math.max(1, availableParallelism()));
      assert.ok(options.minThreads <= options.maxThreads);
      assert.ok(options.filename.startsWith('file:'));
    });

    it('reports every invalid size at once', () => {
      assert.throws(
        () => compileTaskPoolOptions({ minThreads: -1, maxThreads: 0.5 }),
        (error: unknown) => isGravityError(error, 'E_INTERNAL') && error.details.length === 2,
      );
      assert.throws(
        () => compileTaskPoolOptions({ minThreads: 3, maxThreads: 2 }),
        (error: unknown) => isGravityError(error, 'E_INTERNAL') && error.details.length === 1,
      );
    });

    it('rejects a run without a positive deadline', async () => {
      const pool = fixturePool({ minThreads: 0 });
      await rejectsWithCode(pool.run('echo', { value: 1 }, { deadlineMs: 0 }), 'E_INTERNAL');
    });
  });

  describe('built-in tasks', () => {
    let pool: TaskPool;
    let dir: string;
    before(async () => {
      pool = new TaskPool({ maxThreads: 1 });
      dir = await mkdtemp(path.join(tmpdir(), 'gravity-task-pool-'));
    });
    after(async () => {
      await pool.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('hash-file matches node:crypto on a file of several chunks', async () => {
      const contents = randomBytes(1024 * 1024 + 123);
      const file = path.join(dir, 'blob.bin');
      await writeFile(file, contents);
      const result = await pool.run('hash-file', { path: file }, ample);
      assert.equal(result.sha256, createHash('sha256').update(contents).digest('hex'));
      assert.equal(result.bytes, contents.length);
    });

    it('hash-file of a missing file fails with the system error code kept', async () => {
      const error = await rejectsWithCode(
        pool.run('hash-file', { path: path.join(dir, 'missing') }, ample),
        'E_TASK_FAILED',
      );
      assert.equal((error.cause as { code?: unknown }).code, 'ENOENT');
    });

    it('system-facts reads CPU, memory, OS and disks from systeminformation', async () => {
      const facts = await pool.run('system-facts', undefined, ample);
      assert.equal(facts.cpu.count, cpus().length);
      assert.ok(facts.cpu.model !== '');
      const memTotalKiB = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
      assert.equal(facts.memory.total, memTotalKiB * 1024);
      assert.ok(facts.memory.available > 0 && facts.memory.available <= facts.memory.total);
      assert.ok(facts.os.kernel !== '' && facts.os.distro !== '');
      assert.ok(facts.disks.length >= 1 && facts.disks.length <= systemFactsLimits.disks);
      for (const disk of facts.disks) assert.ok(disk.size > 0 && disk.used >= 0 && disk.available >= 0, JSON.stringify(disk));
      const mounts = facts.disks.map((disk) => disk.mount);
      assert.deepEqual(mounts, [...mounts].sort(), 'sorted by mount point');
    });

    it('counts completed and failed runs', () => {
      const stats = pool.stats;
      assert.equal(stats.completed, 2);
      assert.equal(stats.failed, 1);
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.threads, 1);
    });

    it('pack-archive and unpack-archive run on the pool thread: a round trip, and a refusal with its code', async () => {
      const source = path.join(dir, 'tree');
      await mkdir(path.join(source, 'sub'), { recursive: true });
      const blob = randomBytes(64 * 1024);
      await writeFile(path.join(source, 'sub', 'blob.bin'), blob);
      await symlink('sub/blob.bin', path.join(source, 'link'));
      const archive = path.join(dir, 'tree.tar.gz');
      const packed = await pool.run('pack-archive', { sourceDir: source, destination: archive }, ample);
      assert.equal(packed.entries, 3);
      assert.equal(packed.sha256, createHash('sha256').update(readFileSync(archive)).digest('hex'));

      const destination = path.join(dir, 'unpacked');
      const unpacked = await pool.run('unpack-archive', { archive, destination, expectSha256: packed.sha256 }, ample);
      assert.deepEqual(unpacked, { destination, entries: 3, bytes: blob.length });
      assert.deepEqual(readFileSync(path.join(destination, 'link')), blob);

      const error = await rejectsWithCode(
        pool.run('unpack-archive', { archive, destination: path.join(dir, 'limited'), limits: { maxEntries: 1 } }, ample),
        'E_TASK_FAILED',
      );
      assert.equal((error.cause as { code?: unknown }).code, archiveErrorCode.limit);
      const stats = pool.stats;
      assert.equal(stats.completed, 4);
      assert.equal(stats.failed, 2);
      assert.equal(stats.threads, 1);
    });
  });

  describe('with a fixture task module', () => {
    it('runs a task and returns its result', async () => {
      const pool = fixturePool();
      const result = await pool.run('echo', { value: 42 }, ample);
      assert.equal(result.value, 42);
      assert.deepEqual(
        { completed: pool.stats.completed, inFlight: pool.stats.inFlight, state: pool.stats.state },
        { completed: 1, inFlight: 0, state: 'open' },
      );
    });

    it('aborts a busy loop at its deadline with E_TASK_TIMEOUT, replacing its thread', async () => {
      const pool = fixturePool({ minThreads: 1, maxThreads: 1 });
      const before = await pool.run('echo', { value: 1 }, ample);
      await rejectsWithCode(pool.run('busy', null, { deadlineMs: 200 }), 'E_TASK_TIMEOUT');
      assert.equal(pool.stats.timedOut, 1);
      const after = await pool.run('echo', { value: 2 }, ample);
      assert.equal(after.value, 2);
      assert.notEqual(after.threadId, before.threadId, 'the thread of the busy loop was terminated');
      assert.equal(pool.stats.failed, 0);
    });

    it('arms deadlines on the injected clock and clears them when a run settles', async () => {
      const time = manualClock();
      const pool = fixturePool({ maxThreads: 1, clock: time.clock });
      await pool.run('echo', { value: 1 }, { deadlineMs: 100 });
      assert.equal(time.pending, 0);
      const gate = newGate();
      const held = pool.run('gate', gate.input, { deadlineMs: 100 });
      await gate.started();
      assert.equal(time.pending, 1);
      time.fireAll();
      await rejectsWithCode(held, 'E_TASK_TIMEOUT');
      assert.equal(pool.stats.timedOut, 1);
    });

    it('reports a throwing task as E_TASK_FAILED carrying the original error, and reuses the thread', async () => {
      const pool = fixturePool({ maxThreads: 1 });
      const before = await pool.run('echo', { value: 1 }, ample);
      const error = await rejectsWithCode(
        pool.run('fail', { message: 'disk on fire', code: 'EFIXTURE' }, ample),
        'E_TASK_FAILED',
      );
      assert.ok(error.cause instanceof Error);
      assert.equal(error.cause.message, 'disk on fire');
      assert.equal((error.cause as Error & { code?: string }).code, 'EFIXTURE');
      const after = await pool.run('echo', { value: 2 }, ample);
      assert.equal(after.threadId, before.threadId);
      assert.equal(pool.stats.failed, 1);
    });

    it('reports a task that calls process.exit as failed, and recovers', async () => {
      const pool = fixturePool({ maxThreads: 1 });
      await rejectsWithCode(pool.run('exit', { code: 7 }, ample), 'E_TASK_FAILED');
      const after = await pool.run('echo', { value: 3 }, ample);
      assert.equal(after.value, 3);
      assert.deepEqual({ failed: pool.stats.failed, completed: pool.stats.completed }, { failed: 1, completed: 1 });
    });

    it('reports an unknown task name as E_TASK_FAILED', async () => {
      const pool = fixturePool();
      const untyped = pool as unknown as TaskPool<Record<string, (input: null) => null>>;
      await rejectsWithCode(untyped.run('no-such-task', null, ample), 'E_TASK_FAILED');
    });

    it('with maxThreads 1 runs a second task only after the first', async () => {
      const pool = fixturePool({ minThreads: 1, maxThreads: 1 });
      const gate = newGate();
      const first = pool.run('gate', gate.input, ample);
      const second = pool.run('peek', gate.input, ample);
      await gate.started();
      assert.deepEqual(
        { threads: pool.stats.threads, queueSize: pool.stats.queueSize, inFlight: pool.stats.inFlight },
        { threads: 1, queueSize: 1, inFlight: 2 },
      );
      gate.release();
      const [held, peeked] = await Promise.all([first, second]);
      assert.equal(peeked.released, true, 'the second task started only once the first had finished');
      assert.equal(peeked.threadId, held.threadId);
      assert.equal(pool.stats.threads, 1);
    });

    it('with maxThreads 2 runs the same two tasks side by side', async () => {
      const pool = fixturePool({ minThreads: 1, maxThreads: 2 });
      const gate = newGate();
      const first = pool.run('gate', gate.input, ample);
      await gate.started();
      const peeked = await pool.run('peek', gate.input, ample);
      assert.equal(peeked.released, false, 'the second task ran while the first still held its thread');
      assert.equal(pool.stats.threads, 2);
      gate.release();
      const held = await first;
      assert.notEqual(held.threadId, peeked.threadId);
    });

    it('cancels a task through its signal', async () => {
      const pool = fixturePool({ maxThreads: 1 });
      const gate = newGate();
      const controller = new AbortController();
      const held = pool.run('gate', gate.input, { ...ample, signal: controller.signal });
      await gate.started();
      controller.abort();
      await rejectsWithCode(held, 'E_TASK_FAILED');
      assert.deepEqual({ cancelled: pool.stats.cancelled, failed: pool.stats.failed }, { cancelled: 1, failed: 0 });
      assert.equal((await pool.run('echo', { value: 4 }, ample)).value, 4);
    });

    it('close() drains accepted runs and rejects later ones with E_POOL_CLOSED', async () => {
      const pool = fixturePool({ maxThreads: 1 });
      const gate = newGate();
      const held = pool.run('gate', gate.input, ample);
      await gate.started();
      const closed = pool.close();
      assert.equal(pool.state, 'closing');
      await rejectsWithCode(pool.run('echo', { value: 5 }, ample), 'E_POOL_CLOSED');
      gate.release();
      await held;
      await closed;
      assert.equal(pool.state, 'closed');
      assert.equal(pool.stats.threads, 0);
      await rejectsWithCode(pool.run('echo', { value: 6 }, ample), 'E_POOL_CLOSED');
      assert.equal(pool.stats.completed, 1);
    });

    it('destroy() stops at once: running and queued runs reject with E_POOL_CLOSED', async () => {
      const pool = fixturePool({ minThreads: 1, maxThreads: 1 });
      const gate = newGate();
      const running = pool.run('gate', gate.input, ample);
      const queued = pool.run('peek', gate.input, ample);
      const outcomes = [rejectsWithCode(running, 'E_POOL_CLOSED'), rejectsWithCode(queued, 'E_POOL_CLOSED')];
      await gate.started();
      await pool.destroy();
      await Promise.all(outcomes);
      assert.equal(pool.state, 'destroyed');
      await rejectsWithCode(pool.run('echo', { value: 7 }, ample), 'E_POOL_CLOSED');
    });

    it('a task module that cannot load fails runs, and idle load errors go to onError', async () => {
      const missing = path.join(tmpdir(), `gravity-no-such-module-${process.pid}.mjs`);
      const poolErrors: Error[] = [];
      const lazy = fixturePool({ filename: missing, minThreads: 0, maxThreads: 1, onError: (e) => poolErrors.push(e) });
      const error = await rejectsWithCode(lazy.run('echo', { value: 8 }, ample), 'E_TASK_FAILED');
      assert.equal((error.cause as { code?: unknown }).code, 'ERR_MODULE_NOT_FOUND');
      assert.equal(lazy.stats.failed, 1);

      const reported = new Promise<Error>((resolve) => {
        fixturePool({ filename: missing, minThreads: 1, maxThreads: 1, onError: resolve });
      });
      assert.ok((await reported) instanceof Error);
    });
  });
});
