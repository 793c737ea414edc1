// `gravity debug inspect` against a real agent process: a memory probe runs on its worker thread;
// following its path prints its snapshots as JSON lines as the checks happen, SIGTERM ends the follow
// with exit 0, and a one-off reading prints the kept records and exits 0.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { cliMain, runCli, spawnTs, waitForAgent } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';

const probePath = 'agent/probes/probe:memory';

function jsonLines(stdout: string): InspectionRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as InspectionRecord);
}

async function stop(spawned: Spawned | undefined): Promise<void> {
  if (spawned === undefined || spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  spawned.child.kill('SIGTERM');
  await spawned.finished;
}

describe('integration: gravity debug inspect (real processes)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  let follower: Spawned | undefined;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-inspect-cli-'));
  });
  afterEach(async () => {
    await stop(follower);
    await stop(agent);
    follower = undefined;
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('follows a probe: its snapshots as JSON lines; SIGTERM ends it with exit 0; without follow the kept records', async () => {
    const config = join(stateDir, 'gravity.yaml');
    writeFileSync(config, ['health: { listen: "127.0.0.1:0" }', 'panel: { enabled: false }', 'probes:', '  - { checker: memory, interval: 1s }', ''].join('\n'));
    agent = spawnTs(cliMain, ['start', '--state-dir', stateDir, '--config', config]);
    await waitForAgent(stateDir, agent);

    follower = spawnTs(cliMain, ['debug', 'inspect', '--state-dir', stateDir, '--actor', probePath, '--follow']);
    const current = follower;
    const probeSnapshots = (): InspectionRecord[] =>
      jsonLines(current.stdout().slice(0, current.stdout().lastIndexOf('\n') + 1)).filter((record) => record.kind === 'snapshot');
    await waitFor(() => probeSnapshots().length >= 2, 20_000, `two snapshot lines of ${probePath}`, 100);
    for (const record of jsonLines(current.stdout().slice(0, current.stdout().lastIndexOf('\n') + 1))) {
      assert.ok(record.path === probePath || record.path.startsWith(`${probePath}/`), record.path);
      assert.equal(typeof record.time, 'number');
    }
    current.child.kill('SIGTERM');
    const finished = await current.finished;
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(finished.stderr, '');

    const once = await runCli(['debug', 'inspect', '--state-dir', stateDir, '--actor', 'agent/probes', '--kinds', 'snapshot']);
    assert.equal(once.code, 0, once.stderr);
    const kept = jsonLines(once.stdout);
    assert.ok(kept.some((record) => record.path === probePath), once.stdout);
    assert.ok(kept.every((record) => record.kind === 'snapshot' && record.path.startsWith('agent/probes')));
  });

  it('without an agent: one error line and exit 3', async () => {
    const result = await runCli(['debug', 'inspect', '--state-dir', stateDir, '--follow']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^error: no agent is running for state dir /);
    assert.equal(result.stdout, '');
  });

  it('refuses an unknown kind as a usage error', async () => {
    const result = await runCli(['debug', 'inspect', '--state-dir', stateDir, '--kinds', 'snapshots']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--kinds/);
  });
});
