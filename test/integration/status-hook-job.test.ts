// The status hook's job as an actor of the tree, end to end: a real agent runs an application's status
// hook; while a run is in progress `gravity debug tree` lists it as the `job` child of `hook:status`
// (with its attempt below it), and `gravity debug inspect` follows its records under
// `agent/hook:status/job`.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import type { TreeView } from '../../src/cli/format-tree.ts';
import type { TreeNodeInfo } from '../../src/supervisor/child.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { cliMain, killAgent, runCli, spawnTs, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

const hookPath = 'agent/hook:status';
const jobPath = `${hookPath}/job`;

function jsonLines(stdout: string): InspectionRecord[] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as InspectionRecord);
}

async function hookNode(stateDir: string): Promise<TreeNodeInfo | undefined> {
  const result = await runCli(['debug', 'tree', '--state-dir', stateDir, '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  const view = JSON.parse(result.stdout) as TreeView;
  return view.root.children?.find((node) => node.path === hookPath) as TreeNodeInfo | undefined;
}

describe("integration: the status hook's job is the child job of hook:status (real agent)", function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  let follower: Spawned | undefined;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-hookjob-'));
  });
  afterEach(async () => {
    if (follower !== undefined && follower.child.exitCode === null && follower.child.signalCode === null) follower.child.kill('SIGTERM');
    await follower?.finished;
    follower = undefined;
    await killAgent(agent);
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('debug tree lists the running job and its attempt; debug inspect follows the records under its path', async () => {
    const hold = join(stateDir, 'hold');
    const pidFile = join(stateDir, 'hook.pid');
    writeFileSync(hold, '');
    writeFileSync(
      join(stateDir, 'app.yaml'),
      [
        'name: shop',
        'hooks:',
        '  status:',
        '    job:',
        `      command: ["sh", "-c", "echo $$ > ${pidFile}; while [ -f ${hold} ]; do sleep 0.05; done"]`,
        '      activeDeadlineSeconds: 50',
        '',
      ].join('\n'),
    );
    agent = await startConfiguredAgent(stateDir, [
      'cluster: { name: prod }',
      'node: { name: node-1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'app: ./app.yaml',
      'statusHook: { interval: 1s }',
    ]);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 20_000, 'the hook command to start', 50);

    // The first run holds: the tree shows it below the status hook.
    const running = await waitForValue(async () => {
      const node = await hookNode(stateDir);
      return node?.children === undefined ? undefined : node;
    }, 10_000, 'the job in the tree', 100);
    assert.equal(running.actorState, 'running');
    const [job] = running.children ?? [];
    assert.deepEqual(
      { id: job?.id, path: job?.path, state: job?.state, actor: job?.actor, actorState: job?.actorState, restart: job?.restart },
      { id: 'job', path: jobPath, state: 'running', actor: 'hook-job', actorState: { running: 'attempting' }, restart: 'temporary' },
    );
    assert.deepEqual(job?.children?.map((node) => [node.path, node.state]), [[`${jobPath}/attempt`, 'running']]);
    const text = await runCli(['debug', 'tree', '--state-dir', stateDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^[├└]── hook:status\s+running\s+main\s+restarts=0 .*actor=running$/m);
    assert.match(text.stdout, /^[│ ] {3}└── job\s+running\s+main\s+restarts=0\s+actor=running\.attempting$/m);
    assert.match(text.stdout, /^[│ ] {7}└── attempt\s+running\s+main\s+restarts=0$/m);

    // Let it finish: the next runs (one a second, each to its end) are records under its path.
    follower = spawnTs(cliMain, ['debug', 'inspect', '--state-dir', stateDir, '--actor', jobPath, '--follow']);
    const current = follower;
    unlinkSync(hold);
    const records = (): InspectionRecord[] => jsonLines(current.stdout());
    await waitFor(
      () => records().some((record) => record.kind === 'actor.created' && record.path === jobPath && record.logic === 'hookJob'),
      15_000,
      'a new job created under its path',
      50,
    );
    await waitFor(
      () => records().some((record) => record.kind === 'snapshot' && record.path === jobPath && record.status === 'done'),
      15_000,
      'a job run to its end',
      50,
    );
    assert.ok(records().every((record) => record.path === jobPath || record.path.startsWith(`${jobPath}/`)), current.stdout());
    assert.ok(records().some((record) => record.path === `${jobPath}/attempt`), current.stdout());

    // Between runs the status hook waits, with no child.
    const waiting = await waitForValue(async () => {
      const node = await hookNode(stateDir);
      return node?.actorState === 'waiting' ? node : undefined;
    }, 10_000, 'the status hook waiting between runs', 20);
    assert.equal(waiting.children, undefined);
  });
});
