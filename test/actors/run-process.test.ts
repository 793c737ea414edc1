// runProcess with real processes: exit codes and signals, bounded output, env and cwd, spawn errors,
// and the guarantee hooks and command probes rely on: at the deadline, on abort, or when the command
// exits, its whole process group is gone (asserted from /proc).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, truncatedMarker } from '../../src/actors/run-process.ts';
import { processStartTime } from '../../src/processes.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

async function assertGroupGone(pgid: number): Promise<void> {
  await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone`);
}

describe('runProcess', () => {
  let dir: string;
  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'gravity-run-process-')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const exits: { name: string; argv: string[]; exitCode: number | null; signal: NodeJS.Signals | null; output: string }[] = [
    { name: 'success', argv: ['sh', '-c', 'echo hello'], exitCode: 0, signal: null, output: 'hello\n' },
    { name: 'a failing exit code', argv: ['sh', '-c', 'echo broken >&2; exit 3'], exitCode: 3, signal: null, output: 'broken\n' },
    { name: 'death by a signal', argv: ['sh', '-c', 'kill -KILL $$'], exitCode: null, signal: 'SIGKILL', output: '' },
    { name: 'no output', argv: ['true'], exitCode: 0, signal: null, output: '' },
  ];
  for (const { name, argv, exitCode, signal, output } of exits) {
    it(`reports ${name}`, async () => {
      const outcome = await runProcess({ argv, timeoutMs: 10_000 });
      assert.equal(outcome.exitCode, exitCode);
      assert.equal(outcome.signal, signal);
      assert.equal(outcome.output, output);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.aborted, false);
      assert.equal(outcome.error, undefined);
      assert.ok(outcome.durationMs >= 0);
      assert.equal(typeof outcome.pid, 'number');
    });
  }

  it('interleaves stdout and stderr', async () => {
    const outcome = await runProcess({ argv: ['sh', '-c', 'echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three'], timeoutMs: 10_000 });
    assert.equal(outcome.output, 'one\ntwo\nthree\n');
  });

  it('keeps the last maxOutputBytes of a long output, marked as truncated', async () => {
    const outcome = await runProcess({ argv: ['sh', '-c', "head -c 10000 /dev/zero | tr '\\0' a; echo; echo END"], timeoutMs: 10_000 });
    assert.ok(outcome.output.startsWith(`${truncatedMarker}\n`), outcome.output.slice(0, 40));
    assert.ok(outcome.output.endsWith('a\nEND\n'));
    assert.equal(Buffer.byteLength(outcome.output.slice(truncatedMarker.length + 1)), 4096);
  });

  it('honours a smaller maxOutputBytes and does not split a UTF-8 character', async () => {
    const outcome = await runProcess({ argv: ['sh', '-c', 'printf "ééééééééé"'], timeoutMs: 10_000, maxOutputBytes: 5 });
    assert.equal(outcome.output, `${truncatedMarker}\néé`);
  });

  it('passes env on top of the inherited environment, and runs in cwd', async () => {
    const outcome = await runProcess({
      argv: ['sh', '-c', 'echo "$GRAVITY_TEST_VAR"; pwd; test -n "$PATH" && echo has-path'],
      env: { GRAVITY_TEST_VAR: 'from-env' },
      cwd: dir,
      timeoutMs: 10_000,
    });
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.output, `from-env\n${dir}\nhas-path\n`);
  });

  it('gives a one-line error for a program that does not exist', async () => {
    const outcome = await runProcess({ argv: ['/nonexistent/gravity-test-program', 'x'], timeoutMs: 10_000 });
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.signal, null);
    assert.ok(outcome.error !== undefined);
    assert.match(outcome.error, /ENOENT/);
    assert.ok(!outcome.error.includes('\n'));
  });

  it('names a working directory that does not exist', async () => {
    const outcome = await runProcess({ argv: ['true'], cwd: join(dir, 'missing'), timeoutMs: 10_000 });
    assert.match(outcome.error ?? '', /working directory .*missing does not exist/);
  });

  it('refuses an empty command without throwing', async () => {
    const outcome = await runProcess({ argv: [], timeoutMs: 10_000 });
    assert.match(outcome.error ?? '', /empty command/);
  });

  it('kills a hanging command and its grandchildren at the deadline', async () => {
    let pgid: number | undefined;
    const running = runProcess({
      argv: ['sh', '-c', 'echo started; sleep 100 & sleep 100'],
      timeoutMs: 400,
      onSpawn: (pid) => (pgid = pid),
    });
    const group = await waitForValue(() => pgid, 5000, 'the spawn');
    await waitFor(() => liveGroupMembers(group).length >= 3, 5000, 'sh and both sleeps to run');
    const outcome = await running;
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.aborted, false);
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.signal, 'SIGTERM');
    assert.equal(outcome.output, 'started\n');
    assert.equal(outcome.pid, group);
    await assertGroupGone(group);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const outcome = await runProcess({
      argv: ['sh', '-c', 'trap "" TERM; sleep 100 & sleep 100'],
      timeoutMs: 200,
      killGraceMs: 200,
    });
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.signal, 'SIGKILL');
    assert.ok(outcome.durationMs >= 350, `took ${outcome.durationMs} ms`);
    assert.ok(outcome.pid !== undefined);
    await assertGroupGone(outcome.pid);
  });

  it('kills the group when aborted', async () => {
    const controller = new AbortController();
    let pgid: number | undefined;
    const running = runProcess({
      argv: ['sh', '-c', 'sleep 100 & sleep 100'],
      timeoutMs: 60_000,
      signal: controller.signal,
      onSpawn: (pid) => (pgid = pid),
    });
    const group = await waitForValue(() => pgid, 5000, 'the spawn');
    await waitFor(() => liveGroupMembers(group).length >= 3, 5000, 'sh and both sleeps to run');
    controller.abort();
    const outcome = await running;
    assert.equal(outcome.aborted, true);
    assert.equal(outcome.timedOut, false);
    assert.equal(outcome.signal, 'SIGTERM');
    await assertGroupGone(group);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await runProcess({ argv: ['sh', '-c', 'exit 0'], timeoutMs: 10_000, signal: controller.signal });
    assert.equal(outcome.aborted, true);
    assert.equal(outcome.pid, undefined);
  });

  it('ends what a finished command left running in its group', async () => {
    const outcome = await runProcess({ argv: ['sh', '-c', 'sleep 100 & echo done'], timeoutMs: 60_000 });
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.output, 'done\n');
    assert.equal(outcome.timedOut, false);
    assert.ok(outcome.durationMs < 5000);
    assert.ok(outcome.pid !== undefined);
    await assertGroupGone(outcome.pid);
  });

  it('treats a zero deadline as already passed', async () => {
    const outcome = await runProcess({ argv: ['true'], timeoutMs: 0 });
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.pid, undefined);
  });

  describe('beforeCommand: the command runs only once its caller has recorded it', () => {
    it('is called with the pid and its start time while only the gate runs; the command runs once it returns', async () => {
      const marker = join(dir, 'gated-marker');
      let seen: { pid: number; startTime: number | undefined; actual: number | undefined; cmdline: string; markerBefore: boolean } | undefined;
      const outcome = await runProcess({
        argv: ['sh', '-c', `touch ${marker}; echo ran`],
        timeoutMs: 10_000,
        beforeCommand: ({ pid, startTime }) => {
          seen = { pid, startTime, actual: processStartTime(pid), cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8'), markerBefore: existsSync(marker) };
        },
      });
      assert.ok(seen !== undefined);
      assert.equal(seen.markerBefore, false, 'nothing ran before beforeCommand returned');
      assert.match(seen.cmdline, /gravity-gate/, 'the process is the gate until it is opened');
      assert.equal(seen.startTime, seen.actual);
      assert.equal(typeof seen.startTime, 'number');
      assert.equal(outcome.exitCode, 0);
      assert.equal(outcome.output, 'ran\n');
      assert.equal(outcome.pid, seen.pid, 'the command kept the gate\'s pid and group');
      assert.ok(existsSync(marker));
    });

    it('a beforeCommand that throws: nothing runs, and the outcome says why', async () => {
      const marker = join(dir, 'never-marker');
      const outcome = await runProcess({
        argv: ['touch', marker],
        timeoutMs: 10_000,
        beforeCommand: () => {
          throw new Error('disk full');
        },
      });
      assert.equal(outcome.error, 'cannot record the command before it runs: disk full');
      assert.equal(existsSync(marker), false);
      assert.ok(outcome.pid !== undefined);
      await assertGroupGone(outcome.pid);
    });

    it('a program that does not exist, or a missing working directory, fails as it does without the gate', async () => {
      const recorded: number[] = [];
      const missing = await runProcess({ argv: ['no-such-gravity-program'], timeoutMs: 10_000, beforeCommand: ({ pid }) => void recorded.push(pid) });
      assert.equal(missing.error, 'cannot run no-such-gravity-program: no such file or directory (ENOENT)');
      const noDir = await runProcess({ argv: ['true'], cwd: join(dir, 'missing'), timeoutMs: 10_000, beforeCommand: ({ pid }) => void recorded.push(pid) });
      assert.match(noDir.error ?? '', /working directory .*missing does not exist/);
      assert.deepEqual(recorded, [], 'nothing was started, so nothing was recorded');
    });

    it('reports the group gone (onGroupGone) once nothing of it is left, after the outcome when something lingered', async () => {
      const gone: number[] = [];
      const outcome = await runProcess({
        argv: ['sh', '-c', "trap '' TERM; (trap '' TERM; sleep 100) & exit 0"],
        timeoutMs: 10_000,
        killGraceMs: 100,
        beforeCommand: () => undefined,
        onGroupGone: (pid) => gone.push(pid),
      });
      assert.equal(outcome.exitCode, 0);
      assert.ok(outcome.pid !== undefined);
      const pid = outcome.pid;
      await waitFor(() => gone.length === 1, 5000, 'the group to be reported gone');
      assert.deepEqual(gone, [pid]);
      assert.equal(liveGroupMembers(pid).length, 0);
    });
  });
});
