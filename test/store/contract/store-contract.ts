// What every Store backend promises, written once: the status history, operations with their
// changelog, lock and phase process records, and the users with their tokens and sessions. Each
// backend (embedded SQLite today, etcd later) runs this suite against fresh stores of its own, so
// that the backends cannot drift apart. Every call is awaited, so the suite holds whether the
// interface answers at once or with Promises; it knows nothing of any backend's storage.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { isGravityError } from '../../../src/errors.ts';
import type { ErrorCode } from '../../../src/errors.ts';
import type { PhaseChange, PhaseProcess, PhaseSpec } from '../../../src/plan/types.ts';
import { processStartTime } from '../../../src/processes.ts';
import { historyEventTypes } from '../../../src/store/types.ts';
import type {
  HistoryEvent,
  HistoryStore,
  OperationLockHolder,
  OperationRecord,
  OperationStore,
  SessionRecord,
  UserStore,
  UserTokenRecord,
} from '../../../src/store/types.ts';

/** An interface whose methods may answer at once or with a Promise: the suite awaits every call. */
type Awaitable<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => R | Promise<Awaited<R>> : T[K];
};

/** The parts of a Store the contract covers; a Store of today's interface or of its Promise-returning successor fits it. */
export interface ContractStore {
  readonly history: Awaitable<HistoryStore>;
  readonly operations: Awaitable<OperationStore>;
  readonly users: Awaitable<UserStore>;
}

export interface StoreContractContext {
  /** Epoch ms the backend's clock reads, where it has one: every time the suite stores lies within a day of it. */
  now: number;
}

/** One fresh, empty store, and how to close it and remove whatever it left behind. */
export interface OpenedStore {
  store: ContractStore;
  close(): Promise<void> | void;
}

export type OpenStore = (context: StoreContractContext) => Promise<OpenedStore> | OpenedStore;

const t0 = Date.UTC(2026, 0, 12, 9, 30, 0);
const minute = 60_000;
const hour = 60 * minute;
const host = hostname();

const plan: PhaseSpec = {
  id: '/',
  description: 'Update the cluster',
  requires: [],
  phases: [
    {
      id: '/init',
      description: 'Initialize',
      requires: [],
      executor: { kind: 'run', argv: ['true'], env: { MODE: 'fast' }, shell: false, timeoutMs: 60_000, retries: 2, retryBackoffMs: 500, onSurvivor: 'wait' },
      phases: [],
    },
    {
      id: '/masters',
      description: 'Update masters',
      requires: ['/init'],
      parallel: 1,
      phases: [{ id: '/masters/node-1', description: 'Update node-1', requires: [], node: 'node-1', executor: { kind: 'waitHealthy', timeoutMs: 300_000 }, phases: [] }],
    },
  ],
};

function newOperation(id: string, created: number, description = `operation ${id}`): Omit<OperationRecord, 'state' | 'updated'> {
  return { id, type: 'update', description, created, plan };
}

function change(operationId: string, phaseId: string, state: PhaseChange['state'], time: number, error?: string): PhaseChange {
  return { operationId, phaseId, state, time, ...(error === undefined ? {} : { error }) };
}

function event(id: string, time: number, type: HistoryEvent['type'], node?: string, checker?: string, detail?: string): HistoryEvent {
  return {
    id,
    time,
    type,
    ...(node === undefined ? {} : { node }),
    ...(checker === undefined ? {} : { checker }),
    ...(detail === undefined ? {} : { detail }),
  };
}

function holder(operationId: string, pid: number, since: number, startTime?: number): OperationLockHolder {
  return { operationId, pid, hostname: host, since, ...(startTime === undefined ? {} : { startTime }) };
}

function signupToken(tokenHash: string, email: string, created: number, roles = ['@teleadmin']): UserTokenRecord {
  return { tokenHash, email, kind: 'signup', roles, created, expiresAt: created + 8 * hour };
}

function resetToken(tokenHash: string, email: string, created: number): UserTokenRecord {
  return { tokenHash, email, kind: 'reset', roles: [], created, expiresAt: created + hour };
}

function session(idHash: string, email: string, created: number, expiresAt = created + 12 * hour): SessionRecord {
  return { idHash, email, csrfToken: `csrf-${idHash}`, created, expiresAt };
}

/** Asserts that `work` fails with a GravityError of `code`, whether it throws or rejects. */
async function failsWith(work: () => unknown, code: ErrorCode): Promise<void> {
  await assert.rejects(
    async () => {
      await work();
    },
    (error: unknown) => {
      assert.ok(isGravityError(error), `expected a GravityError ${code}, got ${String(error)}`);
      assert.equal(error.code, code);
      return true;
    },
  );
}

/** The pid of a process that existed and has exited (and been reaped, so the pid is free). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  assert.ok(child.pid !== undefined);
  return child.pid;
}

/**
 * Defines the contract's tests for one backend: `open` gives a fresh, empty store for each test.
 * @example describeStoreContract('SQLite', () => { const store = openSqliteStore(dir); return { store, close: () => store.close() }; });
 */
export function describeStoreContract(name: string, open: OpenStore): void {
  describe(`Store contract: ${name}`, function () {
    let opened: OpenedStore | undefined;
    let store: ContractStore;

    beforeEach(async function () {
      opened = await open({ now: t0 });
      store = opened.store;
    });

    afterEach(async function () {
      const closing = opened;
      opened = undefined;
      await closing?.close();
    });

    describe('status history', function () {
      it('is empty at first', async function () {
        assert.deepEqual(await store.history.list(), []);
        assert.deepEqual(await store.history.latest(), []);
        assert.equal(await store.history.append([]), 0);
      });

      it('appends events and lists them as given, optional fields left out when absent', async function () {
        const events = [
          event('e1', t0 - 3 * minute, 'Probe Failed', 'node-1', 'web', 'connection refused'),
          event('e2', t0 - 2 * minute, 'Node Degraded', 'node-1', undefined, 'probe web failed'),
          event('e3', t0 - minute, 'Cluster Degraded'),
        ];
        assert.equal(await store.history.append(events), 3);
        assert.deepEqual(await store.history.list(), events);
        assert.deepEqual(await store.history.list({}), events);
      });

      it('stores every event type and finds each by its type', async function () {
        const events = historyEventTypes.map((type, index) => event(`e${index}`, t0 - index, type, 'node-1', 'web'));
        assert.equal(await store.history.append(events), historyEventTypes.length);
        for (const [index, type] of historyEventTypes.entries()) {
          assert.deepEqual(await store.history.list({ type }), [events[index]]);
        }
      });

      it('keeps one event per id: an id appended again, in a later batch or the same one, is ignored and not counted', async function () {
        const first = event('e1', t0 - minute, 'Probe Failed', 'node-1', 'web', 'first');
        assert.equal(await store.history.append([first]), 1);
        assert.equal(await store.history.append([{ ...first, detail: 'second' }, event('e2', t0, 'Probe Succeeded', 'node-1', 'web')]), 1);
        assert.equal(await store.history.append([event('e3', t0, 'Cluster Recovered'), event('e3', t0, 'Cluster Recovered')]), 1);
        assert.deepEqual(
          (await store.history.list()).map((stored) => [stored.id, stored.detail]),
          [
            ['e1', 'first'],
            ['e2', undefined],
            ['e3', undefined],
          ],
        );
      });

      it('lists oldest first whatever the order of appending; events of one millisecond in the order they were appended', async function () {
        await store.history.append([event('late', t0, 'Probe Succeeded', 'node-1', 'web')]);
        await store.history.append([event('early', t0 - hour, 'Probe Failed', 'node-1', 'web')]);
        await store.history.append([event('tie-b', t0 - minute, 'Node Degraded', 'node-2'), event('tie-a', t0 - minute, 'Cluster Degraded')]);
        assert.deepEqual(
          (await store.history.list()).map((stored) => stored.id),
          ['early', 'tie-b', 'tie-a', 'late'],
        );
      });

      describe('filters', function () {
        const events = [
          event('a', t0 - 50 * minute, 'Probe Failed', 'node-1', 'web'),
          event('b', t0 - 40 * minute, 'Node Degraded', 'node-1'),
          event('c', t0 - 30 * minute, 'Cluster Degraded'),
          event('d', t0 - 20 * minute, 'Probe Failed', 'node-2', 'dns'),
          event('e', t0 - 10 * minute, 'Probe Succeeded', 'node-1', 'web'),
          event('f', t0, 'Probe Failed', 'node-1', 'dns'),
        ];
        const ids = async (query: Parameters<HistoryStore['list']>[0]): Promise<string[]> => (await store.history.list(query)).map((stored) => stored.id);

        beforeEach(async function () {
          assert.equal(await store.history.append(events), events.length);
        });

        it('since and until are inclusive bounds', async function () {
          assert.deepEqual(await ids({ since: t0 - 30 * minute }), ['c', 'd', 'e', 'f']);
          assert.deepEqual(await ids({ until: t0 - 30 * minute }), ['a', 'b', 'c']);
          assert.deepEqual(await ids({ since: t0 - 40 * minute, until: t0 - 20 * minute }), ['b', 'c', 'd']);
          assert.deepEqual(await ids({ since: t0 + 1 }), []);
        });

        it('by node, by checker and by type, alone and together', async function () {
          assert.deepEqual(await ids({ node: 'node-1' }), ['a', 'b', 'e', 'f']);
          assert.deepEqual(await ids({ checker: 'dns' }), ['d', 'f']);
          assert.deepEqual(await ids({ type: 'Probe Failed' }), ['a', 'd', 'f']);
          assert.deepEqual(await ids({ node: 'node-1', checker: 'web' }), ['a', 'e']);
          assert.deepEqual(await ids({ node: 'node-1', type: 'Probe Failed', since: t0 - 45 * minute }), ['f']);
          assert.deepEqual(await ids({ node: 'node-3' }), []);
        });

        it('limit keeps the oldest matching events, last the newest, both listed oldest first', async function () {
          assert.deepEqual(await ids({ limit: 2 }), ['a', 'b']);
          assert.deepEqual(await ids({ last: 2 }), ['e', 'f']);
          assert.deepEqual(await ids({ node: 'node-1', limit: 3 }), ['a', 'b', 'e']);
          assert.deepEqual(await ids({ node: 'node-1', last: 3 }), ['b', 'e', 'f']);
          assert.deepEqual(await ids({ type: 'Probe Failed', until: t0 - minute, last: 1 }), ['d']);
          assert.deepEqual(await ids({ last: 10 }), ['a', 'b', 'c', 'd', 'e', 'f']);
          assert.deepEqual(await ids({ limit: 0 }), []);
        });
      });

      it('evicts the events older than the cut-off, keeping one at the cut-off, and counts them', async function () {
        await store.history.append([
          event('old-1', t0 - 3 * hour, 'Probe Failed', 'node-1', 'web'),
          event('old-2', t0 - 2 * hour - 1, 'Node Degraded', 'node-1'),
          event('edge', t0 - 2 * hour, 'Node Recovered', 'node-1'),
          event('new', t0, 'Probe Succeeded', 'node-1', 'web'),
        ]);
        assert.equal(await store.history.evict(t0 - 2 * hour), 2);
        assert.deepEqual(
          (await store.history.list()).map((stored) => stored.id),
          ['edge', 'new'],
        );
        assert.equal(await store.history.evict(t0 - 2 * hour), 0);
      });

      it('latest gives the newest event of each node and of each node and probe, without cluster events, oldest first', async function () {
        await store.history.append([
          event('web-1', t0 - 50 * minute, 'Probe Failed', 'node-1', 'web'),
          event('node-1', t0 - 45 * minute, 'Node Degraded', 'node-1'),
          event('cluster-1', t0 - 44 * minute, 'Cluster Degraded'),
          event('dns-2', t0 - 40 * minute, 'Probe Failed', 'node-2', 'dns'),
          event('web-2', t0 - 30 * minute, 'Probe Succeeded', 'node-1', 'web'),
          event('node-2', t0 - 20 * minute, 'Node Recovered', 'node-1'),
          event('cluster-2', t0 - 10 * minute, 'Cluster Recovered'),
        ]);
        assert.deepEqual(
          (await store.history.latest()).map((stored) => stored.id),
          ['dns-2', 'web-2', 'node-2'],
        );
      });
    });

    describe('operations', function () {
      it('has none at first', async function () {
        assert.equal(await store.operations.get('op-1'), undefined);
        assert.equal(await store.operations.last(), undefined);
        assert.deepEqual(await store.operations.list(), []);
        assert.deepEqual(await store.operations.headlines(10, 80), []);
        assert.equal(await store.operations.headline('op-1', 80), undefined);
        assert.deepEqual(await store.operations.changes('op-1'), []);
      });

      it('creates an operation in progress, updated when created, with its plan as defined', async function () {
        await store.operations.create(newOperation('op-1', t0));
        const expected: OperationRecord = { ...newOperation('op-1', t0), state: 'in_progress', updated: t0 };
        assert.deepEqual(await store.operations.get('op-1'), expected);
        assert.equal(await store.operations.get('op-2'), undefined);
      });

      it('refuses an id that exists with E_OPERATION_EXISTS, leaving the first as it was', async function () {
        await store.operations.create(newOperation('op-1', t0));
        await failsWith(() => store.operations.create(newOperation('op-1', t0 + minute, 'another')), 'E_OPERATION_EXISTS');
        assert.equal((await store.operations.get('op-1'))?.description, 'operation op-1');
        assert.equal((await store.operations.list()).length, 1);
      });

      it('last is the most recently created; list is newest first (of one millisecond, the later created first)', async function () {
        await store.operations.create(newOperation('op-b', t0 - hour));
        await store.operations.create(newOperation('op-a', t0));
        await store.operations.create(newOperation('op-c', t0 - 2 * hour));
        assert.equal((await store.operations.last())?.id, 'op-a');
        await store.operations.create(newOperation('op-d', t0));
        assert.equal((await store.operations.last())?.id, 'op-d');
        assert.deepEqual(
          (await store.operations.list()).map((record) => record.id),
          ['op-d', 'op-a', 'op-b', 'op-c'],
        );
      });

      it('headlines give the newest operations without plans, their descriptions cut to a head with the full length in UTF-8 bytes', async function () {
        const long = 'Mise à jour du nœud';
        await store.operations.create(newOperation('op-1', t0 - 2 * hour, 'short'));
        await store.operations.create(newOperation('op-2', t0 - hour, long));
        await store.operations.create(newOperation('op-3', t0));
        await store.operations.setState('op-2', 'failed', t0 - 30 * minute, true);
        const headlines = await store.operations.headlines(2, 12);
        assert.deepEqual(headlines, [
          { id: 'op-3', type: 'update', descriptionHead: 'operation op', descriptionBytes: Buffer.byteLength('operation op-3'), state: 'in_progress', created: t0, updated: t0 },
          {
            id: 'op-2',
            type: 'update',
            descriptionHead: long.slice(0, 12),
            descriptionBytes: Buffer.byteLength(long),
            state: 'failed',
            created: t0 - hour,
            updated: t0 - 30 * minute,
            rolledBack: true,
          },
        ]);
        assert.ok(Buffer.byteLength(long) > long.length);
        assert.deepEqual(
          (await store.operations.headlines(10, 80)).map((headline) => [headline.id, headline.descriptionHead]),
          [
            ['op-3', 'operation op-3'],
            ['op-2', long],
            ['op-1', 'short'],
          ],
        );
        assert.deepEqual(await store.operations.headlines(0, 80), []);
      });

      it('headline gives one operation as headlines does', async function () {
        await store.operations.create(newOperation('op-1', t0, 'Update the cluster to 2.0'));
        assert.deepEqual(await store.operations.headline('op-1', 6), {
          id: 'op-1',
          type: 'update',
          descriptionHead: 'Update',
          descriptionBytes: 25,
          state: 'in_progress',
          created: t0,
          updated: t0,
        });
        assert.equal((await store.operations.headline('op-1', 0))?.descriptionHead, '');
        assert.equal(await store.operations.headline('op-2', 6), undefined);
      });

      it('sets the state and its time; rolledBack describes the state set, left out it is cleared', async function () {
        await store.operations.create(newOperation('op-1', t0));
        await store.operations.setState('op-1', 'failed', t0 + minute, true);
        let record = await store.operations.get('op-1');
        assert.deepEqual([record?.state, record?.updated, record?.rolledBack, record?.created], ['failed', t0 + minute, true, t0]);
        await store.operations.setState('op-1', 'completed', t0 + 2 * minute);
        record = await store.operations.get('op-1');
        assert.deepEqual([record?.state, record?.updated, record?.rolledBack], ['completed', t0 + 2 * minute, undefined]);
        assert.equal(record !== undefined && 'rolledBack' in record, false);
        await failsWith(() => store.operations.setState('op-2', 'completed', t0), 'E_OPERATION_NOT_FOUND');
      });

      describe('changelog', function () {
        it("keeps each operation's changes in the order appended, errors included", async function () {
          await store.operations.create(newOperation('op-1', t0));
          await store.operations.create(newOperation('op-2', t0));
          const first = [
            change('op-1', '/init', 'in_progress', t0 + 1),
            change('op-1', '/init', 'completed', t0 + 2),
            change('op-1', '/masters/node-1', 'in_progress', t0 + 3),
            change('op-1', '/masters/node-1', 'failed', t0 + 3, 'node-1 did not become healthy'),
            change('op-1', '/masters/node-1', 'rolled_back', t0 + 3),
          ];
          const second = [change('op-2', '/init', 'in_progress', t0 + 5), change('op-2', '/init', 'failed', t0 + 4, 'exit code 1')];
          await store.operations.appendChange(first[0]!);
          await store.operations.appendChange(second[0]!);
          for (const stored of first.slice(1)) await store.operations.appendChange(stored);
          await store.operations.appendChange(second[1]!);
          assert.deepEqual(await store.operations.changes('op-1'), first);
          assert.deepEqual(await store.operations.changes('op-2'), second);
        });

        it('refuses a change of an unknown operation with E_OPERATION_NOT_FOUND and keeps nothing of it', async function () {
          await failsWith(() => store.operations.appendChange(change('op-9', '/init', 'in_progress', t0)), 'E_OPERATION_NOT_FOUND');
          assert.deepEqual(await store.operations.changes('op-9'), []);
        });
      });

      describe('operation lock', function () {
        it('is free at first; taken, it names its holder with the start time', async function () {
          assert.equal(await store.operations.lockHolder(), undefined);
          const taken = holder('op-1', process.pid, t0, 4242);
          assert.deepEqual(await store.operations.acquireLock(taken), { acquired: true });
          assert.deepEqual(await store.operations.lockHolder(), taken);
        });

        it('refuses a second holder while the first is alive, returning the first', async function () {
          const first = holder('op-1', process.ppid, t0);
          assert.deepEqual(await store.operations.acquireLock(first), { acquired: true });
          assert.deepEqual(await store.operations.acquireLock(holder('op-2', process.pid, t0 + minute)), { acquired: false, holder: first });
          assert.deepEqual(await store.operations.lockHolder(), first);
        });

        it('of two live processes asking at once, exactly one takes it and the other is told who', async function () {
          const results = await Promise.all([
            store.operations.acquireLock(holder('op-1', process.ppid, t0)),
            store.operations.acquireLock(holder('op-2', process.pid, t0)),
          ]);
          const won = results.filter((result) => result.acquired);
          assert.equal(won.length, 1);
          const current = await store.operations.lockHolder();
          assert.ok(current !== undefined);
          const lost = results.find((result) => !result.acquired);
          assert.deepEqual(lost, { acquired: false, holder: current });
        });

        it('is released only by its operation and pid; then another takes it', async function () {
          const first = holder('op-1', process.ppid, t0);
          await store.operations.acquireLock(first);
          await store.operations.releaseLock('op-2', process.ppid);
          await store.operations.releaseLock('op-1', process.pid);
          assert.deepEqual(await store.operations.lockHolder(), first);
          await store.operations.releaseLock('op-1', process.ppid);
          assert.equal(await store.operations.lockHolder(), undefined);
          const second = holder('op-2', process.pid, t0 + minute);
          assert.deepEqual(await store.operations.acquireLock(second), { acquired: true });
          assert.deepEqual(await store.operations.lockHolder(), second);
        });

        it('releasing a free lock changes nothing', async function () {
          await store.operations.releaseLock('op-1', process.pid);
          assert.equal(await store.operations.lockHolder(), undefined);
        });

        it('is taken over from a holder whose pid no longer exists', async function () {
          const gone = holder('op-1', await deadPid(), t0);
          assert.deepEqual(await store.operations.acquireLock(gone), { acquired: true });
          const next = holder('op-2', process.pid, t0 + minute);
          assert.deepEqual(await store.operations.acquireLock(next), { acquired: true });
          assert.deepEqual(await store.operations.lockHolder(), next);
        });

        it('is taken over from a holder whose pid now belongs to a process started at another time, not from one started at its time', async function () {
          const parentStart = processStartTime(process.ppid);
          if (parentStart === undefined) this.skip(); // no /proc: start times cannot be read here
          const live = holder('op-1', process.ppid, t0, parentStart);
          assert.deepEqual(await store.operations.acquireLock(live), { acquired: true });
          assert.deepEqual(await store.operations.acquireLock(holder('op-2', process.pid, t0 + minute)), { acquired: false, holder: live });
          await store.operations.releaseLock('op-1', process.ppid);
          const reused = holder('op-1', process.ppid, t0, parentStart + 1);
          assert.deepEqual(await store.operations.acquireLock(reused), { acquired: true });
          const next = holder('op-2', process.pid, t0 + minute, processStartTime(process.pid));
          assert.deepEqual(await store.operations.acquireLock(next), { acquired: true });
          assert.deepEqual(await store.operations.lockHolder(), next);
        });
      });

      describe('phase process records', function () {
        const recorded = (phaseId: string, pgid: number, since: number, startTime?: number): PhaseProcess => ({
          operationId: 'op-1',
          phaseId,
          pgid,
          hostname: host,
          since,
          ...(startTime === undefined ? {} : { startTime }),
        });

        beforeEach(async function () {
          await store.operations.create(newOperation('op-1', t0));
          await store.operations.create(newOperation('op-2', t0));
        });

        it("records an operation's process groups and lists them oldest first, apart from other operations'", async function () {
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), []);
          await store.operations.recordPhaseProcess(recorded('/masters/node-1', 3002, t0 + 2 * minute));
          await store.operations.recordPhaseProcess(recorded('/init', 3001, t0 + minute, 777));
          await store.operations.recordPhaseProcess({ ...recorded('/init', 4001, t0), operationId: 'op-2' });
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 3001, t0 + minute, 777), recorded('/masters/node-1', 3002, t0 + 2 * minute)]);
          assert.deepEqual(await store.operations.phaseProcesses('op-2'), [{ ...recorded('/init', 4001, t0), operationId: 'op-2' }]);
        });

        it('recording the same operation, phase and group again replaces the record', async function () {
          await store.operations.recordPhaseProcess(recorded('/init', 3001, t0, 777));
          await store.operations.recordPhaseProcess(recorded('/init', 3001, t0 + minute, 778));
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 3001, t0 + minute, 778)]);
        });

        it('clears one record, leaving the others; clearing one that is not there is no error', async function () {
          await store.operations.recordPhaseProcess(recorded('/init', 3001, t0));
          await store.operations.recordPhaseProcess(recorded('/init', 3002, t0 + minute));
          await store.operations.clearPhaseProcess('op-1', '/init', 3001);
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 3002, t0 + minute)]);
          await store.operations.clearPhaseProcess('op-1', '/init', 3001);
          await store.operations.clearPhaseProcess('op-1', '/masters/node-1', 3002);
          await store.operations.clearPhaseProcess('op-9', '/init', 3002);
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), [recorded('/init', 3002, t0 + minute)]);
          await store.operations.clearPhaseProcess('op-1', '/init', 3002);
          assert.deepEqual(await store.operations.phaseProcesses('op-1'), []);
        });
      });
    });

    describe('users and tokens', function () {
      const now = t0;

      it('has no users at first', async function () {
        assert.deepEqual(await store.users.list(), []);
        assert.equal(await store.users.get('alice@example.com'), undefined);
        assert.deepEqual(await store.users.pendingInvites(now), []);
        assert.equal(await store.users.getToken('hash-1'), undefined);
      });

      it('a signup token, redeemed, creates the user with its roles; the token reads as used', async function () {
        const token = signupToken('hash-1', 'alice@example.com', now, ['@teleadmin', 'viewer']);
        await store.users.issueToken(token);
        assert.deepEqual(await store.users.getToken('hash-1'), token);
        const redeemedAt = now + minute;
        const result = await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'scrypt$alice', now: redeemedAt });
        const user = { email: 'alice@example.com', roles: ['@teleadmin', 'viewer'], passwordHash: 'scrypt$alice', created: redeemedAt, updated: redeemedAt };
        assert.deepEqual(result, { redeemed: true, user });
        assert.deepEqual(await store.users.get('alice@example.com'), user);
        assert.deepEqual(await store.users.getToken('hash-1'), { ...token, usedAt: redeemedAt });
      });

      it('redeems a token exactly once: a second redemption is refused as used and changes nothing', async function () {
        await store.users.issueToken(signupToken('hash-1', 'alice@example.com', now));
        const first = await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'first', now: now + 1 });
        assert.equal(first.redeemed, true);
        const again = await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'second', now: now + 2 });
        assert.deepEqual(again, { redeemed: false, reason: 'used' });
        assert.equal((await store.users.get('alice@example.com'))?.passwordHash, 'first');
        assert.equal((await store.users.getToken('hash-1'))?.usedAt, now + 1);
      });

      it('of two redemptions of one token at once, exactly one wins and the other is refused as used', async function () {
        await store.users.issueToken(signupToken('hash-1', 'alice@example.com', now));
        const results = await Promise.all([
          store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'first', now: now + 1 }),
          store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'second', now: now + 1 }),
        ]);
        const won = results.filter((result) => result.redeemed);
        assert.equal(won.length, 1);
        assert.deepEqual(results.find((result) => !result.redeemed), { redeemed: false, reason: 'used' });
        assert.deepEqual(await store.users.list(), [won[0]?.user]);
      });

      it('a token works strictly before it expires: at its expiry it is refused as expired and can still not be used', async function () {
        const token = signupToken('hash-1', 'alice@example.com', now);
        await store.users.issueToken(token);
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'p', now: token.expiresAt }), { redeemed: false, reason: 'expired' });
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'p', now: token.expiresAt + hour }), {
          redeemed: false,
          reason: 'expired',
        });
        assert.equal(await store.users.get('alice@example.com'), undefined);
        assert.equal((await store.users.getToken('hash-1'))?.usedAt, undefined);

        await store.users.issueToken(signupToken('hash-2', 'bob@example.com', now));
        const justInTime = await store.users.redeemToken({ tokenHash: 'hash-2', kind: 'signup', passwordHash: 'p', now: now + 8 * hour - 1 });
        assert.equal(justInTime.redeemed, true);
      });

      it('an unknown token, or one of the other kind, is refused as unknown; the token still works on its own page', async function () {
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'nope', kind: 'signup', passwordHash: 'p', now }), { redeemed: false, reason: 'unknown' });
        await store.users.issueToken(signupToken('hash-1', 'alice@example.com', now));
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'reset', passwordHash: 'p', now }), { redeemed: false, reason: 'unknown' });
        assert.equal((await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'p', now })).redeemed, true);
      });

      it('refuses a signup token for a user with E_USER_EXISTS and a reset token for a non-user with E_USER_NOT_FOUND, storing neither', async function () {
        await store.users.issueToken(signupToken('hash-1', 'alice@example.com', now));
        await store.users.redeemToken({ tokenHash: 'hash-1', kind: 'signup', passwordHash: 'p', now });
        await failsWith(() => store.users.issueToken(signupToken('hash-2', 'alice@example.com', now)), 'E_USER_EXISTS');
        await failsWith(() => store.users.issueToken(resetToken('hash-3', 'bob@example.com', now)), 'E_USER_NOT_FOUND');
        assert.equal(await store.users.getToken('hash-2'), undefined);
        assert.equal(await store.users.getToken('hash-3'), undefined);
      });

      it('a new token replaces the unused tokens of its kind for its email, not used ones nor other emails\'', async function () {
        await store.users.issueToken(signupToken('alice-1', 'alice@example.com', now));
        await store.users.issueToken(signupToken('bob-1', 'bob@example.com', now));
        await store.users.issueToken(signupToken('alice-2', 'alice@example.com', now + minute));
        assert.equal(await store.users.getToken('alice-1'), undefined);
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'alice-1', kind: 'signup', passwordHash: 'p', now: now + 2 * minute }), {
          redeemed: false,
          reason: 'unknown',
        });
        assert.equal((await store.users.redeemToken({ tokenHash: 'alice-2', kind: 'signup', passwordHash: 'p', now: now + 2 * minute })).redeemed, true);
        assert.notEqual(await store.users.getToken('bob-1'), undefined);

        await store.users.issueToken(resetToken('reset-1', 'alice@example.com', now + 3 * minute));
        assert.equal((await store.users.redeemToken({ tokenHash: 'reset-1', kind: 'reset', passwordHash: 'p2', now: now + 4 * minute })).redeemed, true);
        await store.users.issueToken(resetToken('reset-2', 'alice@example.com', now + 5 * minute));
        assert.equal((await store.users.getToken('reset-1'))?.usedAt, now + 4 * minute);
        assert.equal((await store.users.getToken('alice-2'))?.usedAt, now + 2 * minute);
      });

      it('lists users by email with their roles', async function () {
        for (const [hash, email, roles] of [
          ['h-c', 'carol@example.com', ['viewer']],
          ['h-a', 'alice@example.com', ['@teleadmin']],
          ['h-b', 'bob@example.com', ['viewer', 'operator']],
        ] as const) {
          await store.users.issueToken(signupToken(hash, email, now, [...roles]));
          await store.users.redeemToken({ tokenHash: hash, kind: 'signup', passwordHash: `pw-${email}`, now });
        }
        assert.deepEqual(
          (await store.users.list()).map((user) => [user.email, user.roles]),
          [
            ['alice@example.com', ['@teleadmin']],
            ['bob@example.com', ['viewer', 'operator']],
            ['carol@example.com', ['viewer']],
          ],
        );
      });

      it('pending invites: the newest unused, unexpired signup of each email not yet a user, by email', async function () {
        await store.users.issueToken(signupToken('carol', 'carol@example.com', now, ['viewer']));
        await store.users.issueToken(signupToken('alice', 'alice@example.com', now - minute, ['@teleadmin']));
        await store.users.issueToken(signupToken('dave', 'dave@example.com', now - 8 * hour));
        await store.users.issueToken(signupToken('bob', 'bob@example.com', now));
        await store.users.redeemToken({ tokenHash: 'bob', kind: 'signup', passwordHash: 'p', now });
        assert.deepEqual(await store.users.pendingInvites(now), [
          { email: 'alice@example.com', roles: ['@teleadmin'], created: now - minute, expiresAt: now - minute + 8 * hour },
          { email: 'carol@example.com', roles: ['viewer'], created: now, expiresAt: now + 8 * hour },
        ]);
        assert.deepEqual(
          (await store.users.pendingInvites(now + 8 * hour - minute)).map((invite) => invite.email),
          ['carol@example.com'],
        );
      });

      it('a reset token sets the password and its time, keeps the roles, and ends every session of that user only', async function () {
        await store.users.issueToken(signupToken('signup-a', 'alice@example.com', now, ['@teleadmin']));
        await store.users.redeemToken({ tokenHash: 'signup-a', kind: 'signup', passwordHash: 'old', now });
        await store.users.issueToken(signupToken('signup-b', 'bob@example.com', now));
        await store.users.redeemToken({ tokenHash: 'signup-b', kind: 'signup', passwordHash: 'bob', now });
        await store.users.createSession(session('s-a1', 'alice@example.com', now));
        await store.users.createSession(session('s-a2', 'alice@example.com', now));
        await store.users.createSession(session('s-b1', 'bob@example.com', now));

        await store.users.issueToken(resetToken('reset-a', 'alice@example.com', now + minute));
        const result = await store.users.redeemToken({ tokenHash: 'reset-a', kind: 'reset', passwordHash: 'new', now: now + 2 * minute });
        const user = { email: 'alice@example.com', roles: ['@teleadmin'], passwordHash: 'new', created: now, updated: now + 2 * minute };
        assert.deepEqual(result, { redeemed: true, user });
        assert.deepEqual(await store.users.get('alice@example.com'), user);
        assert.equal(await store.users.getSession('s-a1', now + 3 * minute), undefined);
        assert.equal(await store.users.getSession('s-a2', now + 3 * minute), undefined);
        assert.deepEqual(await store.users.getSession('s-b1', now + 3 * minute), session('s-b1', 'bob@example.com', now));
        await store.users.issueToken(resetToken('reset-b', 'bob@example.com', now + minute));
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'reset-b', kind: 'signup', passwordHash: 'p', now: now + 2 * minute }), {
          redeemed: false,
          reason: 'unknown',
        });
        assert.equal((await store.users.get('bob@example.com'))?.passwordHash, 'bob');
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'reset-a', kind: 'reset', passwordHash: 'again', now: now + 3 * minute }), {
          redeemed: false,
          reason: 'used',
        });
      });
    });

    describe('sessions', function () {
      const now = t0;

      it('a session is found strictly before it expires', async function () {
        const started = session('s-1', 'alice@example.com', now, now + hour);
        await store.users.createSession(started);
        assert.deepEqual(await store.users.getSession('s-1', now), started);
        assert.deepEqual(await store.users.getSession('s-1', now + hour - 1), started);
        assert.equal(await store.users.getSession('s-1', now + hour), undefined);
        assert.equal(await store.users.getSession('s-2', now), undefined);
      });

      it('deleting a session ends it and says whether there was one', async function () {
        await store.users.createSession(session('s-1', 'alice@example.com', now));
        await store.users.createSession(session('s-2', 'alice@example.com', now));
        assert.equal(await store.users.deleteSession('s-1'), true);
        assert.equal(await store.users.getSession('s-1', now), undefined);
        assert.equal(await store.users.deleteSession('s-1'), false);
        assert.equal(await store.users.deleteSession('s-9'), false);
        assert.notEqual(await store.users.getSession('s-2', now), undefined);
      });

      it('prune drops the sessions and tokens that expired before the cut-offs and counts them; until then an expired token reads as expired', async function () {
        await store.users.createSession(session('s-old', 'alice@example.com', now - 2 * hour, now - hour));
        await store.users.createSession(session('s-edge', 'alice@example.com', now - 2 * hour, now));
        await store.users.createSession(session('s-live', 'alice@example.com', now, now + hour));
        await store.users.issueToken(signupToken('old', 'old@example.com', now - 10 * hour));
        await store.users.issueToken(signupToken('live', 'live@example.com', now));
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'old', kind: 'signup', passwordHash: 'p', now }), { redeemed: false, reason: 'expired' });

        assert.deepEqual(await store.users.prune({ sessionsExpiredBefore: now, tokensExpiredBefore: now }), { sessions: 1, tokens: 1 });
        assert.equal(await store.users.deleteSession('s-old'), false);
        assert.equal(await store.users.deleteSession('s-edge'), true);
        assert.notEqual(await store.users.getSession('s-live', now), undefined);
        assert.equal(await store.users.getToken('old'), undefined);
        assert.deepEqual(await store.users.redeemToken({ tokenHash: 'old', kind: 'signup', passwordHash: 'p', now }), { redeemed: false, reason: 'unknown' });
        assert.notEqual(await store.users.getToken('live'), undefined);
        assert.deepEqual(await store.users.prune({ sessionsExpiredBefore: now, tokensExpiredBefore: now }), { sessions: 0, tokens: 0 });
      });
    });
  });
}
