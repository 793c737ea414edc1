import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor, fromPromise } from 'xstate';
import { probeMachine } from '../../src/machines/probe.ts';
import type { ProbeInput, RunCheckInput, RunCheckOutput } from '../../src/machines/probe.ts';

const input: ProbeInput = {
  name: 'web',
  checker: 'tcp',
  severity: 'critical',
  intervalMs: 1000,
  timeoutMs: 500,
  failuresBeforeFailed: 1,
  successesBeforeRunning: 1,
  config: { address: '127.0.0.1:1' },
  stateDir: '/tmp',
};

/** A scripted check: each call takes the next outcome; 'hang' never settles. */
function scripted(outcomes: ('pass' | 'fail' | 'hang' | 'throw')[]) {
  const calls: RunCheckInput[] = [];
  const aborted: boolean[] = [];
  const logic = fromPromise<RunCheckOutput, RunCheckInput>(({ input: checkInput, signal }) => {
    calls.push(checkInput);
    const index = calls.length - 1;
    aborted[index] = false;
    signal.addEventListener('abort', () => (aborted[index] = true));
    const outcome = outcomes[Math.min(index, outcomes.length - 1)];
    if (outcome === 'hang') return new Promise(() => undefined);
    if (outcome === 'throw') return Promise.reject(new Error('checker bug'));
    return Promise.resolve(
      outcome === 'pass'
        ? { status: 'running', durationMs: 10, checkedAt: Date.now() }
        : { status: 'failed', error: 'connection refused', durationMs: 10, checkedAt: Date.now() },
    );
  });
  return { logic, calls, aborted };
}

function statusOf(actor: ReturnType<typeof start>['actor']): string {
  const value = actor.getSnapshot().value as { active?: { status: string } } | string;
  return typeof value === 'string' ? value : (value.active?.status ?? 'none');
}

function start(outcomes: ('pass' | 'fail' | 'hang' | 'throw')[], overrides: Partial<ProbeInput> = {}) {
  const check = scripted(outcomes);
  const actor = createActor(probeMachine.provide({ actors: { runCheck: check.logic } }), { input: { ...input, ...overrides } });
  actor.start();
  return { actor, check };
}

describe('machines/probe', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('starts unknown, checks at once, and is running after a pass', async () => {
    const { actor, check } = start(['pass']);
    assert.equal(statusOf(actor), 'unknown');
    await clock.tickAsync(0);
    assert.equal(statusOf(actor), 'running');
    assert.equal(check.calls.length, 1);
    assert.deepEqual(check.calls[0], { checker: 'tcp', config: input.config, timeoutMs: 500, stateDir: '/tmp' });
  });

  it('checks again every interval, measured from the start of the last check', async () => {
    const { check } = start(['pass']);
    await clock.tickAsync(0);
    await clock.tickAsync(989);
    assert.equal(check.calls.length, 1);
    await clock.tickAsync(1);
    assert.equal(check.calls.length, 2);
    await clock.tickAsync(990);
    assert.equal(check.calls.length, 3);
  });

  const damping: { name: string; outcomes: ('pass' | 'fail')[]; failuresBeforeFailed: number; successesBeforeRunning: number; statuses: string[] }[] = [
    { name: 'one failure fails at threshold 1', outcomes: ['pass', 'fail', 'pass'], failuresBeforeFailed: 1, successesBeforeRunning: 1, statuses: ['running', 'failed', 'running'] },
    { name: 'a single blip is absorbed at threshold 2', outcomes: ['pass', 'fail', 'pass', 'fail', 'fail'], failuresBeforeFailed: 2, successesBeforeRunning: 1, statuses: ['running', 'running', 'running', 'running', 'failed'] },
    { name: 'recovery needs 2 passes in a row', outcomes: ['fail', 'pass', 'fail', 'pass', 'pass'], failuresBeforeFailed: 1, successesBeforeRunning: 2, statuses: ['failed', 'failed', 'failed', 'failed', 'running'] },
    { name: 'unknown until the first threshold is met', outcomes: ['fail', 'fail', 'fail'], failuresBeforeFailed: 3, successesBeforeRunning: 1, statuses: ['unknown', 'unknown', 'failed'] },
  ];
  for (const row of damping) {
    it(`flap damping: ${row.name}`, async () => {
      const { actor } = start(row.outcomes, { failuresBeforeFailed: row.failuresBeforeFailed, successesBeforeRunning: row.successesBeforeRunning });
      const seen: string[] = [];
      await clock.tickAsync(0);
      seen.push(statusOf(actor));
      for (let i = 1; i < row.outcomes.length; i += 1) {
        await clock.tickAsync(990);
        seen.push(statusOf(actor));
      }
      assert.deepEqual(seen, row.statuses);
    });
  }

  it('keeps the error while failed and clears it on recovery', async () => {
    const { actor } = start(['fail', 'pass']);
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.error, 'connection refused');
    await clock.tickAsync(990);
    assert.equal(actor.getSnapshot().context.error, undefined);
  });

  it('a check that overruns its deadline is aborted and counts as failed', async () => {
    const { actor, check } = start(['hang', 'pass']);
    await clock.tickAsync(499);
    assert.equal(statusOf(actor), 'unknown');
    await clock.tickAsync(1);
    assert.equal(statusOf(actor), 'failed');
    assert.equal(actor.getSnapshot().context.error, 'check timed out after 500ms');
    assert.equal(check.aborted[0], true, 'the hung check was aborted');
    await clock.tickAsync(500);
    assert.equal(check.calls.length, 2, 'the next check starts one interval after the hung one began');
    assert.equal(statusOf(actor), 'running');
  });

  it('a check that throws is a failed check, not a crashed probe', async () => {
    const { actor } = start(['throw']);
    await clock.tickAsync(0);
    assert.equal(statusOf(actor), 'failed');
    assert.match(actor.getSnapshot().context.error ?? '', /check crashed: checker bug/);
    assert.equal(actor.getSnapshot().status, 'active');
  });

  it('CHECK_NOW runs a check at once; SHUTDOWN stops', async () => {
    const { actor, check } = start(['pass']);
    await clock.tickAsync(0);
    actor.send({ type: 'CHECK_NOW' });
    await clock.tickAsync(0);
    assert.equal(check.calls.length, 2);
    actor.send({ type: 'SHUTDOWN' });
    assert.equal(actor.getSnapshot().status, 'done');
  });
});
