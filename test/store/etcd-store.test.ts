// What only the etcd store has: the operation lock on a lease (it frees itself when its holder's
// lease is revoked or expires, wherever the holder ran), two stores racing for the lock, a clear
// E_STORE_UNAVAILABLE while etcd is away and service again when it is back, the data version
// moving with another store's commits, openStore choosing the backend from the configuration, and
// TLS with client certificates.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { isGravityError } from '../../src/errors.ts';
import { openEtcdStore } from '../../src/store/etcd/store.ts';
import type { EtcdStore, EtcdStoreOptions } from '../../src/store/etcd/store.ts';
import { openStore, openStoreReadOnly } from '../../src/store/index.ts';
import type { OperationLockHolder, Store } from '../../src/store/index.ts';
import { etcdTestCertificates, startEtcdServer } from '../helpers/etcd-server.ts';
import type { EtcdServer, EtcdTestCertificates } from '../helpers/etcd-server.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

const t0 = Date.UTC(2026, 0, 12, 9, 30, 0);

function holder(operationId: string, pid: number, hostname: string): OperationLockHolder {
  return { operationId, pid, hostname, since: t0 };
}

describe('etcd store', function () {
  this.timeout(60_000);
  let server: EtcdServer | undefined;
  let admin: Etcd3 | undefined;
  let prefix: string;
  const opened: { close(): Promise<void> }[] = [];

  function open(options: Partial<EtcdStoreOptions> = {}): EtcdStore {
    assert.ok(server !== undefined);
    const store = openEtcdStore({ endpoints: [server.endpoint], prefix, clock: { now: () => t0 }, ...options });
    opened.push(store);
    return store;
  }

  before(async function () {
    server = await startEtcdServer();
    admin = new Etcd3({ hosts: server.endpoint });
  });

  after(async function () {
    admin?.close();
    await server?.dispose();
  });

  beforeEach(function () {
    prefix = `/gravity-test/${randomUUID()}/`;
  });

  afterEach(async function () {
    for (const store of opened.splice(0)) await store.close();
    await admin?.delete().prefix(prefix).exec();
  });

  describe('the operation lock on a lease', function () {
    it('frees itself when its holder store\'s lease is revoked, and that store takes it again with a new lease', async function () {
      const first = open();
      const second = open();
      const elsewhere = holder('op-1', 4242, 'another-host');
      assert.deepEqual(await first.operations.acquireLock(elsewhere), { acquired: true });
      const mine = holder('op-2', process.pid, 'this-host-too');
      assert.deepEqual(await second.operations.acquireLock(mine), { acquired: false, holder: elsewhere });

      const kv = (await admin!.namespace(prefix).get('operations/lock').exec()).kvs[0];
      assert.ok(kv !== undefined && kv.lease !== '0', 'the lock is attached to a lease');
      await admin!.leaseClient.leaseRevoke({ ID: kv.lease });

      assert.equal(await second.operations.lockHolder(), undefined);
      assert.deepEqual(await second.operations.acquireLock(mine), { acquired: true });
      await second.operations.releaseLock('op-2', process.pid);
      // The first store's lease is gone: taking the lock again grants it a new one.
      assert.deepEqual(await first.operations.acquireLock(elsewhere), { acquired: true });
      assert.deepEqual(await second.operations.lockHolder(), elsewhere);
    });

    it('frees itself when its holder\'s lease expires, with nobody releasing it', async function () {
      const store = open();
      const crashed = holder('op-1', 4242, 'another-host');
      // A holder whose store stopped renewing: a lease of 2 s that nothing keeps alive.
      const lease = admin!.namespace(prefix).lease(2, { autoKeepAlive: false });
      await lease.put('operations/lock').value(JSON.stringify(crashed));
      const mine = holder('op-2', process.pid, 'this-host-too');
      assert.deepEqual(await store.operations.acquireLock(mine), { acquired: false, holder: crashed });
      await waitFor(async () => (await store.operations.acquireLock(mine)).acquired, 15_000, 'the expired lease to free the lock', 100);
      assert.deepEqual(await store.operations.lockHolder(), mine);
      lease.release();
    });

    it('stays held while its store is open: the store renews its lease', async function () {
      const store = open({ leaseTtlSeconds: 6 });
      const taken = holder('op-1', 4242, 'another-host');
      assert.deepEqual(await store.operations.acquireLock(taken), { acquired: true });
      const kv = (await admin!.namespace(prefix).get('operations/lock').exec()).kvs[0];
      assert.ok(kv !== undefined);
      // The lease's remaining TTL goes down, then back up when the store renews it.
      let lowest = Number.POSITIVE_INFINITY;
      await waitFor(
        async () => {
          const ttl = Number((await admin!.leaseClient.leaseTimeToLive({ ID: kv.lease })).TTL);
          assert.ok(ttl > 0, 'the lease expired although its store is open');
          if (ttl > lowest) return true;
          lowest = Math.min(lowest, ttl);
          return false;
        },
        10_000,
        'the store to renew its lease',
        100,
      );
      assert.deepEqual(await store.operations.lockHolder(), taken);
    });

    it('closing a store frees the lock it holds', async function () {
      const first = open();
      const second = open();
      assert.deepEqual(await first.operations.acquireLock(holder('op-1', 4242, 'another-host')), { acquired: true });
      await first.close();
      assert.equal(await second.operations.lockHolder(), undefined);
    });

    it('of two stores racing for it, exactly one takes it and the other is told who', async function () {
      for (let round = 0; round < 5; round += 1) {
        const first = open();
        const second = open();
        const candidates = [holder(`op-a${round}`, process.pid, 'host-a'), holder(`op-b${round}`, process.pid, 'host-b')];
        const results = await Promise.all([first.operations.acquireLock(candidates[0]!), second.operations.acquireLock(candidates[1]!)]);
        assert.equal(results.filter((result) => result.acquired).length, 1, `round ${round}`);
        const winner = results[0]?.acquired === true ? candidates[0] : candidates[1];
        assert.deepEqual(await first.operations.lockHolder(), winner);
        assert.deepEqual(
          results.find((result) => !result.acquired),
          { acquired: false, holder: winner },
        );
        await first.close();
        await second.close();
      }
    });
  });

  it('a key that does not hold what gravity wrote is E_STORE naming the key', async function () {
    const store = open();
    await admin!.namespace(prefix).put('users/records/alice%40example.com').value('{not json');
    await assert.rejects(
      () => store.users.get('alice@example.com'),
      (error: unknown) => isGravityError(error, 'E_STORE') && error.message.includes('users/records/alice%40example.com'),
    );
  });

  it('applies appends and changes in the order they are called, without waiting for each', async function () {
    const store = open();
    const appends = ['a', 'b', 'c', 'd', 'e'].map((id) => store.history.append([{ id, time: t0, type: 'Cluster Degraded' }]));
    assert.deepEqual(await Promise.all(appends), [1, 1, 1, 1, 1]);
    assert.deepEqual(
      (await store.history.list()).map((event) => event.id),
      ['a', 'b', 'c', 'd', 'e'],
    );
    await store.operations.create({ id: 'op-1', type: 'custom', description: 'd', created: t0, plan: { id: '/', description: 'd', requires: [], phases: [] } });
    const phases = ['/p1', '/p2', '/p3', '/p4'];
    await Promise.all(phases.map((phaseId, index) => store.operations.appendChange({ operationId: 'op-1', phaseId, state: 'in_progress', time: t0 + index })));
    assert.deepEqual(
      (await store.operations.changes('op-1')).map((change) => change.phaseId),
      phases,
    );
  });

  it('of two stores appending the same events at once, each event is stored once', async function () {
    const first = open();
    const second = open();
    const events = Array.from({ length: 70 }, (_, index) => ({ id: `e${index}`, time: t0 - index, type: 'Probe Failed' as const, node: 'node-1', checker: 'web' }));
    const added = await Promise.all([first.history.append(events), second.history.append([...events].reverse())]);
    assert.equal(added[0] + added[1], events.length);
    assert.equal((await first.history.list()).length, events.length);
  });

  it('pruning a token drops the index of the newest token with it, not one a newer token took', async function () {
    const store = open();
    const hour = 3_600_000;
    await store.users.issueToken({ tokenHash: 'old', email: 'old@example.com', kind: 'signup', roles: [], created: t0 - 10 * hour, expiresAt: t0 - 2 * hour });
    await store.users.issueToken({ tokenHash: 'live', email: 'live@example.com', kind: 'signup', roles: [], created: t0, expiresAt: t0 + hour });
    assert.deepEqual(await store.users.prune({ sessionsExpiredBefore: t0, tokensExpiredBefore: t0 }), { sessions: 0, tokens: 1 });
    const index = admin!.namespace(prefix);
    assert.equal(await index.get('users/newest-token/old%40example.com/signup').string(), null);
    assert.equal(await index.get('users/newest-token/live%40example.com/signup').string(), 'live');
  });

  it('the data version moves when another store commits', async function () {
    const reader = open();
    const writer = open();
    await reader.history.list();
    const before = await waitForValue(() => (reader.dataVersion() > 0 ? reader.dataVersion() : undefined), 5000, 'a first data version');
    await writer.history.append([{ id: 'e1', time: t0, type: 'Cluster Degraded' }]);
    await waitFor(() => reader.dataVersion() > before, 5000, 'the data version to move');
    const own = writer.dataVersion();
    await writer.users.createSession({ idHash: 's-1', email: 'alice@example.com', csrfToken: 'c', created: t0, expiresAt: t0 + 1000 });
    assert.ok(writer.dataVersion() > own, "a store's own commit moves its data version at once");
  });

  it('openStore opens the etcd store the configuration names; the read-only one reads it and refuses writes', async function () {
    assert.ok(server !== undefined);
    const stateDir = mkdtempSync(join(tmpdir(), 'gravity-etcd-store-'));
    let store: Store | undefined;
    let readOnly: Store | undefined;
    try {
      const config = { stateDir, store: { kind: 'etcd' as const, endpoints: [server.endpoint], prefix } };
      store = openStore(config, { clock: { now: () => t0 } });
      await store.history.append([{ id: 'e1', time: t0, type: 'Cluster Degraded' }]);
      readOnly = openStoreReadOnly(config);
      assert.deepEqual(
        (await readOnly.history.list()).map((event) => event.id),
        ['e1'],
      );
      await assert.rejects(async () => readOnly?.history.append([]), (error: unknown) => isGravityError(error, 'E_STORE'));
    } finally {
      await store?.close();
      await readOnly?.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('etcd store while etcd is away', function () {
  this.timeout(90_000);
  let server: EtcdServer | undefined;
  let store: EtcdStore | undefined;

  before(async function () {
    server = await startEtcdServer();
  });

  after(async function () {
    await store?.close();
    await server?.dispose();
  });

  it('reports E_STORE_UNAVAILABLE naming the endpoint while etcd is stopped, and works again when it is back', async function () {
    assert.ok(server !== undefined);
    const running = server;
    store = openEtcdStore({ endpoints: [running.endpoint], prefix: '/gravity-test/away/', clock: { now: () => t0 }, callTimeoutMs: 1000 });
    const live = store;
    await live.history.append([{ id: 'e1', time: t0, type: 'Cluster Degraded' }]);
    await running.stop();

    const unavailable = (error: unknown): boolean => {
      assert.ok(isGravityError(error, 'E_STORE_UNAVAILABLE'), `expected E_STORE_UNAVAILABLE, got ${String(error)}`);
      assert.match(error.message, new RegExp(running.endpoint.replace(/[.]/g, '\\.')));
      return true;
    };
    await assert.rejects(() => live.history.list(), unavailable);
    await assert.rejects(() => live.history.append([{ id: 'e2', time: t0, type: 'Cluster Recovered' }]), unavailable);
    await assert.rejects(() => live.operations.acquireLock(holder('op-1', process.pid, 'host-a')), unavailable);
    await assert.rejects(() => live.users.get('alice@example.com'), unavailable);

    await running.start();
    const events = await waitForValue(
      async () => {
        try {
          return await live.history.list();
        } catch (error) {
          if (isGravityError(error, 'E_STORE_UNAVAILABLE')) return undefined;
          throw error;
        }
      },
      30_000,
      'the store to answer again',
      200,
    );
    assert.deepEqual(
      events.map((event) => event.id),
      ['e1'],
    );
    assert.equal(await live.history.append([{ id: 'e2', time: t0, type: 'Cluster Recovered' }]), 1);
  });
});

describe('etcd store over TLS', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let certificates: EtcdTestCertificates | undefined;
  let server: EtcdServer | undefined;
  const opened: { close(): Promise<void> }[] = [];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'gravity-etcd-tls-'));
    certificates = etcdTestCertificates(dir);
    server = await startEtcdServer({ tls: certificates });
  });

  after(async function () {
    for (const store of opened.splice(0)) await store.close();
    try {
      await server?.dispose();
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works with the CA and a client certificate; without the client certificate etcd refuses it as unavailable', async function () {
    assert.ok(server !== undefined && certificates !== undefined);
    const { ca, clientCert, clientKey } = certificates;
    const store = openEtcdStore({ endpoints: [server.endpoint], prefix: '/gravity-test/tls/', tls: { ca, cert: clientCert, key: clientKey }, clock: { now: () => t0 } });
    opened.push(store);
    assert.equal(await store.history.append([{ id: 'e1', time: t0, type: 'Cluster Degraded' }]), 1);
    assert.deepEqual(
      (await store.history.list()).map((event) => event.id),
      ['e1'],
    );

    const anonymous = openEtcdStore({ endpoints: [server.endpoint], prefix: '/gravity-test/tls/', tls: { ca }, callTimeoutMs: 2000 });
    opened.push(anonymous);
    await assert.rejects(() => anonymous.history.list(), (error: unknown) => isGravityError(error, 'E_STORE_UNAVAILABLE'));
  });

  it('a TLS file that cannot be read is E_STORE naming it, when the store is opened', function () {
    assert.ok(server !== undefined && dir !== undefined);
    const missing = join(dir, 'absent.pem');
    assert.throws(
      () => openEtcdStore({ endpoints: [server!.endpoint], tls: { ca: missing } }),
      (error: unknown) => isGravityError(error, 'E_STORE') && error.message.includes(missing),
    );
  });
});
