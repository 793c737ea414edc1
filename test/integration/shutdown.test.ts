// Stopping the agent leaves no process behind: a real agent runs a command probe (on the probes'
// worker thread) and a status hook (on the main thread) whose commands ignore SIGTERM; SIGTERM to the
// agent must end both process groups (SIGKILL after the grace) before the agent exits, and its log
// must say so, one line per group.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawned } from '../cli/run-cli.ts';
import { logRecords, startConfiguredAgent } from '../cli/run-cli.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

/** The pids a command wrote to its file: the shell (its group's leader) and its background sleep. */
function recordedPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\s+/)
    .filter((word) => /^\d+$/.test(word))
    .map(Number);
}

/** A command that ignores SIGTERM, as does the sleep it waits for, and writes both pids to `file`. */
function stubborn(file: string): string {
  return `trap '' TERM; sleep 317 & echo $$ $! > ${file}; wait`;
}

describe('integration: stopping the agent ends every process group it started (real processes)', function () {
  this.timeout(90_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  const groups: number[] = [];

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-shutdown-'));
  });
  afterEach(async () => {
    if (agent !== undefined && agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    if (agent !== undefined) await agent.finished;
    agent = undefined;
    // Whatever the agent left behind (a failing run) is killed here, so that nothing outlives the test.
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
      await waitFor(() => liveGroupMembers(pgid).length === 0, 5000, `process group ${pgid} to be gone after the test`);
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('SIGTERM: a command probe and a status hook that ignore SIGTERM are killed after the grace, the agent waits for them, and logs each', async () => {
    const probeFile = join(stateDir, 'probe.pids');
    const hookFile = join(stateDir, 'hook.pids');
    writeFileSync(
      join(stateDir, 'app.yaml'),
      ['name: shop', 'version: "1.0.0"', 'hooks:', '  status:', '    job:', `      command: ["sh", "-c", ${JSON.stringify(stubborn(hookFile))}]`, ''].join('\n'),
    );
    agent = await startConfiguredAgent(stateDir, [
      'node: { name: node-1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'app: ./app.yaml',
      'statusHook: { interval: 1m }',
      'probes:',
      `  - { checker: command, name: stubborn, argv: [sh, -c, ${JSON.stringify(stubborn(probeFile))}], interval: 5m, timeout: 5m }`,
    ]);
    const [probeLeader, probeSleep] = await waitForValue(() => (recordedPids(probeFile).length === 2 ? recordedPids(probeFile) : undefined), 20_000, 'the probe to start');
    const [hookLeader, hookSleep] = await waitForValue(() => (recordedPids(hookFile).length === 2 ? recordedPids(hookFile) : undefined), 20_000, 'the hook to start');
    assert.ok(probeLeader !== undefined && probeSleep !== undefined && hookLeader !== undefined && hookSleep !== undefined);
    groups.push(probeLeader, hookLeader);
    // Each command leads its own group, with its sleep in it.
    assert.deepEqual(liveGroupMembers(probeLeader).map((member) => member.pid).sort(), [probeLeader, probeSleep].sort());
    assert.deepEqual(liveGroupMembers(hookLeader).map((member) => member.pid).sort(), [hookLeader, hookSleep].sort());

    agent.child.kill('SIGTERM');
    const finished = await agent.finished;
    assert.equal(finished.code, 0, finished.stderr);
    // The agent has exited: its groups must be gone already (polled, in case /proc lags behind).
    await waitFor(() => liveGroupMembers(probeLeader).length === 0, 5000, `the probe's process group ${probeLeader} to be gone`);
    await waitFor(() => liveGroupMembers(hookLeader).length === 0, 5000, `the hook's process group ${hookLeader} to be gone`);

    const log = logRecords(finished.stdout);
    for (const pgid of [probeLeader, hookLeader]) {
      const lines = log.filter((record) => record.pgid === pgid);
      assert.equal(lines.length, 1, `one log line for process group ${pgid}: ${JSON.stringify(lines)}`);
      assert.equal(lines[0]?.msg, `process group ${pgid} killed after the grace period`);
      assert.equal(lines[0]?.how, 'killed');
    }
    const stopped = log.findIndex((record) => record.msg === 'agent stopped');
    const lastGroup = Math.max(...[probeLeader, hookLeader].map((pgid) => log.findIndex((record) => record.pgid === pgid)));
    assert.ok(stopped > lastGroup, 'the groups were ended before the agent called itself stopped');
  });
});
