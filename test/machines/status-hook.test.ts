import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor, fromPromise } from 'xstate';
import { statusHookMachine, statusHookOutputTail, statusHookTailChars, statusHookTailLines } from '../../src/machines/status-hook.ts';
import type { HookRunOutput } from '../../src/machines/status-hook.ts';
import type { HookJob } from '../../src/config/types.ts';

const job: HookJob = { command: ['/bin/true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };

describe('machines/status-hook', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  function start(outcomes: (HookRunOutput | 'throw')[]) {
    let calls = 0;
    const runHook = fromPromise<HookRunOutput, HookJob>(() => {
      const outcome = outcomes[Math.min(calls, outcomes.length - 1)]!;
      calls += 1;
      return outcome === 'throw' ? Promise.reject(new Error('spawn EACCES')) : Promise.resolve(outcome);
    });
    const actor = createActor(statusHookMachine.provide({ actors: { runHook } }), { input: { job, intervalMs: 60_000 } }).start();
    return { actor, calls: () => calls };
  }

  it('runs at once, then every interval, recording each result', async () => {
    const { actor, calls } = start([{ result: 'succeeded' }, { result: 'failed', message: 'hook status failed: exit code 1' }]);
    await clock.tickAsync(0);
    assert.equal(calls(), 1);
    assert.equal(actor.getSnapshot().context.lastResult, 'passed');
    await clock.tickAsync(59_999);
    assert.equal(calls(), 1);
    await clock.tickAsync(1);
    assert.equal(calls(), 2);
    const { context } = actor.getSnapshot();
    assert.deepEqual([context.lastResult, context.lastMessage, context.runs], ['failed', 'hook status failed: exit code 1', 2]);
  });

  it('a deadline overrun is a failure; a hook that cannot run at all is a failure too', async () => {
    const { actor } = start([{ result: 'deadline_exceeded', message: 'hook status exceeded its deadline of 30s' }, 'throw']);
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.lastResult, 'failed');
    await clock.tickAsync(60_000);
    assert.match(actor.getSnapshot().context.lastMessage ?? '', /could not run: .*spawn EACCES/);
    assert.equal(actor.getSnapshot().status, 'active');
  });

  it('a failed run keeps the end of its output; a run that passes clears it', async () => {
    const { actor } = start([{ result: 'failed', message: 'hook status failed: exit code 3: db down', output: 'checking\ndb down\n' }, { result: 'succeeded' }]);
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.lastOutput, 'checking\ndb down');
    await clock.tickAsync(60_000);
    assert.equal(actor.getSnapshot().context.lastOutput, undefined);
  });

  it('keeps the end of a failed run\'s output, bounded in lines and characters', () => {
    assert.equal(statusHookOutputTail(undefined), undefined);
    assert.equal(statusHookOutputTail('\n \n'), undefined);
    assert.equal(statusHookOutputTail('a\nb\n\n'), 'a\nb');
    const many = Array.from({ length: 30 }, (_, index) => `line ${index}`).join('\n');
    assert.deepEqual(statusHookOutputTail(many)?.split('\n'), Array.from({ length: statusHookTailLines }, (_, index) => `line ${30 - statusHookTailLines + index}`));
    const long = statusHookOutputTail(`${'x'.repeat(5000)}\nlast`) ?? '';
    assert.equal(long.length, statusHookTailChars);
    assert.ok(long.startsWith('…') && long.endsWith('\nlast'));
  });
});
