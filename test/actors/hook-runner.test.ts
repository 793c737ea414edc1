// Hooks run as real processes through the hook-job machine: passing, failing, retried with a counter
// file, and hanging past their deadline — killed with their whole process group (asserted from /proc),
// whether the deadline passes or the actor is stopped by whoever hosts it.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor } from 'xstate';
import { hookJobLogic, runHook } from '../../src/actors/hook-runner.ts';
import type { HookJob } from '../../src/config/types.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';

const scope = (): ActorScope => new ActorScope('test/phase', new InspectionBus(), systemClock);

function job(script: string, overrides: Partial<HookJob> = {}): HookJob {
  return { command: ['sh', '-c', script], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0, ...overrides };
}

describe('actors/hook-runner', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'gravity-hook-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Waits until the hook wrote its shell's pid (its process group id) to `pgid` in the temp dir. */
  async function hookGroup(): Promise<number> {
    const file = join(dir, 'pgid');
    return waitForValue(() => {
      if (!existsSync(file)) return undefined;
      const text = readFileSync(file, 'utf8').trim();
      return text === '' ? undefined : Number(text);
    }, 5000, 'the hook to record its process group');
  }

  it('runs a passing hook', async () => {
    const output = await runHook(job('echo "status: $APP_MODE in $(pwd)"', { env: { APP_MODE: 'ready' }, workingDir: dir }), { scope: scope(), name: 'status' });
    assert.equal(output.result, 'succeeded');
    assert.equal(output.attempts, 1);
    assert.equal(output.lastExitCode, 0);
    assert.equal(output.lastOutput, `status: ready in ${dir}\n`);
    assert.equal(output.message, 'hook status succeeded');
  });

  it('reports a failing hook as a result with the last line of its output', async () => {
    const output = await runHook(job('echo checking; echo "database unreachable" >&2; exit 1'), { scope: scope(), name: 'status' });
    assert.equal(output.result, 'failed');
    assert.equal(output.lastExitCode, 1);
    assert.equal(output.message, 'hook status failed: exit code 1: database unreachable');
    assert.ok(!('error' in output));
  });

  it('reports a hook whose program does not exist', async () => {
    const output = await runHook({ ...job(''), command: [join(dir, 'no-such-hook')] }, { scope: scope(), name: 'status' });
    assert.equal(output.result, 'failed');
    assert.match(output.message, /^hook status failed: cannot run .*no-such-hook: .*ENOENT/);
  });

  it('kills a hook that hangs past activeDeadlineSeconds, with its whole process group', async () => {
    const started = Date.now();
    const running = runHook(job(`echo $$ > ${dir}/pgid; sleep 100 & sleep 100`, { activeDeadlineSeconds: 1 }), { scope: scope(), name: 'status' });
    const group = await hookGroup();
    await waitFor(() => liveGroupMembers(group).length >= 3, 5000, 'the hook and its children to run');
    const output = await running;
    assert.equal(output.result, 'deadline_exceeded');
    assert.equal(output.message, 'hook status exceeded its deadline of 1s');
    assert.ok(Date.now() - started < 5000);
    await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
  });

  it('retries an OnFailure hook that fails twice, then passes', async () => {
    const script = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "attempt $n"; [ "$n" -ge 3 ]';
    const output = await runHook(job(script, { workingDir: dir, restartPolicy: 'OnFailure', backoffLimit: 3 }), {
      scope: scope(),
      name: 'status',
      backoffBaseMs: 50,
    });
    assert.equal(output.result, 'succeeded');
    assert.equal(output.attempts, 3);
    assert.equal(output.lastOutput, 'attempt 3\n');
    assert.equal(readFileSync(join(dir, 'count'), 'utf8').trim(), '3');
  });

  it('kills the running attempt when its actor is stopped', async () => {
    const actor = createActor(hookJobLogic(), {
      input: { name: 'status', job: job(`echo $$ > ${dir}/pgid; sleep 100 & sleep 100`) },
    });
    actor.start();
    const group = await hookGroup();
    await waitFor(() => liveGroupMembers(group).length >= 3, 5000, 'the hook and its children to run');
    actor.stop();
    await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
  });

  it('kills the running attempt and rejects when runHook is aborted', async () => {
    const controller = new AbortController();
    const running = runHook(job(`echo $$ > ${dir}/pgid; sleep 100`), { scope: scope(), name: 'status', signal: controller.signal });
    const group = await hookGroup();
    controller.abort(new Error('agent stopping'));
    await assert.rejects(running, /agent stopping/);
    await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
  });
});
