import { strict as assert } from 'node:assert';
import { compileSupervisorSpec, defaultBackoff, validateSupervisorSpec } from '../../src/supervisor/spec.ts';
import { GravityError } from '../../src/errors.ts';
import { idleMachine } from '../../src/machines/idle.ts';

describe('supervisor/spec', () => {
  it('fills in OTP defaults', () => {
    const spec = compileSupervisorSpec({ children: [{ id: 'a', start: { actor: 'idle' } }] });
    assert.equal(spec.strategy, 'one_for_one');
    assert.equal(spec.intensity, 1);
    assert.equal(spec.period, 5);
    assert.deepEqual(spec.backoff, defaultBackoff);
    assert.deepEqual(spec.children[0], {
      id: 'a',
      type: 'worker',
      start: { actor: 'idle' },
      restart: 'permanent',
      shutdown: 5000,
      thread: 'main',
    });
  });

  it('infers a supervisor child from its start, with infinity shutdown', () => {
    const spec = compileSupervisorSpec({
      children: [{ id: 'probes', thread: 'worker', start: { supervisor: { strategy: 'rest_for_one', children: [] } } }],
    });
    const child = spec.children[0]!;
    assert.equal(child.type, 'supervisor');
    assert.equal(child.shutdown, 'infinity');
    assert.equal(child.type === 'supervisor' && child.start.supervisor.strategy, 'rest_for_one');
  });

  it('accepts logic given in code on the main thread', () => {
    const spec = compileSupervisorSpec({ children: [{ id: 'a', start: { logic: idleMachine } }] });
    assert.equal(spec.children.length, 1);
  });

  it('accepts a starter given in code on the main thread only, and refuses one that is not a function', () => {
    const starter = (): Promise<never> => Promise.reject(new Error('not started in this test'));
    const spec = compileSupervisorSpec({ children: [{ id: 'os', start: { starter } }] });
    assert.ok(spec.children[0]?.type === 'worker' && 'starter' in spec.children[0].start);
    assert.deepEqual(validateSupervisorSpec({ children: [{ id: 'os', thread: 'worker', start: { starter } }] }), [
      'spec.children[0](os).start.starter: a starter given in code cannot cross to a worker thread',
    ]);
    assert.deepEqual(validateSupervisorSpec({ children: [{ id: 'os', start: { starter: 'etcd' } }] }), [
      'spec.children[0](os).start.starter: must be a function that starts the child',
    ]);
    assert.deepEqual(validateSupervisorSpec({ children: [{ id: 'os', start: { starter, input: 1 } }] }), [
      'spec.children[0](os).start.input: unknown key (allowed: starter)',
    ]);
  });

  it('reports every problem of a whole tree at once, each with its path', () => {
    const problems = validateSupervisorSpec({
      strategy: 'one_for_some',
      intensity: -1,
      period: 0,
      backoff: { factor: 0.5, jitter: 2, bogus: 1 },
      children: [
        { id: 'a', start: { actor: 'idle' }, restart: 'sometimes' },
        { id: 'a', start: { actor: 'idle' }, shutdown: 'never' },
        { id: 'bad/id', start: {} },
        {
          id: 'w',
          thread: 'worker',
          start: { supervisor: { children: [{ id: 'inner', thread: 'worker', start: { logic: idleMachine } }] } },
        },
        { id: 'x', type: 'supervisor', start: { actor: 'idle' } },
      ],
    });
    const expectFragments = [
      'spec.strategy',
      'spec.intensity',
      'spec.period',
      'spec.backoff.bogus',
      'spec.backoff.factor',
      'spec.backoff.jitter',
      'spec.children[0](a).restart',
      'spec.children[1].id: duplicate',
      'spec.children[1](a).shutdown',
      'spec.children[2](bad/id).id',
      'spec.children[2](bad/id).start',
      'spec.children[3](w).start.supervisor.children[0](inner).thread',
      'spec.children[3](w).start.supervisor.children[0](inner).start.logic',
      'spec.children[4](x).start',
    ];
    for (const fragment of expectFragments) {
      assert.ok(
        problems.some((problem) => problem.startsWith(fragment)),
        `expected a problem at ${fragment}; got:\n${problems.join('\n')}`,
      );
    }
  });

  it('throws E_SPEC_INVALID with the details', () => {
    assert.throws(
      () => compileSupervisorSpec({ children: 'none' }),
      (error: unknown) => error instanceof GravityError && error.code === 'E_SPEC_INVALID' && error.details.length === 1,
    );
  });

  it('refuses non-JSON input for actors started by name', () => {
    const problems = validateSupervisorSpec({ children: [{ id: 'a', start: { actor: 'idle', input: { when: new Date() } } }] });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /spec\.children\[0\]\(a\)\.start\.input/);
  });
});
