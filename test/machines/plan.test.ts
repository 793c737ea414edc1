// The plan machine on its own, with a fake `runStep` provided: it runs the steps one after another in
// the order given, stops at the first step that fails (the rest never start) and reports how many
// finished, and ABORT stops it at once: the running step's actor is stopped (its signal aborts) and
// no later step starts. Time is sinon's fake clock.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createActor, fromPromise, toPromise } from 'xstate';
import { planMachine } from '../../src/machines/plan.ts';
import type { PlanMachineOutput, PlanStep } from '../../src/machines/plan.ts';

interface StepCall {
  operationId: string;
  step: PlanStep;
  signal: AbortSignal;
}

/** The first leaf a step runs: its first unit's first item, or that of a nested pool. */
function firstLeaf(step: PlanStep | undefined): string {
  const item = step?.units[0]?.[0];
  if (item === undefined) return '';
  return typeof item === 'string' ? item : firstLeaf(item);
}

/** Each step takes `stepMs` on the fake clock; steps whose first leaf is in `failing` reject. */
function start(steps: PlanStep[], options: { stepMs?: number; failing?: string[] } = {}) {
  const calls: StepCall[] = [];
  const ended: string[] = [];
  const runStep = fromPromise<void, { operationId: string; step: PlanStep }>(async ({ input, signal }) => {
    calls.push({ ...input, signal });
    const first = firstLeaf(input.step);
    await new Promise<void>((resolve) => setTimeout(resolve, options.stepMs ?? 1000));
    ended.push(first);
    if (options.failing?.includes(first) === true) throw new Error(`phase "${first}" failed: exit code 1`);
  });
  const actor = createActor(planMachine.provide({ actors: { runStep } }), { input: { operationId: 'op-1', steps } });
  const output = toPromise(actor);
  actor.start();
  return { actor, output, calls, ended, started: () => calls.map((call) => firstLeaf(call.step)) };
}

describe('machines/plan', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  const steps: PlanStep[] = [
    { units: [['/init']], parallel: 1 },
    { units: [['/masters/node-1/drain', '/masters/node-1/upgrade'], ['/masters/node-2/drain']], parallel: 2 },
    { units: [['/finish']], parallel: 1 },
  ];

  const cases: { name: string; steps: PlanStep[]; failing: string[]; started: string[]; output: PlanMachineOutput }[] = [
    { name: 'no steps: completed at once', steps: [], failing: [], started: [], output: { result: 'completed', done: 0 } },
    {
      name: 'every step, in order',
      steps,
      failing: [],
      started: ['/init', '/masters/node-1/drain', '/finish'],
      output: { result: 'completed', done: 3 },
    },
    {
      name: 'a failing first step: nothing after it starts',
      steps,
      failing: ['/init'],
      started: ['/init'],
      output: { result: 'failed', done: 0, error: 'phase "/init" failed: exit code 1' },
    },
    {
      name: 'a failing middle step: the steps before it done, none after',
      steps,
      failing: ['/masters/node-1/drain'],
      started: ['/init', '/masters/node-1/drain'],
      output: { result: 'failed', done: 1, error: 'phase "/masters/node-1/drain" failed: exit code 1' },
    },
    {
      name: 'a failing last step',
      steps,
      failing: ['/finish'],
      started: ['/init', '/masters/node-1/drain', '/finish'],
      output: { result: 'failed', done: 2, error: 'phase "/finish" failed: exit code 1' },
    },
  ];

  for (const { name, steps: planSteps, failing, started, output } of cases) {
    it(name, async () => {
      const run = start(planSteps, { failing });
      await clock.tickAsync(10_000);
      assert.deepEqual(await run.output, output);
      assert.deepEqual(run.started(), started);
      assert.equal(run.actor.getSnapshot().value, output.result);
    });
  }

  it('one step at a time: the next starts only when the one before has ended', async () => {
    const run = start(steps, { stepMs: 1000 });
    await clock.tickAsync(0);
    assert.deepEqual(run.started(), ['/init']);
    await clock.tickAsync(999);
    assert.deepEqual(run.started(), ['/init']);
    await clock.tickAsync(1);
    assert.deepEqual(run.ended, ['/init']);
    assert.deepEqual(run.started(), ['/init', '/masters/node-1/drain']);
    await clock.tickAsync(2000);
    assert.deepEqual(await run.output, { result: 'completed', done: 3 });
  });

  it('each step gets the operation and the whole step (its units and how many run at once)', async () => {
    const run = start(steps, { stepMs: 1 });
    await clock.tickAsync(10);
    await run.output;
    assert.deepEqual(
      run.calls.map(({ operationId, step }) => ({ operationId, step })),
      steps.map((step) => ({ operationId: 'op-1', step })),
    );
  });

  it('ABORT stops the running step (its signal aborts) and starts no other', async () => {
    const run = start(steps, { stepMs: 1000 });
    await clock.tickAsync(1500);
    assert.deepEqual(run.started(), ['/init', '/masters/node-1/drain']);
    const running = run.calls[1]!;
    assert.equal(running.signal.aborted, false);
    run.actor.send({ type: 'ABORT' });
    assert.equal(running.signal.aborted, true);
    assert.equal(run.calls[0]!.signal.aborted, false, 'a finished step is not aborted');
    assert.deepEqual(await run.output, { result: 'aborted', done: 1 });
    await clock.tickAsync(10_000);
    assert.deepEqual(run.started(), ['/init', '/masters/node-1/drain']);
    assert.equal(run.actor.getSnapshot().value, 'aborted');
  });

  it('a step that ends after ABORT changes nothing', async () => {
    const run = start(steps, { stepMs: 1000, failing: ['/init'] });
    await clock.tickAsync(500);
    run.actor.send({ type: 'ABORT' });
    await clock.tickAsync(1000);
    assert.deepEqual(run.ended, ['/init'], 'the fake step ignored its signal and ended');
    assert.deepEqual(await run.output, { result: 'aborted', done: 0 });
  });
});
