// Runs the Store contract against the embedded SQLite store: a fresh state dir per test, whose
// store's clock reads the contract's time, removed with everything in it after the test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('SQLite', ({ now }) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'gravity-store-contract-'));
  const store = openSqliteStore(stateDir, { clock: { now: () => now } });
  return {
    store,
    close: async () => {
      try {
        await store.close();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
});
