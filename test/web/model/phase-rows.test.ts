// Operations as the operations page lists them: newest first, the plan as indented rows, and leaf
// counts per state.

import assert from 'node:assert/strict';
import type { Operation, Phase } from '../../../src/plan/types.ts';
import type { OperationSummary } from '../../../src/api/panel-protocol.ts';
import { leafCounts, newestFirst, phaseRows, phaseStateText, summaryLeaves, summaryVersion } from '../../../src/web/model/phase-rows.ts';

function phase(id: string, state: Phase['state'], phases: Phase[] = []): Phase {
  return { id, description: id, requires: [], state, phases };
}

const plan = phase('/', 'in_progress', [
  phase('/init', 'completed'),
  phase('/masters', 'in_progress', [phase('/masters/node-1', 'in_progress', [phase('/masters/node-1/drain', 'completed'), phase('/masters/node-1/upgrade', 'failed')])]),
  phase('/finish', 'unstarted'),
]);

function operation(id: string, created: number): Operation {
  return { id, type: 'custom', description: id, state: 'in_progress', created, updated: created, plan };
}

describe('web/phase-rows', () => {
  it('lists operations newest first', () => {
    assert.deepEqual(
      newestFirst([operation('a', 1), operation('c', 3), operation('b', 2)]).map((op) => op.id),
      ['c', 'b', 'a'],
    );
  });

  it('indents the plan below its root', () => {
    assert.deepEqual(
      phaseRows(plan).map((row) => `${row.depth} ${row.phase.id}`),
      ['0 /init', '0 /masters', '1 /masters/node-1', '2 /masters/node-1/drain', '2 /masters/node-1/upgrade', '0 /finish'],
    );
  });

  it('counts the leaves by state', () => {
    assert.deepEqual(leafCounts(plan), { unstarted: 1, in_progress: 0, completed: 2, failed: 1, rolled_back: 0 });
    assert.equal(phaseStateText('rolled_back'), 'rolled back');
  });

  it('counts the leaves of a summary, and changes its version when a count, the state or the time does', () => {
    const summary: OperationSummary = {
      id: 'op',
      type: 'custom',
      state: 'in_progress',
      created: 1,
      updated: 2,
      description: 'd',
      descriptionBytes: 1,
      phases: { unstarted: 2, in_progress: 1, completed: 3, failed: 0, rolled_back: 0 },
    };
    assert.equal(summaryLeaves(summary), 6);
    const version = summaryVersion(summary);
    assert.equal(summaryVersion({ ...summary, description: 'other' }), version);
    assert.notEqual(summaryVersion({ ...summary, phases: { ...summary.phases, in_progress: 0, completed: 4 } }), version);
    assert.notEqual(summaryVersion({ ...summary, state: 'failed' }), version);
    assert.notEqual(summaryVersion({ ...summary, updated: 3 }), version);
    assert.notEqual(summaryVersion({ ...summary, rolledBack: true }), version);
  });
});
