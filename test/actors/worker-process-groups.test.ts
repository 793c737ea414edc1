// A worker thread's process groups outlive neither the thread nor the agent: a command probe on a
// real worker thread whose command ignores SIGTERM is announced to the main thread's registry, and
// when the thread is stopped (in order, or terminated at once) the main thread ends the group
// (SIGKILL after the grace), since the thread's own timers die with it.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '../../src/actors/inspection.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { liveProcessGroups } from '../../src/actors/process-groups.ts';
import { liveWorkerThreads, startWorkerChild } from '../../src/actors/worker-child.ts';
import { systemClock } from '../../src/clock.ts';
import type { ProbeInput } from '../../src/machines/probe.ts';
import type { RunningChild } from '../../src/supervisor/child.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { Shutdown } from '../../src/supervisor/spec.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

describe('worker threads: the process groups they start', function () {
  this.timeout(30_000);
  const children: RunningChild[] = [];
  const groups: number[] = [];
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-worker-groups-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.stop('brutal')));
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
      await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone after the test`);
    }
    await waitFor(() => liveWorkerThreads() === 0, 5000, 'every worker thread to exit');
    await waitFor(() => liveProcessGroups().length === 0, 5000, 'the registry to be empty');
  });

  const stops: { name: string; shutdown: Shutdown }[] = [
    { name: 'an orderly stop', shutdown: 1000 },
    { name: 'a brutal stop (the thread is terminated at once)', shutdown: 'brutal' },
  ];
  for (const { name, shutdown } of stops) {
    it(`${name}: a command probe's group that ignores SIGTERM is killed from the main thread`, async () => {
      const pidFile = join(dir, `${String(shutdown)}.pid`);
      const input: ProbeInput = {
        name: 'stubborn',
        checker: 'command',
        severity: 'critical',
        intervalMs: 300_000,
        timeoutMs: 300_000,
        failuresBeforeFailed: 1,
        successesBeforeRunning: 1,
        config: { argv: ['sh', '-c', `trap '' TERM; sleep 100 & echo $$ > ${pidFile}; wait`] },
        stateDir: '/tmp',
      };
      const [spec] = compileSupervisorSpec({
        children: [{ id: 'probe:stubborn', thread: 'worker', start: { actor: 'probe', input: input as unknown as JsonValue } }],
      }).children;
      assert.ok(spec);
      const child = await startWorkerChild(spec, { path: 'agent/probes/probe:stubborn', bus: new InspectionBus(), clock: systemClock, onExit: () => undefined });
      children.push(child);
      const pgid = await waitForValue(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined), 20_000, 'the probe command to run');
      groups.push(pgid);
      await waitFor(() => liveGroupMembers(pgid).some((member) => member.comm === 'sleep'), 5000, "the probe command's sleep");

      await child.stop(shutdown);
      await waitFor(() => liveWorkerThreads() === 0, 5000, 'the worker thread to exit');
      await waitFor(() => liveGroupMembers(pgid).length === 0, 10_000, `the probe's process group ${pgid} to be gone`);
      await waitFor(() => liveProcessGroups().length === 0, 5000, 'the group to be forgotten once gone');
    });
  }
});
