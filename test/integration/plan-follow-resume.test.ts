// `gravity plan --follow` across a failed phase: started while the operation waits on the failed
// phase, it says so and keeps following; a `plan resume` in another process is followed to its end
// (exit 0), a `gravity rollback` too; SIGTERM ends the follow. Real processes, a real store.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawned } from '../cli/run-cli.ts';
import { cliMain, runCli, spawnTs } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';

describe('integration: plan --follow across a resume (real processes, real store)', function () {
  this.timeout(90_000);
  let dir: string;
  let base: string[];
  const spawned: Spawned[] = [];
  const gravity = (...args: string[]) => runCli([...base, ...args]);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-follow-'));
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    base = ['--state-dir', join(dir, 'state'), '--config', join(dir, 'gravity.yaml')];
    writeFileSync(
      join(dir, 'plan.yaml'),
      [
        'description: fails until the marker exists',
        'phases:',
        '  - id: prep',
        '    description: prepare',
        '    run: ["true"]',
        '  - id: check',
        '    description: needs the marker',
        '    requires: [/prep]',
        `    run: [test, -e, ${join(dir, 'marker')}]`,
        '  - id: done',
        '    description: after the check',
        '    requires: [/check]',
        `    run: [touch, ${join(dir, 'done')}]`,
        '',
      ].join('\n'),
    );
    assert.equal((await gravity('plan', 'create', '-f', join(dir, 'plan.yaml'))).code, 0);
    const failed = await gravity('plan', 'resume');
    assert.equal(failed.code, 4, failed.stderr);
  });
  afterEach(async () => {
    for (const child of spawned.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.finished;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `plan --follow` and waits until it says the operation waits on /check (failing if it ends first). */
  async function waitingFollower(): Promise<Spawned> {
    const follower = spawnTs(cliMain, [...base, 'plan', '--follow']);
    spawned.push(follower);
    await waitFor(
      () => {
        if (follower.child.exitCode !== null) throw new Error(`the follower ended (code ${String(follower.child.exitCode)}):\n${follower.stdout()}\n${follower.stderr()}`);
        return /is waiting on the failed phase \/check: run 'gravity plan resume' or 'gravity rollback'$/m.test(follower.stdout());
      },
      20_000,
      'the follower to say the operation waits on /check',
    );
    return follower;
  }

  it('follows a resume typed in another process to its end: the resumed phases, then completed, exit 0', async () => {
    const follower = await waitingFollower();
    writeFileSync(join(dir, 'marker'), '');
    const resumed = await gravity('plan', 'resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    const followed = await follower.finished;
    assert.equal(followed.code, 0, followed.stderr);
    const out = followed.stdout;
    const order = [
      /\] Phase \/check is failed$/m,
      /is waiting on the failed phase \/check/m,
      /\] Phase \/check is completed$/m,
      /\] Phase \/done is completed$/m,
      /\tOperation plan is completed$/m,
    ].map((pattern) => {
      const found = pattern.exec(out);
      assert.ok(found !== null, `${String(pattern)} in:\n${out}`);
      return found.index;
    });
    assert.deepEqual([...order].sort((a, b) => a - b), order, `in this order:\n${out}`);
    assert.equal((out.match(/is waiting on the failed phase/g) ?? []).length, 1, 'said once');
  });

  it('follows a rollback to its end (rolled back, exit 0); a follow of the ended operation exits at once', async () => {
    const follower = await waitingFollower();
    const rolled = await gravity('rollback', '--confirm');
    assert.equal(rolled.code, 0, rolled.stderr);
    const followed = await follower.finished;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /\] Phase \/prep is rolled_back$/m);
    assert.match(followed.stdout, /\tOperation plan is rolled back$/m);
    const again = await gravity('plan', '--follow');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\tOperation plan is rolled back$/m);
    assert.doesNotMatch(again.stdout, /is waiting/);
  });

  it('SIGTERM ends a waiting follow (exit 143, no error)', async () => {
    const follower = await waitingFollower();
    follower.child.kill('SIGTERM');
    const ended = await follower.finished;
    assert.equal(ended.code, 143, ended.stderr);
    assert.equal(ended.stderr, '');
  });
});
