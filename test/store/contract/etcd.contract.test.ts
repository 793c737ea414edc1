// Runs the Store contract against the etcd store: one real etcd for the file (test/helpers/etcd-server.ts),
// a fresh key prefix per test whose store's clock reads the contract's time, its keys deleted after
// the test.

import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { openEtcdStore } from '../../../src/store/etcd/store.ts';
import { startEtcdServer } from '../../helpers/etcd-server.ts';
import type { EtcdServer } from '../../helpers/etcd-server.ts';
import { describeStoreContract } from './store-contract.ts';

describe('etcd store', function () {
  let server: EtcdServer | undefined;
  let admin: Etcd3 | undefined;

  before(async function () {
    this.timeout(30_000);
    server = await startEtcdServer();
    admin = new Etcd3({ hosts: server.endpoint });
  });

  after(async function () {
    admin?.close();
    await server?.dispose();
  });

  describeStoreContract('etcd', ({ now }) => {
    if (server === undefined || admin === undefined) throw new Error('etcd did not start');
    const prefix = `/gravity-test/${randomUUID()}/`;
    const cleaner = admin;
    const store = openEtcdStore({ endpoints: [server.endpoint], prefix, clock: { now: () => now } });
    return {
      store,
      close: async () => {
        try {
          await store.close();
        } finally {
          await cleaner.delete().prefix(prefix).exec();
        }
      },
    };
  });
});
