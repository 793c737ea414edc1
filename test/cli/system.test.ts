// `gravity system install|uninstall`, and `gravity start` / `stop` / `agent shutdown` where the agent
// is the systemd service, through the real CLI: --dry-run prints a unit that passes `systemd-analyze
// verify` and touches nothing; install writes the unit (verified too) and the service record; where
// systemd "runs" (GRAVITY_SYSTEMD=on with recording fake systemctl/systemd-run on PATH) it runs
// daemon-reload and enable --now, and start/stop go through systemctl; failures of systemctl or of
// the unit dir are clear errors without a stack.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import { cliEnv, runCli, startConfiguredAgent } from './run-cli.ts';
import type { AgentStatusJson } from '../../src/cli/agent.ts';
import { writeServiceRecord } from '../../src/system/agent-service.ts';
import { fakeSystemd } from '../system/fake-systemd.ts';
import type { FakeSystemd } from '../system/fake-systemd.ts';
import { systemdAnalyzeAvailable, verifyUnit } from '../system/verify-unit.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('gravity system install / uninstall, and start/stop through systemctl (real CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let unitDir: string;
  let config: string;
  let systemd: FakeSystemd;
  const where = (): string[] => ['--state-dir', stateDir, '--config', config];
  /** The calls that change something (not the version and state queries every command makes). */
  const actions = (): string[] => systemd.calls().filter((call) => !/^systemctl (--version|show|is-active)\b/.test(call));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-system-'));
    stateDir = join(dir, 'state');
    unitDir = join(dir, 'units');
    config = join(dir, 'gravity.yaml');
    writeFileSync(config, 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { listen: "127.0.0.1:0" }\n');
    systemd = fakeSystemd();
  });
  afterEach(() => {
    systemd.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run prints a unit that passes systemd-analyze verify, and touches nothing', async () => {
    const result = await runCli(['system', 'install', '--dry-run', '--unit-dir', unitDir, ...where()], { env: systemd.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[Service\]$/m);
    assert.match(result.stdout, /^Type=notify$/m);
    assert.match(result.stdout, new RegExp(`^ExecStart=${process.execPath} .* start --foreground --state-dir ${stateDir} --config ${config}$`, 'm'));
    assert.match(result.stderr, /dry run: nothing written/);
    assert.equal(existsSync(unitDir), false);
    assert.equal(existsSync(stateDir), false);
    assert.deepEqual(actions(), []);
    if (systemdAnalyzeAvailable()) {
      const verdict = verifyUnit('gravity-agent.service', result.stdout);
      assert.equal(verdict.said, '', verdict.said);
      assert.equal(verdict.code, 0);
    }
  });

  it('without systemd: writes the unit and the service record, says what to run later; the unit verifies', async () => {
    const result = await runCli(['system', 'install', '--unit-dir', unitDir, ...where()], { env: cliEnv({ GRAVITY_SYSTEMD: 'off' }) });
    assert.equal(result.code, 0, result.stderr);
    const unitFile = join(unitDir, 'gravity-agent.service');
    assert.match(result.stdout, new RegExp(`^wrote ${unitFile}$`, 'm'));
    assert.match(result.stdout, /systemd is not running on this host: once it is, run 'systemctl daemon-reload' and 'systemctl enable --now /);
    const record = JSON.parse(readFileSync(join(stateDir, 'systemd-unit.json'), 'utf8')) as { unit: string; unitFile: string };
    assert.deepEqual([record.unit, record.unitFile], ['gravity-agent.service', unitFile]);
    if (systemdAnalyzeAvailable()) {
      const verdict = verifyUnit('gravity-agent.service', readFileSync(unitFile, 'utf8'));
      assert.equal(verdict.said, '', verdict.said);
    }

    const removed = await runCli(['system', 'uninstall', ...where()], { env: cliEnv({ GRAVITY_SYSTEMD: 'off' }) });
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`^removed ${unitFile}$`, 'm'));
    assert.equal(existsSync(unitFile), false);
    assert.equal(existsSync(join(stateDir, 'systemd-unit.json')), false);
    const again = await runCli(['system', 'uninstall', ...where()], { env: cliEnv({ GRAVITY_SYSTEMD: 'off' }) });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is not installed .*nothing to do/);
  });

  it('with systemd: daemon-reload and enable --now; then start, stop and agent shutdown go through systemctl; uninstall undoes it', async () => {
    const installed = await runCli(['system', 'install', '--unit-dir', unitDir, ...where()], { env: systemd.env });
    assert.equal(installed.code, 0, installed.stderr);
    const unitFile = join(unitDir, 'gravity-agent.service');
    assert.deepEqual(actions(), ['systemctl daemon-reload', `systemctl enable --now ${unitFile}`]);
    assert.match(installed.stdout, /^ran systemctl daemon-reload$/m);
    assert.match(installed.stdout, /gravity-agent\.service is enabled and running/);

    const started = await runCli(['start', ...where()], { env: systemd.env });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^started gravity-agent\.service through systemd \('systemctl enable --now gravity-agent\.service'\)/);
    const stopped = await runCli(['stop', ...where()], { env: systemd.env });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^stopped and disabled gravity-agent\.service/);
    const shutdown = await runCli(['agent', 'shutdown', ...where()], { env: systemd.env });
    assert.equal(shutdown.code, 0, shutdown.stderr);
    assert.match(shutdown.stdout, /^stopped gravity-agent\.service$/m);
    assert.deepEqual(actions().slice(2), [
      'systemctl enable --now gravity-agent.service',
      'systemctl disable --now gravity-agent.service',
      'systemctl stop gravity-agent.service',
    ]);

    const reinstalled = await runCli(['system', 'install', '--unit-dir', unitDir, ...where()], { env: systemd.env });
    assert.equal(reinstalled.code, 0, reinstalled.stderr);
    assert.deepEqual(actions().slice(5), ['systemctl daemon-reload', 'systemctl try-restart gravity-agent.service', `systemctl enable --now ${unitFile}`]);

    const removed = await runCli(['system', 'uninstall', ...where()], { env: systemd.env });
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(actions().slice(8), ['systemctl disable --now gravity-agent.service', 'systemctl daemon-reload']);
    assert.equal(existsSync(unitFile), false);
    assert.equal(existsSync(join(stateDir, 'systemd-unit.json')), false);
  });

  it('start and stop leave systemd alone for a state dir whose agent is not the installed service', async () => {
    systemd.setLoaded(true); // a gravity-agent.service exists, but for another state dir
    const stopped = await runCli(['stop', ...where()], { env: systemd.env });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, new RegExp(`no agent is running for state dir ${stateDir}: nothing to stop`));
    assert.deepEqual(actions(), []);
  });

  it('a failing systemctl or an unusable unit dir is a clear error (exit 2), without a stack', async () => {
    systemd.failOn('enable');
    const failed = await runCli(['system', 'install', '--unit-dir', unitDir, ...where()], { env: systemd.env });
    assert.equal(failed.code, ExitCode.usage, failed.stderr);
    assert.match(failed.stderr, /^error: 'systemctl enable --now .*gravity-agent\.service' failed with exit code 1$/m);
    assert.match(failed.stderr, /^ {2}Failed to enable gravity-agent\.service: Access denied$/m);
    assert.doesNotMatch(failed.stderr, stackLine);

    writeFileSync(join(dir, 'not-a-dir'), '');
    const badDir = await runCli(['system', 'install', '--unit-dir', join(dir, 'not-a-dir', 'units'), ...where()], { env: cliEnv({ GRAVITY_SYSTEMD: 'off' }) });
    assert.equal(badDir.code, ExitCode.usage, badDir.stderr);
    assert.match(badDir.stderr, /^error: cannot write .*not-a-dir\/units\/gravity-agent\.service: /m);
    assert.match(badDir.stderr, /^hint: run as root, or write the unit elsewhere with --unit-dir$/m);
    assert.doesNotMatch(badDir.stderr, stackLine);

    const badMode = await runCli(['stop', ...where()], { env: cliEnv({ GRAVITY_SYSTEMD: 'sometimes' }) });
    assert.equal(badMode.code, ExitCode.usage, badMode.stderr);
    assert.match(badMode.stderr, /^error: GRAVITY_SYSTEMD must be one of auto, on, off, got "sometimes"$/m);
  });

  it('with an agent running in the foreground: install is refused; agent status names the service once it is one', async () => {
    mkdirSync(stateDir);
    const agent = await startConfiguredAgent(stateDir, ['node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { listen: "127.0.0.1:0" }', 'probes: []']);
    try {
      const refused = await runCli(['system', 'install', '--unit-dir', unitDir, '--state-dir', stateDir], { env: systemd.env });
      assert.equal(refused.code, ExitCode.agentState, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^error: an agent is already running for state dir ${stateDir} \\(pid ${agent.child.pid}\\), outside systemd$`, 'm'));
      assert.match(refused.stderr, /^hint: stop it first \('gravity stop'\)/m);
      assert.equal(existsSync(join(unitDir, 'gravity-agent.service')), false, 'nothing written');

      writeServiceRecord(stateDir, { unit: 'gravity-agent.service', unitFile: join(unitDir, 'gravity-agent.service'), installedAt: Date.now() });
      systemd.setLoaded(true);
      systemd.setActive('gravity-agent.service', 'active');
      const status = await runCli(['agent', 'status', '--format', 'json', '--state-dir', stateDir], { env: systemd.env });
      assert.equal(status.code, 0, status.stderr);
      const json = JSON.parse(status.stdout) as AgentStatusJson;
      assert.equal(json.pid, agent.child.pid);
      assert.deepEqual(json.service, { unit: 'gravity-agent.service', activeState: 'active' });
    } finally {
      agent.child.kill('SIGTERM');
      await agent.finished;
    }
  });

  it('--help says what the commands do', async () => {
    const help = await runCli(['system', 'install', '--help']);
    assert.equal(help.code, 0);
    for (const text of ['--dry-run', '--unit-dir <dir>', '/etc/systemd/system', 'Type=notify', 'GRAVITY_SYSTEMD']) assert.ok(help.stdout.includes(text), text);
    const stop = await runCli(['stop', '--help']);
    assert.match(stop.stdout, /disable --now gravity-agent\.service/);
  });
});
