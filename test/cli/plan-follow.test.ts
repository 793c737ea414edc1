// Where `plan --follow` sees an operation stand: still running, waiting on a failed phase (for a
// resume or a rollback), or ended. Pure: operations in, statuses out.

import assert from 'node:assert/strict';
import { followStatus } from '../../src/cli/plan-follow.ts';
import type { Operation, Phase, PhaseState } from '../../src/plan/types.ts';

function operation(states: PhaseState[], state: Operation['state'] = 'in_progress', rolledBack?: boolean): Operation {
  const leaf = (phaseState: PhaseState, index: number): Phase => ({ id: `/p${index}`, description: '', requires: [], state: phaseState, phases: [] });
  return {
    id: 'op',
    type: 'custom',
    description: 'd',
    state,
    created: 0,
    updated: 0,
    ...(rolledBack === undefined ? {} : { rolledBack }),
    plan: { id: '/', description: '', requires: [], state: 'in_progress', phases: states.map(leaf) },
  };
}

describe('followStatus', () => {
  it('running while nothing failed, or while phases still run beside a failed one', () => {
    assert.deepEqual(followStatus(operation(['completed', 'unstarted'])), { kind: 'running' });
    assert.deepEqual(followStatus(operation(['failed', 'in_progress'])), { kind: 'running' });
  });
  it('waiting on the first failed phase once nothing runs, while the operation is in progress', () => {
    assert.deepEqual(followStatus(operation(['completed', 'failed', 'unstarted', 'failed'])), { kind: 'waiting', phaseId: '/p1' });
  });
  it('ended: completed, rolled back, or failed without a rollback', () => {
    assert.deepEqual(followStatus(operation(['completed'], 'completed')), { kind: 'completed' });
    assert.deepEqual(followStatus(operation(['rolled_back'], 'failed', true)), { kind: 'rolled back' });
    assert.deepEqual(followStatus(operation(['failed'], 'failed')), { kind: 'failed' });
  });
});
