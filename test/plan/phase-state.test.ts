// The plan as rebuilt from its definition and changelog: leaf states from the latest change, group
// states by Gravity's rule, and the tree questions the engine asks (leaves, lookup, ancestors,
// dependents, completed / rolled back), plus the checks on phase paths typed by users.

import assert from 'node:assert/strict';
import { isGravityError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';
import {
  ancestors,
  dependents,
  deriveState,
  descendants,
  findPhase,
  getPhase,
  isCompleted,
  isRolledBack,
  leaves,
  normalizePhasePath,
  resolvePlan,
} from '../../src/plan/phase-state.ts';
import type { Phase, PhaseChange, PhaseSpec, PhaseState } from '../../src/plan/types.ts';

function leaf(id: string, requires: string[] = []): PhaseSpec {
  return { id, description: `leaf ${id}`, requires, executor: { kind: 'waitHealthy', timeoutMs: 1000 }, phases: [] };
}

function group(id: string, phases: PhaseSpec[], requires: string[] = []): PhaseSpec {
  return { id, description: `group ${id}`, requires, phases };
}

function change(phaseId: string, state: PhaseState, time: number, error?: string): PhaseChange {
  return { operationId: 'op-1', phaseId, state, time, ...(error === undefined ? {} : { error }) };
}

function throwsCode(action: () => unknown, code: ErrorCode): string {
  try {
    action();
  } catch (error) {
    if (isGravityError(error, code)) return error.message;
    throw error;
  }
  assert.fail(`expected ${code}`);
}

/** /init; /masters (requires /init) with node-1 {drain, upgrade requires drain} and node-2 {drain}; /workers requires /masters; /finish requires /workers/node-3/join; /other. */
const plan: PhaseSpec = group('/', [
  leaf('/init'),
  group(
    '/masters',
    [group('/masters/node-1', [leaf('/masters/node-1/drain'), leaf('/masters/node-1/upgrade', ['/masters/node-1/drain'])]), group('/masters/node-2', [leaf('/masters/node-2/drain')])],
    ['/init'],
  ),
  group('/workers', [group('/workers/node-3', [leaf('/workers/node-3/join')])], ['/masters']),
  leaf('/finish', ['/workers/node-3/join']),
  leaf('/other'),
]);

describe('plan/phase-state', () => {
  describe('deriveState (Gravity GetState)', () => {
    const cases: [PhaseState[], PhaseState][] = [
      [[], 'unstarted'],
      [['unstarted'], 'unstarted'],
      [['unstarted', 'unstarted'], 'unstarted'],
      [['completed', 'completed'], 'completed'],
      [['failed', 'failed'], 'failed'],
      [['rolled_back', 'rolled_back'], 'rolled_back'],
      [['in_progress', 'in_progress'], 'in_progress'],
      [['completed', 'failed'], 'failed'],
      [['in_progress', 'failed'], 'failed'],
      [['rolled_back', 'failed', 'unstarted'], 'failed'],
      [['completed', 'in_progress'], 'in_progress'],
      [['rolled_back', 'in_progress'], 'in_progress'],
      [['rolled_back', 'unstarted'], 'rolled_back'],
      [['unstarted', 'rolled_back', 'rolled_back'], 'rolled_back'],
      [['completed', 'rolled_back'], 'in_progress'],
      [['completed', 'unstarted'], 'in_progress'],
      [['unstarted', 'completed', 'completed'], 'in_progress'],
    ];
    for (const [states, expected] of cases) {
      it(`[${states.join(', ')}] -> ${expected}`, () => assert.equal(deriveState(states), expected));
    }
  });

  describe('resolvePlan', () => {
    it('leaves everything unstarted, without times, when nothing is stored', () => {
      const resolved = resolvePlan(plan, []);
      for (const phase of [resolved, ...descendants(resolved)]) {
        assert.equal(phase.state, 'unstarted', phase.id);
        assert.equal('updated' in phase, false, phase.id);
        assert.equal('error' in phase, false, phase.id);
      }
      assert.deepEqual(
        descendants(resolved).map((phase) => [phase.id, phase.description, phase.requires]),
        descendants(plan).map((phase) => [phase.id, phase.description, phase.requires]),
      );
      assert.deepEqual(findPhase(resolved, '/init')?.executor, { kind: 'waitHealthy', timeoutMs: 1000 });
    });

    it('takes each leaf from its latest change, by time, the later entry on a tie', () => {
      const resolved = resolvePlan(plan, [
        change('/init', 'in_progress', 10),
        change('/init', 'completed', 20),
        change('/masters/node-1/drain', 'completed', 40),
        change('/masters/node-1/drain', 'in_progress', 30),
        change('/masters/node-2/drain', 'in_progress', 50),
        change('/masters/node-2/drain', 'failed', 50, 'exit code 1: boom'),
        change('/other', 'failed', 5, 'first try'),
        change('/other', 'completed', 6),
        change('/nowhere', 'failed', 99),
        change('/masters', 'failed', 99),
      ]);
      const at = (id: string): Phase => getPhase(resolved, id);
      assert.equal(at('/init').state, 'completed');
      assert.equal(at('/init').updated, 20);
      assert.equal(at('/masters/node-1/drain').state, 'completed');
      assert.equal(at('/masters/node-1/drain').updated, 40);
      assert.equal(at('/masters/node-2/drain').state, 'failed');
      assert.equal(at('/masters/node-2/drain').error, 'exit code 1: boom');
      assert.equal(at('/other').state, 'completed');
      assert.equal(at('/other').error, undefined, 'an error is dropped once a later change succeeds');
      assert.equal(at('/masters/node-1/upgrade').state, 'unstarted');
    });

    const groupCases: { name: string; changes: PhaseChange[]; expect: Record<string, PhaseState> }[] = [
      {
        name: 'a group with some leaves completed is in progress',
        changes: [change('/masters/node-1/drain', 'completed', 1)],
        expect: { '/masters/node-1': 'in_progress', '/masters': 'in_progress', '/': 'in_progress', '/workers': 'unstarted' },
      },
      {
        name: 'a failed leaf fails every group above it',
        changes: [change('/masters/node-1/drain', 'completed', 1), change('/masters/node-2/drain', 'failed', 2)],
        expect: { '/masters/node-1': 'in_progress', '/masters/node-2': 'failed', '/masters': 'failed', '/': 'failed' },
      },
      {
        name: 'all leaves completed complete the group',
        changes: [change('/masters/node-1/drain', 'completed', 1), change('/masters/node-1/upgrade', 'completed', 2), change('/masters/node-2/drain', 'completed', 3)],
        expect: { '/masters/node-1': 'completed', '/masters/node-2': 'completed', '/masters': 'completed', '/': 'in_progress' },
      },
      {
        name: 'rolled back and unstarted leaves give a rolled back group',
        changes: [change('/masters/node-1/drain', 'completed', 1), change('/masters/node-1/drain', 'rolled_back', 2)],
        expect: { '/masters/node-1': 'rolled_back', '/masters': 'rolled_back', '/': 'rolled_back' },
      },
      {
        name: 'rolled back next to completed is in progress',
        changes: [change('/masters/node-1/drain', 'rolled_back', 1), change('/masters/node-1/upgrade', 'completed', 2)],
        expect: { '/masters/node-1': 'in_progress', '/masters': 'in_progress' },
      },
    ];
    for (const { name, changes, expect } of groupCases) {
      it(name, () => {
        const resolved = resolvePlan(plan, changes);
        for (const [id, state] of Object.entries(expect)) assert.equal(getPhase(resolved, id).state, state, id);
      });
    }

    it("gives a group the latest of its children's times", () => {
      const resolved = resolvePlan(plan, [change('/masters/node-1/drain', 'completed', 7), change('/masters/node-2/drain', 'completed', 3), change('/init', 'completed', 1)]);
      assert.equal(getPhase(resolved, '/masters/node-1').updated, 7);
      assert.equal(getPhase(resolved, '/masters').updated, 7);
      assert.equal(resolved.updated, 7);
      assert.equal('updated' in getPhase(resolved, '/workers'), false);
    });

    it('does not share arrays with the spec', () => {
      const resolved = resolvePlan(plan, []);
      getPhase(resolved, '/masters').requires.push('/x');
      assert.deepEqual(getPhase(plan, '/masters').requires, ['/init']);
    });
  });

  describe('tree helpers', () => {
    it('lists leaves and descendants in plan order', () => {
      assert.deepEqual(
        leaves(plan).map((phase) => phase.id),
        ['/init', '/masters/node-1/drain', '/masters/node-1/upgrade', '/masters/node-2/drain', '/workers/node-3/join', '/finish', '/other'],
      );
      assert.deepEqual(leaves(getPhase(plan, '/masters/node-2')).map((phase) => phase.id), ['/masters/node-2/drain']);
      assert.deepEqual(leaves(getPhase(plan, '/init')).map((phase) => phase.id), ['/init']);
      assert.deepEqual(descendants(getPhase(plan, '/masters')).map((phase) => phase.id), [
        '/masters/node-1',
        '/masters/node-1/drain',
        '/masters/node-1/upgrade',
        '/masters/node-2',
        '/masters/node-2/drain',
      ]);
    });

    const lookups: [string, string | undefined][] = [
      ['/', '/'],
      ['/init', '/init'],
      ['/masters/node-1/upgrade', '/masters/node-1/upgrade'],
      ['/masters/node-1', '/masters/node-1'],
      ['/masters/node-3', undefined],
      ['/masters/node-1/drain/x', undefined],
      ['/mast', undefined],
      ['/masters/node', undefined],
    ];
    for (const [id, expected] of lookups) {
      it(`findPhase ${id} -> ${expected ?? 'none'}`, () => {
        assert.equal(findPhase(plan, id)?.id, expected);
        if (expected === undefined) assert.match(throwsCode(() => getPhase(plan, id), 'E_PHASE_NOT_FOUND'), /^phase ".*" not found$/u);
      });
    }

    const ancestry: [string, string[]][] = [
      ['/', []],
      ['/init', []],
      ['/masters', []],
      ['/masters/node-1', ['/masters']],
      ['/masters/node-1/drain', ['/masters', '/masters/node-1']],
    ];
    for (const [id, expected] of ancestry) {
      it(`ancestors of ${id}`, () => assert.deepEqual(ancestors(plan, id).map((phase) => phase.id), expected));
    }
    it('ancestors of an unknown phase: E_PHASE_NOT_FOUND', () => {
      throwsCode(() => ancestors(plan, '/nope/x'), 'E_PHASE_NOT_FOUND');
    });
  });

  describe('dependents (Gravity CanRollback, transitively)', () => {
    const cases: [string, string[]][] = [
      // /masters requires /init; /workers requires /masters; /finish requires a leaf of /workers.
      ['/init', ['/masters', '/workers', '/finish']],
      // Requiring a group depends on its phases; requiring a leaf's group depends on the leaf.
      ['/masters/node-1/drain', ['/masters/node-1/upgrade', '/workers', '/finish']],
      ['/masters/node-2/drain', ['/workers', '/finish']],
      ['/masters', ['/workers', '/finish']],
      ['/masters/node-1/upgrade', ['/workers', '/finish']],
      ['/workers', ['/finish']],
      ['/workers/node-3/join', ['/finish']],
      ['/finish', []],
      ['/other', []],
    ];
    for (const [id, expected] of cases) {
      it(`of ${id}: ${expected.join(', ') || 'none'}`, () => assert.deepEqual(dependents(plan, id).map((phase) => phase.id), expected));
    }

    it('follows requirements on phases of a dependent group', () => {
      const tree = group('/', [leaf('/a'), group('/g', [leaf('/g/x')], ['/a']), leaf('/b', ['/g/x']), leaf('/c', ['/b'])]);
      assert.deepEqual(dependents(tree, '/a').map((phase) => phase.id), ['/g', '/b', '/c']);
    });

    it('of an unknown phase: E_PHASE_NOT_FOUND', () => {
      throwsCode(() => dependents(plan, '/nope'), 'E_PHASE_NOT_FOUND');
    });
  });

  describe('isCompleted / isRolledBack', () => {
    const all = leaves(plan).map((phase) => phase.id);
    const every = (state: PhaseState): PhaseChange[] => all.map((id, index) => change(id, state, index));
    const cases: { name: string; changes: PhaseChange[]; completed: boolean; rolledBack: boolean }[] = [
      { name: 'nothing run', changes: [], completed: false, rolledBack: true },
      { name: 'every leaf completed', changes: every('completed'), completed: true, rolledBack: false },
      { name: 'all but one completed', changes: every('completed').slice(1), completed: false, rolledBack: false },
      { name: 'every leaf rolled back', changes: every('rolled_back'), completed: false, rolledBack: true },
      { name: 'some rolled back, the rest unstarted', changes: every('rolled_back').slice(2), completed: false, rolledBack: true },
      { name: 'one failed, the rest rolled back', changes: [...every('rolled_back'), change('/init', 'failed', 100)], completed: false, rolledBack: false },
      { name: 'one in progress', changes: [change('/init', 'in_progress', 1)], completed: false, rolledBack: false },
    ];
    for (const { name, changes, completed, rolledBack } of cases) {
      it(name, () => {
        const resolved = resolvePlan(plan, changes);
        assert.equal(isCompleted(resolved), completed);
        assert.equal(isRolledBack(resolved), rolledBack);
      });
    }
  });

  describe('normalizePhasePath', () => {
    for (const path of ['/', '/init', '/masters/node-1/drain', '/a.b/c_d/E-9']) {
      it(`accepts ${path}`, () => assert.equal(normalizePhasePath(path), path));
    }
    const refused: [string, RegExp][] = [
      ['', /empty/u],
      ['init', /absolute: write "\/init"/u],
      ['/../x', /"\.\." is not allowed/u],
      ['/a/../b', /"\.\." is not allowed/u],
      ['/a/./b', /"\." is not allowed/u],
      ['/a//b', /empty segment/u],
      ['//', /does not end with/u],
      ['/a/', /does not end with/u],
      ['/a b', /letters, digits/u],
      ['/a\n', /letters, digits/u],
      ['/a/b;rm', /letters, digits/u],
      ['/a/-b', /letters, digits/u],
    ];
    for (const [path, reason] of refused) {
      it(`refuses ${JSON.stringify(path)}`, () => {
        const message = throwsCode(() => normalizePhasePath(path), 'E_PHASE_PATH');
        assert.ok(message.startsWith(`invalid phase path ${JSON.stringify(path)}: `), message);
        assert.match(message, reason);
      });
    }
  });
});
