// A failing status hook, end to end: a real agent runs an application's status hook that fails with a
// message; `gravity status` (text and JSON) shows why it fails, with the end of its output, and the
// agent's log says so once, not on every run.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterReport } from '../../src/health/types.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { killAgent, logRecords, runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';

describe('integration: the status hook failure message in gravity status and the log (real agent)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned | undefined;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-hookmsg-'));
  });
  afterEach(async () => {
    await killAgent(agent);
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('status shows the message and the last lines of output; the log has them once', async () => {
    const flag = join(stateDir, 'app-broken');
    writeFileSync(flag, '');
    writeFileSync(
      join(stateDir, 'app.yaml'),
      [
        'name: shop',
        'hooks:',
        '  status:',
        '    job:',
        `      command: ["sh", "-c", "if [ -f ${flag} ]; then echo checking the database; echo 'db down: connection refused' >&2; exit 3; fi"]`,
        '      activeDeadlineSeconds: 5',
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
    const failures = (): Record<string, unknown>[] => logRecords(agent?.stdout() ?? '').filter((record) => record.hook === 'status' && record.level === 'warn');
    await waitFor(() => failures().length > 0, 15_000, 'the hook failure in the log', 50);

    const text = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(text.code, 5, text.stderr);
    assert.match(text.stdout, /^Cluster status:\s+degraded \(application status check failed\)$/m);
    assert.match(text.stdout, /^Status hook:\s+failed: hook status failed: exit code 3: db down: connection refused$/m);
    assert.match(text.stdout, /^\s+last output:\n\s+checking the database\n\s+db down: connection refused$/m);

    const json = await runCli(['status', '--state-dir', stateDir, '--format', 'json']);
    assert.equal(json.code, 5, json.stderr);
    const report = JSON.parse(json.stdout) as ClusterReport;
    assert.equal(report.statusHook?.result, 'failed');
    assert.equal(report.statusHook.message, 'hook status failed: exit code 3: db down: connection refused');
    assert.equal(report.statusHook.output, 'checking the database\ndb down: connection refused');

    const [first] = failures();
    assert.equal(first?.message, 'hook status failed: exit code 3: db down: connection refused');
    assert.equal(first?.output, 'checking the database\ndb down: connection refused');
    assert.equal(first?.msg, 'application status hook failed: hook status failed: exit code 3: db down: connection refused');

    // It keeps failing the same way (a run a second): still one line. Then it passes: one more.
    unlinkSync(flag);
    await waitFor(() => logRecords(agent?.stdout() ?? '').some((record) => record.msg === 'application status hook passed'), 15_000, 'the pass in the log', 50);
    assert.equal(failures().length, 1, 'the same failure is logged once');
    const passed = await runCli(['status', '--state-dir', stateDir, '--format', 'json']);
    assert.deepEqual((JSON.parse(passed.stdout) as ClusterReport).statusHook, { result: 'passed' });
  });
});
