// The registry of live process groups with real processes: runProcess registers its group while it
// may have a living member; ending the registered groups takes SIGTERM where it is obeyed and SIGKILL
// after the grace where it is not, waits until each group is really gone (asserted from /proc), says
// how each ended, and does not signal a group twice when it is already being ended.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { endProcessGroups, endTrackedProcessGroup, liveProcessGroups, trackProcessGroup, watchProcessGroups } from '../../src/actors/process-groups.ts';
import type { EndedProcessGroup, ProcessGroupChange } from '../../src/actors/process-groups.ts';
import { runProcess } from '../../src/actors/run-process.ts';
import { processGroupAlive } from '../../src/processes.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

describe('process groups: the registry and the end of every group', () => {
  const started: ChildProcess[] = [];
  const released: (() => void)[] = [];

  /** A detached shell running `script` in a group of its own, registered as runProcess would. */
  function startGroup(script: string): number {
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    started.push(child);
    assert.ok(child.pid !== undefined);
    const tracked = trackProcessGroup({ pgid: child.pid, command: `sh -c ${script}` });
    released.push(() => tracked.release());
    return child.pid;
  }

  afterEach(async () => {
    for (const release of released.splice(0)) release();
    for (const child of started.splice(0)) {
      const pgid = child.pid;
      if (pgid === undefined) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
      await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone after the test`);
    }
    assert.deepEqual(liveProcessGroups(), [], 'no test leaves a group registered');
  });

  it('ends every registered group: SIGTERM where it is obeyed, SIGKILL after the grace where not; waits until gone and says how', async () => {
    const obedient = startGroup('sleep 100 & wait');
    const stubborn = startGroup("trap '' TERM; sleep 100 & wait");
    await waitFor(() => liveGroupMembers(obedient).length === 2 && liveGroupMembers(stubborn).length === 2, 5000, 'both groups to run');
    // Let the shells install their trap before the signal comes.
    await waitFor(() => liveGroupMembers(stubborn).some((member) => member.comm === 'sleep'), 5000, 'the stubborn sleep');
    const seen: EndedProcessGroup[] = [];
    const ended = await endProcessGroups({ graceMs: 200, timeoutMs: 5000, onEnded: (group) => seen.push(group) });
    const how = new Map(ended.map((group) => [group.pgid, group.how]));
    assert.equal(how.get(obedient), 'terminated');
    assert.equal(how.get(stubborn), 'killed');
    assert.equal(seen.length, 2, 'one report per group');
    // Gone when it resolved: nothing living is left of either group (zombies waiting for us count as gone).
    assert.equal(processGroupAlive(obedient), false);
    assert.equal(processGroupAlive(stubborn), false);
    assert.deepEqual(liveProcessGroups(), [], 'ended groups are forgotten');
  });

  it('a group already being ended is not signalled twice: a second caller gets the same end', async () => {
    const stubborn = startGroup("trap '' TERM; sleep 100 & wait");
    await waitFor(() => liveGroupMembers(stubborn).some((member) => member.comm === 'sleep'), 5000, 'the stubborn sleep');
    const first = endTrackedProcessGroup(stubborn, { graceMs: 200, timeoutMs: 5000 });
    const [second] = await endProcessGroups({ graceMs: 5000, timeoutMs: 10_000 });
    assert.equal(await first, 'killed');
    assert.deepEqual(second, { pgid: stubborn, command: "sh -c trap '' TERM; sleep 100 & wait", how: 'killed' });
  });

  it('runProcess registers its group while it runs and releases it once nothing of it is left; a watcher sees both', async () => {
    const changes: ProcessGroupChange[] = [];
    const unwatch = watchProcessGroups((change) => changes.push(change));
    try {
      let pgid: number | undefined;
      let gone: number | undefined;
      const controller = new AbortController();
      const running = runProcess({
        argv: ['sh', '-c', 'sleep 100'],
        timeoutMs: 60_000,
        signal: controller.signal,
        onSpawn: (pid) => (pgid = pid),
        onGroupGone: (pid) => (gone = pid),
      });
      const group = await waitForValue(() => pgid, 5000, 'the spawn');
      assert.deepEqual(liveProcessGroups(), [{ pgid: group, command: 'sh -c sleep 100' }]);
      controller.abort();
      await running;
      await waitFor(() => gone === group, 5000, 'the group to be reported gone');
      assert.deepEqual(liveProcessGroups(), []);
      assert.deepEqual(changes, [
        { kind: 'started', group: { pgid: group, command: 'sh -c sleep 100' } },
        { kind: 'gone', pgid: group },
      ]);
    } finally {
      unwatch();
    }
  });
});
