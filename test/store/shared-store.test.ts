// The shared store: parts of one agent that take the same state dir's store get one connection,
// and it closes only when the last of them lets go.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeStore } from '../../src/store/index.ts';

describe('shared store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-shared-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every taker the same connection, open until the last release', async () => {
    const health = takeStore({ stateDir: dir });
    const panel = takeStore({ stateDir: join(dir, '.') });
    assert.equal(panel.store, health.store);
    health.release();
    health.release(); // a second release by the same taker changes nothing
    assert.deepEqual(await panel.store.history.list(), [], 'still open for the other taker');
    panel.release();
    await assert.rejects(async () => await panel.store.history.list(), 'closed after the last release');
    const again = takeStore({ stateDir: dir });
    assert.notEqual(again.store, health.store, 'a new taker after the close opens it again');
    assert.deepEqual(await again.store.history.list(), []);
    again.release();
  });
});
