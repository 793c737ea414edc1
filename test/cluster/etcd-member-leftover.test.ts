// A member left running by an agent that was killed is ended by the next start, found by its recorded
// pid and start time (a real detached `sleep` stands for etcd); a recorded pid that is now another
// process, or no record at all, is left alone.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endLeftoverEtcdMember, etcdPidFileName, recordEtcdMember } from '../../src/cluster/etcd-member-leftover.ts';
import { systemClock } from '../../src/clock.ts';
import { processGroupAlive } from '../../src/processes.ts';

describe('cluster/etcd-member-leftover', () => {
  let stateDir: string;
  const started: ChildProcess[] = [];

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'gravity-etcd-leftover-'));
  });
  afterEach(() => {
    for (const child of started.splice(0)) if (child.pid !== undefined && processGroupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  function startGroup(): number {
    const child = spawn('sh', ['-c', 'sleep 600 & wait'], { detached: true, stdio: 'ignore' });
    started.push(child);
    assert.ok(child.pid !== undefined);
    return child.pid;
  }

  it('ends the recorded process group when it still runs; the record is 0600', async () => {
    const pid = startGroup();
    recordEtcdMember(stateDir, pid);
    assert.equal(statSync(path.join(stateDir, etcdPidFileName)).mode & 0o777, 0o600);
    assert.deepEqual(await endLeftoverEtcdMember(stateDir, { graceMs: 2000, clock: systemClock }), { pid, how: 'terminated' });
    assert.equal(processGroupAlive(pid), false);
    assert.equal(await endLeftoverEtcdMember(stateDir, { graceMs: 2000, clock: systemClock }), undefined);
  });

  it('leaves alone a pid that is another process now, and does nothing without a record', async () => {
    const pid = startGroup();
    recordEtcdMember(stateDir, pid);
    const file = path.join(stateDir, etcdPidFileName);
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; startTime: number };
    writeFileSync(file, JSON.stringify({ pid, startTime: recorded.startTime - 1 }));
    assert.equal(await endLeftoverEtcdMember(stateDir, { graceMs: 2000, clock: systemClock }), undefined);
    assert.equal(processGroupAlive(pid), true);
    rmSync(file);
    assert.equal(await endLeftoverEtcdMember(stateDir, { graceMs: 2000, clock: systemClock }), undefined);
    writeFileSync(file, 'not json');
    assert.equal(await endLeftoverEtcdMember(stateDir, { graceMs: 2000, clock: systemClock }), undefined);
  });
});
