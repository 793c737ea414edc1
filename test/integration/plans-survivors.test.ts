// A phase's command outlives a `kill -9` of the CLI running it: the real CLI on a real store, real
// processes. `plan resume` must end the survivor before the phase runs again (or, with
// `onSurvivor: wait`, wait for it to end), say so, and never run two copies at once; and a recorded
// pid that now belongs to another process (another start time) must be left alone.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawned } from '../cli/run-cli.ts';
import { processStartTime } from '../../src/processes.ts';
import { openSqliteStore, openSqliteStoreReadOnly } from '../../src/store/sqlite.ts';
import { cliMain, runCli, spawnTs } from '../cli/run-cli.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((line) => line !== '') : [];
}

describe('integration: a phase command that survived its runner (real processes, real store)', function () {
  this.timeout(90_000);
  let dir: string;
  let base: string[];
  const spawned: Spawned[] = [];
  const groups: number[] = [];
  const others: ChildProcess[] = [];
  const gravity = (...args: string[]) => runCli([...base, ...args], { timeoutMs: 60_000 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-survivors-'));
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    base = ['--state-dir', join(dir, 'state'), '--config', join(dir, 'gravity.yaml')];
  });
  afterEach(async () => {
    writeFileSync(join(dir, 'release'), '');
    for (const child of spawned.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.finished;
    }
    // Every copy the phases started, and anything else the test started, is gone before the next test.
    for (const pgid of [...groups.splice(0), ...lines(join(dir, 'pids')).map(Number)]) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
      await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone after the test`);
    }
    for (const child of others.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A phase whose command says whether an earlier copy still runs when it starts, then records its
   * pid (its group's id) and waits for the release file, ignoring SIGTERM; `end` marks a normal end.
   */
  function writePlan(extra: string[] = []): string {
    const script = [
      `for p in $(cat ${dir}/pids 2>/dev/null); do s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); if [ -n "$s" ] && [ "$s" != Z ]; then echo overlap $p >> ${dir}/log; fi; done`,
      `echo $$ >> ${dir}/pids`,
      `echo start $$ >> ${dir}/log`,
      `trap '' TERM`,
      `while [ ! -f ${dir}/release ]; do sleep 0.05; done`,
      `echo end $$ >> ${dir}/log`,
    ].join('; ');
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      ['description: survivors', 'phases:', '  - id: long', '    description: long', `    run: [sh, -c, ${JSON.stringify(script)}]`, ...extra.map((line) => `    ${line}`), ''].join('\n'),
    );
    return planFile;
  }

  /** Runs `plan resume` in the background until the phase's first copy has started, then kill -9s it. */
  async function crashMidPhase(): Promise<number> {
    const runner = spawnTs(cliMain, [...base, 'plan', 'resume']);
    spawned.push(runner);
    const pid = await waitForValue(() => lines(join(dir, 'pids'))[0], 20_000, 'the first copy to start');
    runner.child.kill('SIGKILL');
    await runner.finished;
    const pgid = Number(pid);
    groups.push(pgid);
    return pgid;
  }

  it('kill -9 of the CLI mid-phase: the command runs on; resume kills it (SIGKILL after the grace), says so, and only then starts the phase again', async () => {
    assert.equal((await gravity('plan', 'create', '-f', writePlan())).code, 0);
    const survivor = await crashMidPhase();
    assert.ok(liveGroupMembers(survivor).length > 0, 'the precondition: the phase command survived the kill -9 of its runner');
    const resume = spawnTs(cliMain, [...base, 'plan', 'resume']);
    spawned.push(resume);
    await waitFor(() => lines(join(dir, 'pids')).length === 2, 20_000, 'the second copy to start');
    assert.equal(liveGroupMembers(survivor).length, 0, 'the survivor was gone before the second copy started');
    writeFileSync(join(dir, 'release'), '');
    const resumed = await resume.finished;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`phase /long: killed survivor process group ${survivor} from an earlier run \\(SIGKILL after the grace period\\)`));

    const second = Number(lines(join(dir, 'pids'))[1]);
    assert.deepEqual(lines(join(dir, 'log')), [`start ${survivor}`, `start ${second}`, `end ${second}`], 'one copy at a time; the survivor never ended normally');
    const after = openSqliteStoreReadOnly(join(dir, 'state'));
    try {
      assert.deepEqual(await after.operations.phaseProcesses((await after.operations.last())?.id ?? ''), [], 'the records are cleared once the groups are gone');
    } finally {
      await after.close();
    }
  });

  it('onSurvivor: wait: resume waits for the survivor to end by itself, says so, then runs the phase', async () => {
    assert.equal((await gravity('plan', 'create', '-f', writePlan(['onSurvivor: wait', 'timeout: 5m']))).code, 0);
    const survivor = await crashMidPhase();
    assert.ok(liveGroupMembers(survivor).length > 0, 'the precondition: the phase command survived the kill -9 of its runner');

    const resume = spawnTs(cliMain, [...base, 'plan', 'resume']);
    spawned.push(resume);
    await waitFor(() => resume.stderr().includes(`waiting for survivor process group ${survivor} from an earlier run to end`), 20_000, 'resume to wait');
    assert.ok(liveGroupMembers(survivor).length > 0, 'the survivor is waited for, not killed');
    assert.equal(lines(join(dir, 'pids')).length, 1, 'no second copy while the first runs');
    writeFileSync(join(dir, 'release'), '');
    const resumed = await resume.finished;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`phase /long: survivor process group ${survivor} from an earlier run has ended`));
    const second = Number(lines(join(dir, 'pids'))[1]);
    assert.deepEqual(lines(join(dir, 'log')), [`start ${survivor}`, `end ${survivor}`, `start ${second}`, `end ${second}`]);
  });

  it('a recorded pid that now belongs to another process (another start time) is left alone', async () => {
    assert.equal((await gravity('plan', 'create', '-f', writePlan())).code, 0);
    // Another process, in a group of its own, holding the pid a record names.
    const other = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    others.push(other);
    const otherPid = other.pid;
    assert.ok(otherPid !== undefined);
    groups.push(otherPid);
    const startTime = await waitForValue(() => processStartTime(otherPid), 5000, "the other process's start time");
    const store = openSqliteStore(join(dir, 'state'));
    try {
      const operationId = (await store.operations.last())?.id ?? '';
      // As a crashed run leaves it: the phase in progress, its group recorded, started at another time.
      await store.operations.appendChange({ operationId, phaseId: '/long', state: 'in_progress', time: Date.now() });
      await store.operations.recordPhaseProcess({ operationId, phaseId: '/long', pgid: otherPid, startTime: startTime - 100, hostname: hostname(), since: Date.now() });
    } finally {
      await store.close();
    }

    writeFileSync(join(dir, 'release'), '');
    const resumed = await gravity('plan', 'resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stderr, /survivor process group/);
    assert.equal(liveGroupMembers(otherPid).length, 1, 'the other process still runs');
    assert.equal(other.exitCode, null);
    const view = openSqliteStoreReadOnly(join(dir, 'state'));
    try {
      assert.deepEqual(await view.operations.phaseProcesses((await view.operations.last())?.id ?? ''), [], 'the stale record is cleared');
    } finally {
      await view.close();
    }
  });
});
