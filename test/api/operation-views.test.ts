// Operations as the panel sends them: summaries with leaf counts and a short description, and one
// operation's plan with its texts cut and, past the budget, its later phases left out and counted,
// the states of the groups shown still those of the whole plan.

import assert from 'node:assert/strict';
import { boundPlan, operationDetail, operationSummary, phaseCounts, planSkeleton } from '../../src/api/operation-views.ts';
import type { PhaseChange, PhaseSpec } from '../../src/plan/types.ts';

function leaf(id: string, description = id): PhaseSpec {
  return { id, description, requires: [], phases: [], executor: { kind: 'hook', hook: 'h' } };
}

const plan: PhaseSpec = {
  id: '/',
  description: 'root',
  requires: [],
  phases: [leaf('/init'), { id: '/masters', description: 'masters', requires: ['/init'], phases: [leaf('/masters/a'), leaf('/masters/b')] }, leaf('/finish')],
};

const changes: PhaseChange[] = [
  { operationId: 'op', phaseId: '/init', state: 'completed', time: 10 },
  { operationId: 'op', phaseId: '/masters/a', state: 'completed', time: 20 },
  { operationId: 'op', phaseId: '/masters/b', state: 'failed', time: 30, error: 'x'.repeat(5_000) },
];

const record = { id: 'op', type: 'custom' as const, description: 'd', state: 'failed' as const, created: 1, updated: 30 };

describe('api/operation-views', () => {
  it('counts the leaves by state from the plan’s ids alone', () => {
    const skeleton = planSkeleton(plan);
    assert.equal(skeleton.phases[1]?.description, '');
    assert.deepEqual(phaseCounts(skeleton, changes), { unstarted: 1, in_progress: 0, completed: 2, failed: 1, rolled_back: 0 });
  });

  it('makes a summary with the description cut to its limit', () => {
    const summary = operationSummary(
      { id: 'op', type: 'custom', state: 'in_progress', created: 1, updated: 2, descriptionHead: 'abcdef', descriptionBytes: 9_000_000 },
      phaseCounts(planSkeleton(plan), []),
      5,
    );
    assert.equal(summary.description, 'abcde… [truncated: 9000000 bytes in all]');
    assert.equal(summary.descriptionBytes, 9_000_000);
    assert.equal(summary.phases.unstarted, 4);
  });

  it('cuts every text of a phase, its executor’s included', () => {
    const long = 'y'.repeat(100);
    const spec: PhaseSpec = {
      id: '/',
      description: long,
      requires: [],
      phases: [
        {
          id: '/run',
          description: long,
          requires: Array.from({ length: 70 }, (_, i) => `/r${i}`),
          node: long,
          phases: [],
          executor: { kind: 'run', argv: [long, 'b'], env: { KEY: long }, shell: false, timeoutMs: 1, retries: 0, retryBackoffMs: 0, workingDir: long },
        },
      ],
    };
    const bounded = boundPlan(spec, { textChars: 10, budgetBytes: 1_000_000 });
    const run = bounded.shown.phases[0];
    assert.ok(run !== undefined);
    assert.match(run.description, /^y{10}… \[truncated: 100 bytes in all\]$/u);
    assert.equal(run.requires.length, 65);
    assert.equal(run.requires[64], '… [truncated: 6 more]');
    assert.ok(run.executor?.kind === 'run');
    assert.match(run.executor.argv[0] ?? '', /^y{10}…/u);
    assert.equal(run.executor.argv[1], 'b');
    assert.match(run.executor.env.KEY ?? '', /^y{10}…/u);
    assert.match(run.executor.workingDir ?? '', /^y{10}…/u);
  });

  it('leaves out the phases past the budget, depth first, and counts them', () => {
    const wide: PhaseSpec = { id: '/', description: 'wide', requires: [], phases: Array.from({ length: 100 }, (_, i) => leaf(`/p${i}`, 'z'.repeat(50))) };
    const bounded = boundPlan(wide, { textChars: 50, budgetBytes: 20 * (120 + 50 * 6 + 120) });
    assert.equal(bounded.phaseCount, 100);
    assert.ok(bounded.omittedPhases > 50 && bounded.omittedPhases < 100, String(bounded.omittedPhases));
    assert.equal(bounded.shown.phases.length + bounded.omittedPhases, 100);
    assert.deepEqual(
      bounded.shown.phases.map((phase) => phase.id),
      wide.phases.slice(0, bounded.shown.phases.length).map((phase) => phase.id),
    );
  });

  it("gives the shown groups the whole plan's states, and cuts the errors", () => {
    // Room for the root, /init and /masters only: /masters' children are left out.
    const bounded = boundPlan(plan, { textChars: 100, budgetBytes: 3 * (120 + 100 * 6 + 130) });
    assert.ok(bounded.omittedPhases > 0);
    const detail = operationDetail(record, bounded, changes, 100);
    const masters = detail.operation.plan.phases.find((phase) => phase.id === '/masters');
    assert.equal(masters?.state, 'failed', 'the state of the whole group, not of the children shown');
    assert.equal(masters?.updated, 30);
    const whole = operationDetail(record, boundPlan(plan, { textChars: 100, budgetBytes: 1_000_000 }), changes, 100);
    const failed = whole.operation.plan.phases[1]?.phases[1];
    assert.equal(failed?.state, 'failed');
    assert.match(failed?.error ?? '', /^x{100}… \[truncated: 5000 bytes in all\]$/u);
    assert.equal(whole.omittedPhases, 0);
    assert.equal(whole.phaseCount, 5);
  });
});
