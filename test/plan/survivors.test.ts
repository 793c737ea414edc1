// Survivors of a runner that died, with real processes and a real store: what counts as one (alive
// and started when recorded; a reused pid does not), a phase's process group recorded with its start
// time while its command runs and cleared after, and the engine ending a recorded survivor (or waiting
// for it) before it runs the phase again, saying so in its progress.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppManifest } from '../../src/config/types.ts';
import { createOperation, PlanEngine } from '../../src/plan/engine.ts';
import type { ProgressEvent } from '../../src/plan/engine.ts';
import { createPhaseExecutors } from '../../src/plan/executors.ts';
import { isSurvivor } from '../../src/plan/survivors.ts';
import type { PhaseExecutor, PhaseSpec } from '../../src/plan/types.ts';
import { processStartTime } from '../../src/processes.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';

describe('plan/survivors: phase commands that outlived their runner', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteStore;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-survivors-unit-'));
    store = openSqliteStore(dir);
  });
  afterEach(async () => {
    writeFileSync(join(dir, 'release'), '');
    for (const child of children.splice(0)) {
      const pgid = child.pid;
      if (pgid === undefined) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
      await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone after the test`);
    }
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A detached shell in a group of its own that ignores SIGTERM, as a phase command left running. */
  async function startSurvivor(): Promise<{ pgid: number; startTime: number }> {
    const child = spawn('sh', ['-c', "trap '' TERM; sleep 100 & wait"], { detached: true, stdio: 'ignore' });
    children.push(child);
    const pgid = child.pid;
    assert.ok(pgid !== undefined);
    await waitFor(() => liveGroupMembers(pgid).some((member) => member.comm === 'sleep'), 5000, 'the survivor to run');
    const startTime = await waitForValue(() => processStartTime(pgid), 5000, 'its start time');
    return { pgid, startTime };
  }

  function runLeaf(argv: string[], extra: Partial<Extract<PhaseExecutor, { kind: 'run' }>> = {}): PhaseSpec {
    const executor: PhaseExecutor = { kind: 'run', argv, env: {}, shell: false, timeoutMs: 60_000, retries: 0, retryBackoffMs: 0, ...extra };
    return { id: '/', description: 'plan', requires: [], phases: [{ id: '/long', description: 'long', requires: [], executor, phases: [] }] };
  }

  async function engineFor(plan: PhaseSpec, events: ProgressEvent[], app?: AppManifest): Promise<{ engine: PlanEngine; operationId: string }> {
    const operationId = await createOperation(store.operations, { id: randomUUID(), type: 'custom', description: 'survivors', plan, created: Date.now() });
    const engine = await PlanEngine.open({
      store: store.operations,
      runner: createPhaseExecutors({ stateDir: dir, localNode: 'n1', killGraceMs: 100, ...(app === undefined ? {} : { app }) }),
      operationId,
      holder: { pid: process.pid, hostname: hostname() },
      scope: new ActorScope('test/operation', new InspectionBus(), systemClock),
      onProgress: (event) => events.push(event),
      survivorGraceMs: 100,
    });
    return { engine, operationId };
  }

  it('isSurvivor: a live group started at the recorded time is one; another start time (a reused pid) or a dead group is not', async () => {
    const { pgid, startTime } = await startSurvivor();
    assert.equal(isSurvivor({ pgid, startTime }), true);
    assert.equal(isSurvivor({ pgid, startTime: startTime + 1 }), false, 'a pid given to another process since');
    assert.equal(isSurvivor({ pgid }), true, 'without a start time, a live group is taken for it');
    process.kill(-pgid, 'SIGKILL');
    await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, 'the group to be gone');
    assert.equal(isSurvivor({ pgid, startTime }), false);
  });

  it("records a running phase's process group with its start time, and clears it once the group is gone", async () => {
    const pidFile = join(dir, 'pid');
    const events: ProgressEvent[] = [];
    const { engine, operationId } = await engineFor(runLeaf(['sh', '-c', `echo $$ > ${pidFile}; while [ ! -f ${dir}/release ]; do sleep 0.05; done`]), events);
    const running = engine.execute('/long', { force: false });
    const pgid = await waitForValue(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined), 10_000, 'the command to run');
    const [recorded] = await store.operations.phaseProcesses(operationId);
    assert.deepEqual(recorded && { phaseId: recorded.phaseId, pgid: recorded.pgid, startTime: recorded.startTime, hostname: recorded.hostname }, {
      phaseId: '/long',
      pgid,
      startTime: processStartTime(pgid),
      hostname: hostname(),
    });
    writeFileSync(join(dir, 'release'), '');
    await running;
    assert.deepEqual(await store.operations.phaseProcesses(operationId), []);
    assert.deepEqual(events.filter((event) => event.kind === 'survivor'), []);
  });

  it("records a hook phase's attempt the same way", async () => {
    const pidFile = join(dir, 'hook-pid');
    const app: AppManifest = {
      path: join(dir, 'app.yaml'),
      hooks: {
        backup: {
          command: ['sh', '-c', `echo $$ > ${pidFile}; while [ ! -f ${dir}/release ]; do sleep 0.05; done`],
          env: {},
          activeDeadlineSeconds: 60,
          restartPolicy: 'Never',
          backoffLimit: 0,
        },
      },
    };
    const plan: PhaseSpec = { id: '/', description: 'plan', requires: [], phases: [{ id: '/long', description: 'hook', requires: [], executor: { kind: 'hook', hook: 'backup' }, phases: [] }] };
    const { engine, operationId } = await engineFor(plan, [], app);
    const running = engine.execute('/long', { force: false });
    const pgid = await waitForValue(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined), 10_000, 'the hook to run');
    assert.deepEqual(
      (await store.operations.phaseProcesses(operationId)).map((record) => ({ pgid: record.pgid, startTime: record.startTime })),
      [{ pgid, startTime: processStartTime(pgid) }],
    );
    writeFileSync(join(dir, 'release'), '');
    await running;
    assert.deepEqual(await store.operations.phaseProcesses(operationId), []);
  });

  it('kills a recorded survivor (SIGKILL after the grace) before the phase runs again, says so, and clears its record', async () => {
    const { pgid, startTime } = await startSurvivor();
    const overlap = join(dir, 'overlap');
    const events: ProgressEvent[] = [];
    const { engine, operationId } = await engineFor(
      runLeaf(['sh', '-c', `s=$(cut -d' ' -f3 /proc/${pgid}/stat 2>/dev/null); if [ -n "$s" ] && [ "$s" != Z ]; then touch ${overlap}; fi`]),
      events,
    );
    await store.operations.appendChange({ operationId, phaseId: '/long', state: 'in_progress', time: Date.now() });
    await store.operations.recordPhaseProcess({ operationId, phaseId: '/long', pgid, startTime, hostname: hostname(), since: Date.now() });
    await engine.execute('/long', { force: true });
    assert.equal(existsSync(overlap), false, 'the survivor was gone when the command ran');
    assert.equal(liveGroupMembers(pgid).length, 0);
    assert.deepEqual(
      events.filter((event) => event.kind === 'survivor' || event.kind === 'start').map((event) => (event.kind === 'survivor' ? `${event.what} ${event.pgid}` : event.kind)),
      ['start', `killed ${pgid}`],
    );
    assert.deepEqual(await store.operations.phaseProcesses(operationId), []);
    assert.equal((await engine.plan()).phases[0]?.state, 'completed');
  });

  it('onSurvivor: wait waits for the survivor until it ends by itself, then runs the phase', async () => {
    const child = spawn('sh', ['-c', `while [ ! -f ${dir}/release-survivor ]; do sleep 0.05; done`], { detached: true, stdio: 'ignore' });
    children.push(child);
    const pgid = child.pid;
    assert.ok(pgid !== undefined);
    const startTime = await waitForValue(() => processStartTime(pgid), 5000, 'its start time');
    const marker = join(dir, 'ran');
    const events: ProgressEvent[] = [];
    const { engine, operationId } = await engineFor(runLeaf(['touch', marker], { onSurvivor: 'wait', timeoutMs: 60_000 }), events);
    await store.operations.recordPhaseProcess({ operationId, phaseId: '/long', pgid, startTime, hostname: hostname(), since: Date.now() });
    const running = engine.execute('/long', { force: false });
    await waitFor(() => events.some((event) => event.kind === 'survivor' && event.what === 'waiting'), 5000, 'the wait to begin');
    assert.equal(existsSync(marker), false, 'the phase waits');
    writeFileSync(join(dir, 'release-survivor'), '');
    await running;
    assert.ok(existsSync(marker));
    assert.deepEqual(
      events.filter((event) => event.kind === 'survivor').map((event) => (event.kind === 'survivor' ? event.what : '')),
      ['waiting', 'ended'],
    );
  });
});
