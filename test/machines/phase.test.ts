// The phase machine on its own, with fake `record` (the store write) and `runPhase` (the executor)
// provided: the leaf's state is recorded before the effect starts and after it ends, in that order
// (in_progress, then completed / rolled_back, or failed with the executor's error); a store that
// refuses the first write means the effect never runs (notStarted); a store that refuses the last
// write leaves the run reported failed (notRecorded). Time is sinon's fake clock.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createActor, fromPromise, toPromise } from 'xstate';
import { phaseMachine } from '../../src/machines/phase.ts';
import type { PhaseAction, PhaseMachineInput, PhaseMachineOutput, RecordInput } from '../../src/machines/phase.ts';
import type { PhaseState } from '../../src/plan/types.ts';

interface Fakes {
  /** Record calls for these states reject with this message. */
  recordFails?: Partial<Record<PhaseState, string>>;
  /** The effect rejects with this message. */
  runFails?: string;
  /** How long the effect takes, on the fake clock. */
  runMs?: number;
}

function start(action: PhaseAction, fakes: Fakes = {}) {
  const log: string[] = [];
  const record = fromPromise<void, RecordInput>(({ input }) => {
    log.push(`record ${input.phaseId} ${input.state}${input.error === undefined ? '' : ` (${input.error})`}`);
    const failure = fakes.recordFails?.[input.state];
    return failure === undefined ? Promise.resolve() : Promise.reject(new Error(failure));
  });
  const runPhase = fromPromise<void, PhaseMachineInput>(async ({ input }) => {
    log.push(`${input.action} ${input.phaseId}`);
    if (fakes.runMs !== undefined) await new Promise<void>((resolve) => setTimeout(resolve, fakes.runMs));
    log.push(`${input.action} ${input.phaseId} ended`);
    if (fakes.runFails !== undefined) throw new Error(fakes.runFails);
  });
  const actor = createActor(phaseMachine.provide({ actors: { record, runPhase } }), { input: { phaseId: '/masters/node-1/drain', action } });
  const output = toPromise(actor);
  actor.start();
  return { log, actor, output };
}

describe('machines/phase', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  const id = '/masters/node-1/drain';
  const cases: { name: string; action: PhaseAction; fakes: Fakes; log: string[]; final: string; output: PhaseMachineOutput }[] = [
    {
      name: 'execute that succeeds: in_progress, the effect, completed',
      action: 'execute',
      fakes: {},
      log: [`record ${id} in_progress`, `execute ${id}`, `execute ${id} ended`, `record ${id} completed`],
      final: 'succeeded',
      output: { phaseId: id, state: 'completed' },
    },
    {
      name: 'rollback that succeeds: in_progress, the effect, rolled_back',
      action: 'rollback',
      fakes: {},
      log: [`record ${id} in_progress`, `rollback ${id}`, `rollback ${id} ended`, `record ${id} rolled_back`],
      final: 'succeeded',
      output: { phaseId: id, state: 'rolled_back' },
    },
    {
      name: 'execute that fails: failed is recorded with the error',
      action: 'execute',
      fakes: { runFails: 'exit code 3' },
      log: [`record ${id} in_progress`, `execute ${id}`, `execute ${id} ended`, `record ${id} failed (exit code 3)`],
      final: 'failed',
      output: { phaseId: id, state: 'failed', error: 'exit code 3' },
    },
    {
      name: 'rollback that fails: failed is recorded with the error',
      action: 'rollback',
      fakes: { runFails: 'no such file' },
      log: [`record ${id} in_progress`, `rollback ${id}`, `rollback ${id} ended`, `record ${id} failed (no such file)`],
      final: 'failed',
      output: { phaseId: id, state: 'failed', error: 'no such file' },
    },
    {
      name: 'the store refuses in_progress: the effect never runs',
      action: 'execute',
      fakes: { recordFails: { in_progress: 'disk full' } },
      log: [`record ${id} in_progress`],
      final: 'notStarted',
      output: { phaseId: id, state: 'failed', error: 'disk full' },
    },
    {
      name: 'the store refuses in_progress on a rollback: the effect never runs',
      action: 'rollback',
      fakes: { recordFails: { in_progress: 'database is locked' } },
      log: [`record ${id} in_progress`],
      final: 'notStarted',
      output: { phaseId: id, state: 'failed', error: 'database is locked' },
    },
    {
      name: 'the store refuses completed: the run reads failed (not recorded)',
      action: 'execute',
      fakes: { recordFails: { completed: 'disk full' } },
      log: [`record ${id} in_progress`, `execute ${id}`, `execute ${id} ended`, `record ${id} completed`],
      final: 'notRecorded',
      output: { phaseId: id, state: 'failed', error: 'disk full' },
    },
    {
      name: 'the store refuses rolled_back: the run reads failed (not recorded)',
      action: 'rollback',
      fakes: { recordFails: { rolled_back: 'disk full' } },
      log: [`record ${id} in_progress`, `rollback ${id}`, `rollback ${id} ended`, `record ${id} rolled_back`],
      final: 'notRecorded',
      output: { phaseId: id, state: 'failed', error: 'disk full' },
    },
    {
      name: 'the store refuses failed: the run reads failed (not recorded)',
      action: 'execute',
      fakes: { runFails: 'exit code 1', recordFails: { failed: 'disk full' } },
      log: [`record ${id} in_progress`, `execute ${id}`, `execute ${id} ended`, `record ${id} failed (exit code 1)`],
      final: 'notRecorded',
      output: { phaseId: id, state: 'failed', error: 'disk full' },
    },
  ];

  for (const { name, action, fakes, log, final, output } of cases) {
    it(name, async () => {
      const run = start(action, fakes);
      await clock.tickAsync(0);
      assert.deepEqual(await run.output, output);
      assert.deepEqual(run.log, log);
      assert.equal(run.actor.getSnapshot().value, final);
      assert.equal(run.actor.getSnapshot().status, 'done');
    });
  }

  it('in_progress is on record for as long as the effect runs, and the end only after it', async () => {
    const run = start('execute', { runMs: 60_000 });
    await clock.tickAsync(0);
    assert.deepEqual(run.log, [`record ${id} in_progress`, `execute ${id}`]);
    assert.equal(run.actor.getSnapshot().value, 'inProgress');
    await clock.tickAsync(59_999);
    assert.equal(run.log.length, 2);
    assert.equal(run.actor.getSnapshot().status, 'active');
    await clock.tickAsync(1);
    assert.deepEqual(run.log.slice(2), [`execute ${id} ended`, `record ${id} completed`]);
    assert.deepEqual(await run.output, { phaseId: id, state: 'completed' });
  });

  it('the record and the effect get the phase and the action', async () => {
    const inputs: unknown[] = [];
    const record = fromPromise<void, RecordInput>(({ input }) => {
      inputs.push(input);
      return Promise.resolve();
    });
    const runPhase = fromPromise<void, PhaseMachineInput>(({ input }) => {
      inputs.push(input);
      return Promise.resolve();
    });
    const actor = createActor(phaseMachine.provide({ actors: { record, runPhase } }), { input: { phaseId: '/init', action: 'rollback' } });
    const output = toPromise(actor);
    actor.start();
    await clock.tickAsync(0);
    await output;
    assert.deepEqual(inputs, [
      { phaseId: '/init', state: 'in_progress' },
      { phaseId: '/init', action: 'rollback' },
      { phaseId: '/init', state: 'rolled_back' },
    ]);
  });

  it('without provided actors it fails before any effect (the engine must provide them)', async () => {
    const actor = createActor(phaseMachine, { input: { phaseId: '/init', action: 'execute' } });
    const output = toPromise(actor);
    actor.start();
    await clock.tickAsync(0);
    const result = await output;
    assert.equal(result.state, 'failed');
    assert.equal(actor.getSnapshot().value, 'notStarted');
  });
});
