// The operations the panel serves, read from a real store: the list and each detail serialized once
// per store version and shared, a plan read from the store once per operation however often it is
// asked for, and an operation the store does not have refused with E_OPERATION_NOT_FOUND.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { panelOperations } from '../../src/api/panel-operations.ts';
import type { OperationDetailResponse, OperationsResponse } from '../../src/api/panel-protocol.ts';
import { isGravityError } from '../../src/errors.ts';
import type { PhaseSpec } from '../../src/plan/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { OperationStore } from '../../src/store/types.ts';

const plan: PhaseSpec = { id: '/', description: 'p', requires: [], phases: [{ id: '/a', description: 'a', requires: [], phases: [], executor: { kind: 'hook', hook: 'h' } }] };

describe('api/panel-operations (real store)', () => {
  let dir: string;
  let store: SqliteStore;
  let version: number;
  let reads: { get: number; headlines: number };
  let operations: OperationStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-panel-operations-'));
    store = openSqliteStore(dir);
    version = 1;
    reads = { get: 0, headlines: 0 };
    operations = {
      ...store.operations,
      get: async (id) => {
        reads.get++;
        return await store.operations.get(id);
      },
      headlines: async (limit, chars) => {
        reads.headlines++;
        return await store.operations.headlines(limit, chars);
      },
    };
    for (let i = 0; i < 25; i++) await store.operations.create({ id: `op-${i}`, type: 'custom', description: `op ${i} ${'d'.repeat(300)}`, created: i, plan });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the newest operations once per store version, reading each plan once', async () => {
    const served = panelOperations({ operations, version: () => version });
    const first = await served.listJson();
    const list = JSON.parse(first) as OperationsResponse;
    assert.equal(list.operations.length, 20);
    assert.equal(list.operations[0]?.id, 'op-24');
    assert.match(list.operations[0]?.description ?? '', /… \[truncated: 306 bytes in all\]$/u);
    assert.equal(await served.listJson(), first);
    assert.equal(await served.list(), await served.list());
    assert.equal(reads.headlines, 1);
    assert.equal(reads.get, 20);
    await store.operations.appendChange({ operationId: 'op-24', phaseId: '/a', state: 'completed', time: 5 });
    version = 2;
    const next = JSON.parse(await served.listJson()) as OperationsResponse;
    assert.equal(next.operations[0]?.phases.completed, 1);
    assert.equal(reads.headlines, 2);
    assert.equal(reads.get, 20, 'plans are written once: read once');
  });

  it('answers one operation’s detail, cached per store version, and refuses an unknown one', async () => {
    const served = panelOperations({ operations, version: () => version });
    const detail = JSON.parse(await served.detailJson('op-3')) as OperationDetailResponse;
    assert.equal(detail.operation.id, 'op-3');
    assert.deepEqual(detail.operation.plan.phases.map((phase) => phase.state), ['unstarted']);
    await served.detailJson('op-3');
    assert.equal(reads.get, 1);
    await store.operations.appendChange({ operationId: 'op-3', phaseId: '/a', state: 'failed', time: 5, error: 'boom' });
    assert.equal((JSON.parse(await served.detailJson('op-3')) as OperationDetailResponse).operation.plan.phases[0]?.state, 'unstarted', 'same version: cached');
    version = 2;
    assert.equal((JSON.parse(await served.detailJson('op-3')) as OperationDetailResponse).operation.plan.phases[0]?.error, 'boom');
    assert.equal(reads.get, 1);
    await assert.rejects(async () => served.detailJson('nope'), (error) => isGravityError(error, 'E_OPERATION_NOT_FOUND'));
  });

  it('sends terminal escapes and control characters in texts as valid JSON', async () => {
    const text = 'red \u001b[31mALERT\u001b[0m\u0000\u0007 bell \ud800 lone';
    await store.operations.create({ id: 'op-ansi', type: 'custom', description: text, created: 100, plan: { ...plan, description: text } });
    const served = panelOperations({ operations, version: () => version });
    // SQLite's text functions stop at a NUL: the summary's head may end there, still as valid JSON.
    const list = JSON.parse(await served.listJson()) as OperationsResponse;
    assert.ok(list.operations[0]?.description.startsWith('red \u001b[31mALERT\u001b[0m'));
    const detail = JSON.parse(await served.detailJson('op-ansi')) as OperationDetailResponse;
    assert.equal(detail.operation.plan.description, text);
  });
});
