import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor } from 'xstate';
import { statusHookMachine, statusHookOutputTail, statusHookTailChars, statusHookTailLines } from '../../src/machines/status-hook.ts';
import { hookJobMachine } from '../../src/machines/hook-job.ts';
import type { HookJob } from '../../src/config/types.ts';
import { fakeHookJob, scriptedHookJob } from '../helpers/fake-hook-job.ts';
import type { ScriptedAttempt } from '../helpers/fake-hook-job.ts';

const job: HookJob = { command: ['/bin/true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };

describe('machines/status-hook', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  function start(attempts: ScriptedAttempt[]) {
    const { logic, attempts: calls } = scriptedHookJob(attempts);
    const actor = createActor(statusHookMachine.provide({ actors: { job: logic } }), { input: { job, intervalMs: 60_000 } }).start();
    return { actor, calls };
  }

  it('runs at once, then every interval, recording each result', async () => {
    const { actor, calls } = start([{ exitCode: 0 }, { exitCode: 1 }]);
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
    const { actor } = start([{ timedOut: true, exitCode: null, signal: 'SIGTERM' }, { reject: 'spawn EACCES' }]);
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.lastResult, 'failed');
    assert.equal(actor.getSnapshot().context.lastMessage, 'hook status exceeded its deadline of 30s');
    await clock.tickAsync(60_000);
    assert.equal(actor.getSnapshot().context.lastMessage, 'hook status failed: spawn EACCES');
    assert.equal(actor.getSnapshot().context.lastResult, 'failed');
    assert.equal(actor.getSnapshot().status, 'active');
  });

  it('a job that breaks (its machine fails) is a failure, and the schedule goes on', async () => {
    const broken = hookJobMachine.provide({
      actions: {
        countAttempt: () => {
          throw new Error('broken job');
        },
      },
    });
    const actor = createActor(statusHookMachine.provide({ actors: { job: broken } }), { input: { job, intervalMs: 60_000 } }).start();
    await clock.tickAsync(0);
    const { context } = actor.getSnapshot();
    assert.equal(context.lastResult, 'failed');
    assert.match(context.lastMessage ?? '', /could not run: .*broken job/);
    assert.equal(actor.getSnapshot().status, 'active');
    assert.deepEqual(actor.getSnapshot().value, 'waiting');
  });

  it('a failed run keeps the end of its output; a run that passes clears it', async () => {
    const { actor } = start([{ exitCode: 3, output: 'checking\ndb down\n' }, { exitCode: 0 }]);
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.lastOutput, 'checking\ndb down');
    await clock.tickAsync(60_000);
    assert.equal(actor.getSnapshot().context.lastOutput, undefined);
  });

  it('each run is the hook-job child `job`, given the job, and stopped with the status hook', async () => {
    const signals: AbortSignal[] = [];
    const inputs: unknown[] = [];
    const logic = fakeHookJob((input, signal) => {
      inputs.push(input);
      signals.push(signal);
      return new Promise(() => undefined);
    });
    const actor = createActor(statusHookMachine.provide({ actors: { job: logic } }), { input: { job, intervalMs: 60_000 } }).start();
    await clock.tickAsync(0);
    const child = actor.getSnapshot().children['job'];
    assert.ok(child !== undefined, 'no job child while running');
    assert.deepEqual(child.getSnapshot().value, { running: 'attempting' });
    assert.deepEqual(inputs, [{ name: 'status', job, attempt: 1, remainingMs: 30_000 }]);
    actor.stop();
    assert.equal(child.getSnapshot().status, 'stopped');
    assert.equal(signals[0]?.aborted, true, 'the attempt was not aborted');
  });

  it('SHUTDOWN during a run stops the job', async () => {
    const signals: AbortSignal[] = [];
    const logic = fakeHookJob((_, signal) => {
      signals.push(signal);
      return new Promise(() => undefined);
    });
    const actor = createActor(statusHookMachine.provide({ actors: { job: logic } }), { input: { job, intervalMs: 60_000 } }).start();
    await clock.tickAsync(0);
    actor.send({ type: 'SHUTDOWN' });
    assert.equal(actor.getSnapshot().status, 'done');
    assert.equal(signals[0]?.aborted, true);
    assert.deepEqual(Object.keys(actor.getSnapshot().children), []);
  });

  it('without a provided job, each run fails with the placeholder\'s message', async () => {
    const actor = createActor(statusHookMachine, { input: { job, intervalMs: 60_000 } }).start();
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().context.lastMessage, 'hook status failed: no process runner was provided for hook attempts');
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
