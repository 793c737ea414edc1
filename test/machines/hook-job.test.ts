// The hook-job machine on a fake clock with scripted attempts: Kubernetes Job semantics for retries
// (restartPolicy, backoffLimit, exponential backoff) and the job-wide deadline, and the final output
// a host reads (a result, never a crash).

import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor, fromPromise } from 'xstate';
import type { ProcessOutcome } from '../../src/actors/run-process.ts';
import type { HookJob } from '../../src/config/types.ts';
import { hookJobMachine, retryBackoffMs, tailText } from '../../src/machines/hook-job.ts';
import type { HookJobInput, HookJobOutput, RunAttemptInput } from '../../src/machines/hook-job.ts';

type Step =
  | { exit: number; output?: string; durationMs?: number }
  | { outcome: Partial<ProcessOutcome> }
  | 'hang'
  | 'throw';

const baseJob: HookJob = { command: ['/app/hook'], env: {}, activeDeadlineSeconds: 600, restartPolicy: 'Never', backoffLimit: 0 };

function outcomeOf(step: Exclude<Step, 'hang' | 'throw'>): ProcessOutcome {
  const base: ProcessOutcome = { exitCode: null, signal: null, output: '', timedOut: false, aborted: false, durationMs: 0 };
  if ('exit' in step) return { ...base, exitCode: step.exit, output: step.output ?? '', durationMs: step.durationMs ?? 0 };
  return { ...base, ...step.outcome };
}

/** A scripted runAttempt: attempt n takes step n (the last one repeats). */
function scripted(steps: Step[], startedAt: number) {
  const calls: (RunAttemptInput & { at: number })[] = [];
  const aborted: boolean[] = [];
  const logic = fromPromise<ProcessOutcome, RunAttemptInput>(({ input, signal }) => {
    calls.push({ ...input, at: Date.now() - startedAt });
    const index = calls.length - 1;
    aborted[index] = false;
    signal.addEventListener('abort', () => (aborted[index] = true));
    const step = steps[Math.min(index, steps.length - 1)] ?? 'hang';
    if (step === 'hang') return new Promise<ProcessOutcome>(() => undefined);
    if (step === 'throw') return Promise.reject(new Error('runner exploded\nsecond line'));
    return Promise.resolve(outcomeOf(step));
  });
  return { logic, calls, aborted };
}

interface Case {
  name: string;
  job?: Partial<HookJob>;
  input?: Partial<HookJobInput>;
  steps: Step[];
  /** Expected final output (name is always `status`). */
  expect: Omit<HookJobOutput, 'name' | 'lastOutput'> & { lastOutput?: string };
  /** When each attempt started, ms after the job started. */
  attemptsAt: number[];
  /** The remainingMs each attempt was given. */
  remaining?: number[];
  /** Which attempts were stopped (aborted) by the machine. */
  aborted?: boolean[];
  /** When the job ended, ms after it started. */
  endedAt: number;
}

const cases: Case[] = [
  {
    name: 'succeeds on the first attempt',
    steps: [{ exit: 0, output: 'all good\n' }],
    expect: { result: 'succeeded', attempts: 1, lastExitCode: 0, lastOutput: 'all good\n', message: 'hook status succeeded' },
    attemptsAt: [0],
    remaining: [600_000],
    aborted: [false],
    endedAt: 0,
  },
  {
    name: 'retries with OnFailure (10 s, then 20 s) and then succeeds',
    job: { restartPolicy: 'OnFailure', backoffLimit: 3 },
    steps: [{ exit: 1, output: 'not yet\n' }, { exit: 1 }, { exit: 0 }],
    expect: { result: 'succeeded', attempts: 3, lastExitCode: 0, message: 'hook status succeeded after 3 attempts' },
    attemptsAt: [0, 10_000, 30_000],
    remaining: [600_000, 590_000, 570_000],
    endedAt: 30_000,
  },
  {
    name: 'fails at once with Never, whatever the backoffLimit',
    job: { restartPolicy: 'Never', backoffLimit: 5 },
    steps: [{ exit: 1, output: 'checking\ndatabase unreachable\n\n' }],
    expect: {
      result: 'failed',
      attempts: 1,
      lastExitCode: 1,
      lastOutput: 'checking\ndatabase unreachable\n\n',
      message: 'hook status failed: exit code 1: database unreachable',
    },
    attemptsAt: [0],
    endedAt: 0,
  },
  {
    name: 'fails once backoffLimit retries are used up',
    job: { restartPolicy: 'OnFailure', backoffLimit: 2 },
    steps: [{ exit: 2, output: 'no\n', durationMs: 1000 }],
    expect: { result: 'failed', attempts: 3, lastExitCode: 2, message: 'hook status failed after 3 attempts: exit code 2: no' },
    attemptsAt: [0, 10_000, 30_000],
    // Attempt durations count against the deadline too.
    remaining: [600_000, 589_000, 568_000],
    endedAt: 30_000,
  },
  {
    name: 'with backoffLimit 0 and OnFailure, makes one attempt',
    job: { restartPolicy: 'OnFailure', backoffLimit: 0 },
    steps: [{ exit: 1 }],
    expect: { result: 'failed', attempts: 1, lastExitCode: 1, message: 'hook status failed: exit code 1' },
    attemptsAt: [0],
    endedAt: 0,
  },
  {
    name: 'exceeds its deadline during an attempt, which is stopped',
    job: { activeDeadlineSeconds: 30 },
    steps: ['hang'],
    expect: { result: 'deadline_exceeded', attempts: 1, lastExitCode: null, message: 'hook status exceeded its deadline of 30s' },
    attemptsAt: [0],
    remaining: [30_000],
    aborted: [true],
    endedAt: 30_000,
  },
  {
    name: 'exceeds its deadline while waiting to retry',
    job: { activeDeadlineSeconds: 25, restartPolicy: 'OnFailure', backoffLimit: 5 },
    steps: [{ exit: 1 }],
    expect: { result: 'deadline_exceeded', attempts: 2, lastExitCode: 1, message: 'hook status exceeded its deadline of 25s' },
    attemptsAt: [0, 10_000],
    remaining: [25_000, 15_000],
    aborted: [false, false],
    endedAt: 25_000,
  },
  {
    name: 'exceeds its deadline in a later attempt',
    job: { activeDeadlineSeconds: 25, restartPolicy: 'OnFailure', backoffLimit: 5 },
    steps: [{ exit: 1 }, 'hang'],
    expect: { result: 'deadline_exceeded', attempts: 2, lastExitCode: 1, message: 'hook status exceeded its deadline of 25s' },
    attemptsAt: [0, 10_000],
    aborted: [false, true],
    endedAt: 25_000,
  },
  {
    name: 'uses a configured backoff base and cap',
    job: { restartPolicy: 'OnFailure', backoffLimit: 4 },
    input: { backoffBaseMs: 1000, backoffCapMs: 3000 },
    steps: [{ exit: 1 }],
    expect: { result: 'failed', attempts: 5, lastExitCode: 1, message: 'hook status failed after 5 attempts: exit code 1' },
    attemptsAt: [0, 1000, 3000, 6000, 9000],
    endedAt: 9000,
  },
  {
    name: 'reports a command that cannot be run',
    steps: [{ outcome: { error: 'cannot run /app/hook: no such file or directory (ENOENT)' } }],
    expect: { result: 'failed', attempts: 1, lastExitCode: null, message: 'hook status failed: cannot run /app/hook: no such file or directory (ENOENT)' },
    attemptsAt: [0],
    endedAt: 0,
  },
  {
    name: 'reports a command killed by a signal',
    steps: [{ outcome: { signal: 'SIGSEGV', output: 'segfault\n' } }],
    expect: { result: 'failed', attempts: 1, lastExitCode: null, message: 'hook status failed: killed by SIGSEGV: segfault' },
    attemptsAt: [0],
    endedAt: 0,
  },
  {
    name: "treats the runner's own deadline as the job's",
    job: { activeDeadlineSeconds: 30 },
    steps: [{ outcome: { timedOut: true, signal: 'SIGTERM', durationMs: 29_990 } }],
    expect: { result: 'deadline_exceeded', attempts: 1, lastExitCode: null, message: 'hook status exceeded its deadline of 30s' },
    attemptsAt: [0],
    endedAt: 0,
  },
  {
    name: 'retries a runner that throws, and reports its first line',
    job: { restartPolicy: 'OnFailure', backoffLimit: 1 },
    steps: ['throw'],
    expect: { result: 'failed', attempts: 2, lastExitCode: null, message: 'hook status failed after 2 attempts: runner exploded' },
    attemptsAt: [0, 10_000],
    endedAt: 10_000,
  },
];

describe('machines/hook-job', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  for (const c of cases) {
    it(c.name, async () => {
      const startedAt = Date.now();
      const attempt = scripted(c.steps, startedAt);
      const actor = createActor(hookJobMachine.provide({ actors: { runAttempt: attempt.logic } }), {
        input: { name: 'status', job: { ...baseJob, ...c.job }, ...c.input },
      });
      let endedAt: number | undefined;
      actor.subscribe({ complete: () => (endedAt = Date.now() - startedAt) });
      actor.start();
      await clock.tickAsync(60 * 60_000);

      const snapshot = actor.getSnapshot();
      assert.equal(snapshot.status, 'done');
      assert.ok(snapshot.matches(c.expect.result));
      const output = snapshot.output;
      assert.ok(output !== undefined);
      assert.ok(!('error' in output), 'a failed hook is a result, not a crash');
      const { lastOutput, ...rest } = c.expect;
      assert.deepEqual({ ...output, lastOutput: undefined }, { name: 'status', ...rest, lastOutput: undefined });
      if (lastOutput !== undefined) assert.equal(output.lastOutput, lastOutput);
      assert.deepEqual(attempt.calls.map((call) => call.at), c.attemptsAt);
      assert.deepEqual(attempt.calls.map((call) => call.attempt), c.attemptsAt.map((_, index) => index + 1));
      if (c.remaining !== undefined) assert.deepEqual(attempt.calls.map((call) => call.remainingMs), c.remaining);
      if (c.aborted !== undefined) assert.deepEqual(attempt.aborted, c.aborted);
      assert.equal(endedAt, c.endedAt);
    });
  }

  it('shows running.attempting and running.waiting_to_retry while it runs', async () => {
    const attempt = scripted([{ exit: 1 }, 'hang'], Date.now());
    const actor = createActor(hookJobMachine.provide({ actors: { runAttempt: attempt.logic } }), {
      input: { name: 'status', job: { ...baseJob, restartPolicy: 'OnFailure', backoffLimit: 1 } },
    });
    actor.start();
    await clock.tickAsync(0);
    assert.ok(actor.getSnapshot().matches({ running: 'waiting_to_retry' }));
    await clock.tickAsync(10_000);
    assert.ok(actor.getSnapshot().matches({ running: 'attempting' }));
    assert.equal(actor.getSnapshot().context.attempts, 2);
    actor.stop();
    assert.deepEqual(attempt.aborted, [false, true], 'stopping the job stops its attempt');
  });

  it('waits in pending for START when autoStart is off', async () => {
    const attempt = scripted([{ exit: 0 }], Date.now());
    const actor = createActor(hookJobMachine.provide({ actors: { runAttempt: attempt.logic } }), {
      input: { name: 'pre-update', job: baseJob, autoStart: false },
    });
    actor.start();
    await clock.tickAsync(60_000);
    assert.ok(actor.getSnapshot().matches('pending'));
    assert.equal(attempt.calls.length, 0);
    actor.send({ type: 'START' });
    await clock.tickAsync(0);
    assert.equal(actor.getSnapshot().output?.result, 'succeeded');
  });

  it('runs without a deadline when activeDeadlineSeconds is 0', async () => {
    const attempt = scripted(['hang'], Date.now());
    const actor = createActor(hookJobMachine.provide({ actors: { runAttempt: attempt.logic } }), {
      input: { name: 'status', job: { ...baseJob, activeDeadlineSeconds: 0 } },
    });
    actor.start();
    await clock.tickAsync(24 * 60 * 60_000);
    assert.ok(actor.getSnapshot().matches({ running: 'attempting' }));
    assert.equal(attempt.calls[0]?.remainingMs, Number.POSITIVE_INFINITY);
    actor.stop();
  });

  it('fails every attempt with the placeholder runner', async () => {
    const actor = createActor(hookJobMachine, { input: { name: 'status', job: baseJob } });
    actor.start();
    await clock.tickAsync(0);
    const output = actor.getSnapshot().output;
    assert.equal(output?.result, 'failed');
    assert.match(output?.message ?? '', /no process runner/);
  });

  it('keeps at most 4 KiB of the last output', async () => {
    const attempt = scripted([{ exit: 1, output: `${'x'.repeat(10_000)}\nthe end\n` }], Date.now());
    const actor = createActor(hookJobMachine.provide({ actors: { runAttempt: attempt.logic } }), {
      input: { name: 'status', job: baseJob },
    });
    actor.start();
    await clock.tickAsync(0);
    const output = actor.getSnapshot().output;
    assert.equal(output?.lastOutput.length, 4096);
    assert.ok(output?.lastOutput.endsWith('\nthe end\n'));
    assert.equal(output?.message, 'hook status failed: exit code 1: the end');
  });

  it('backs off 10 s, 20 s, 40 s, ... up to 6 min by default', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 100].map((retry) => retryBackoffMs(retry)),
      [10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 360_000, 360_000, 360_000],
    );
  });

  it('cuts output on a character boundary', () => {
    assert.equal(tailText('aéé', 3), 'é');
    assert.equal(tailText('short', 10), 'short');
  });
});
