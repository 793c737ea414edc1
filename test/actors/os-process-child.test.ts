// A long-running command as a supervised child, with real processes: it runs in a registered group
// of its own; its exit is one error report with the code or signal and its last lines; stopping it
// takes SIGTERM where it is obeyed and SIGKILL after the shutdown time where it is not, and resolves
// once the group is gone; a readiness check holds the start, and a process that exits or is not
// ready in time fails the start leaving nothing behind.

import assert from 'node:assert/strict';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { liveProcessGroups } from '../../src/actors/process-groups.ts';
import { keptOutputLines, startOsProcessChild } from '../../src/actors/os-process-child.ts';
import { systemClock } from '../../src/clock.ts';
import { processGroupAlive } from '../../src/processes.ts';
import type { ChildContext, ExitReason, RunningChild } from '../../src/supervisor/child.ts';
import { waitFor } from '../helpers/wait.ts';

function contextFor(exits: ExitReason[]): ChildContext {
  return { path: 'agent/etcd', bus: new InspectionBus(), clock: systemClock, onExit: (reason) => exits.push(reason) };
}

describe('actors/os-process-child', () => {
  const children: RunningChild[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop('brutal');
  });

  it('reports an exit once, as an error with the exit code and the last lines it wrote', async () => {
    const exits: ExitReason[] = [];
    const lines: string[] = [];
    const script = `i=0; while [ $i -lt 60 ]; do echo line-$i; i=$((i+1)); done; echo oops >&2; read -r _ || exit 3`;
    const child = await startOsProcessChild({ argv: ['sh', '-c', script], onLine: (line) => lines.push(line) }, contextFor(exits));
    children.push(child);
    await waitFor(() => exits.length > 0, 5000, 'the exit report');
    const [exit] = exits;
    assert.ok(exit?.kind === 'error');
    assert.match(exit.error.message, /^sh exited with code 3; its last lines:\n/);
    const kept = exit.error.message.split('\n').slice(1);
    assert.equal(kept.length, keptOutputLines);
    assert.equal(kept.at(-1), 'oops');
    assert.equal(kept[0], 'line-11');
    assert.equal(lines.length, 61);
    assert.equal(await child.stop(5000).then((reason) => reason.kind), 'shutdown');
    assert.equal(exits.length, 1);
  });

  it('reports a signal that killed it, and its group is forgotten', async () => {
    const exits: ExitReason[] = [];
    const child = await startOsProcessChild({ argv: ['sleep', '600'] }, contextFor(exits));
    children.push(child);
    const { actorState } = await child.describe();
    const pid = (actorState as { pid: number }).pid;
    assert.ok(liveProcessGroups().some((group) => group.pgid === pid));
    process.kill(pid, 'SIGKILL');
    await waitFor(() => exits.length > 0, 5000, 'the exit report');
    assert.ok(exits[0]?.kind === 'error');
    assert.equal(exits[0].error.message, 'sleep was killed by SIGKILL');
    await waitFor(() => !liveProcessGroups().some((group) => group.pgid === pid), 5000, 'the group to be forgotten');
  });

  it('stops with SIGTERM when the process obeys it, without an exit report', async () => {
    const exits: ExitReason[] = [];
    const child = await startOsProcessChild({ argv: ['sh', '-c', 'sleep 600 & wait'] }, contextFor(exits));
    const pid = ((await child.describe()).actorState as { pid: number }).pid;
    assert.deepEqual(await child.stop(5000), { kind: 'shutdown' });
    assert.equal(processGroupAlive(pid), false);
    assert.ok(!liveProcessGroups().some((group) => group.pgid === pid));
    assert.deepEqual(exits, []);
  });

  it('stops one that traps SIGTERM with SIGKILL once the shutdown time has passed, its whole group gone', async () => {
    const exits: ExitReason[] = [];
    const lines: string[] = [];
    const script = `trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done`;
    const child = await startOsProcessChild({ argv: ['sh', '-c', script], onLine: (line) => lines.push(line) }, contextFor(exits));
    await waitFor(() => lines.includes('ready'), 5000, 'the trap to be set');
    const pid = ((await child.describe()).actorState as { pid: number }).pid;
    const started = Date.now();
    assert.deepEqual(await child.stop(300), { kind: 'shutdown', killed: true });
    assert.ok(Date.now() - started >= 300, 'SIGKILL came before the shutdown time');
    assert.ok(lines.includes('got-term'), 'SIGTERM came first');
    assert.equal(processGroupAlive(pid), false);
    assert.deepEqual(exits, []);
  });

  it('holds the start until the readiness check passes', async () => {
    const exits: ExitReason[] = [];
    const lines: string[] = [];
    let checks = 0;
    const child = await startOsProcessChild(
      {
        argv: ['sh', '-c', 'sleep 0.2; echo up; exec sleep 600'],
        onLine: (line) => lines.push(line),
        ready: async (signal) => waitFor(() => (checks += 1) > 0 && !signal.aborted && lines.includes('up'), 5000, 'up'),
      },
      contextFor(exits),
    );
    children.push(child);
    assert.ok(lines.includes('up'));
    assert.equal(((await child.describe()).actorState as { process: string }).process, 'running');
    assert.ok(checks > 0);
  });

  it('fails the start when the process exits before it is ready, or is not ready in time, leaving no group', async () => {
    const before = liveProcessGroups().length;
    await assert.rejects(
      startOsProcessChild({ argv: ['sh', '-c', 'echo bad flag >&2; exit 2'], ready: () => new Promise(() => undefined) }, contextFor([])),
      /^Error: sh exited with code 2; its last lines:\nbad flag$/,
    );
    await assert.rejects(
      startOsProcessChild({ argv: ['sleep', '600'], ready: () => new Promise(() => undefined), readyTimeoutMs: 200 }, contextFor([])),
      /sleep was not ready within 200 ms/,
    );
    await assert.rejects(startOsProcessChild({ argv: ['/nonexistent/etcd'] }, contextFor([])), /cannot run \/nonexistent\/etcd: .*ENOENT/);
    assert.equal(liveProcessGroups().length, before);
  });
});
