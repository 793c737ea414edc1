// The agent under a real systemd: Debian's systemd booted as PID 1 of private namespaces
// (namespace-systemd.ts), and the real CLI run inside them. `gravity system install` enables and
// starts gravity-agent.service; Type=notify means `systemctl start` returns only once READY=1 came,
// so the health endpoint answers at once; systemd shows the agent's STATUS= line and follows it as
// the probe fails and recovers; a blocked event loop stops the watchdog pings and systemd kills and
// restarts the agent, as it does after a crash; `gravity stop` / `gravity start` go through systemctl
// and SIGTERM ends the agent cleanly (exit 0); `plan resume --no-block` runs as the transient unit
// gravity-resume; `gravity system uninstall` takes it all out again.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import { closeTcp, listenTcp } from '../helpers/tcp-target.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { cliEnv, cliMain, repoRoot, runCli } from '../cli/run-cli.ts';
import { bootNamespaceSystemd, namespaceSystemdUnavailable } from './namespace-systemd.ts';
import type { NamespaceSystemd, Ran } from './namespace-systemd.ts';
import { httpsStatus } from '../helpers/https-get.ts';

function healthStatus(port: number): Promise<number> {
  return httpsStatus(`https://127.0.0.1:${port}/`, 3000);
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = await listenTcp();
  const address = server.address();
  await closeTcp(server);
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('the agent under a real systemd (systemd as PID 1 of its own namespaces)', function () {
  this.timeout(120_000);
  let dir: string;
  let stateDir: string;
  let config: string;
  let healthPort: number;
  let target: Server | undefined;
  let targetPort: number;
  let systemd: NamespaceSystemd | undefined;

  const where = (): string[] => ['--state-dir', stateDir, '--config', config];
  /** The CLI inside the namespaces, where /run/systemd/system exists: gravity takes its systemd branch. */
  const gravity = (...args: string[]): Promise<Ran> => {
    assert.ok(systemd);
    return systemd.run([process.execPath, '--import', 'tsx', cliMain, ...args, ...where()], { cwd: repoRoot, env: cliEnv(), timeoutMs: 60_000 });
  };
  const show = (properties: readonly string[], unit = 'gravity-agent.service'): Promise<Record<string, string>> => {
    assert.ok(systemd);
    return systemd.show(unit, properties);
  };
  const systemctl = async (...args: string[]): Promise<string> => {
    assert.ok(systemd);
    return (await systemd.run(['systemctl', ...args])).stdout.trim();
  };
  const statusText = async (): Promise<string> => (await show(['StatusText'])).StatusText ?? '';

  before(async function () {
    const unavailable = namespaceSystemdUnavailable();
    if (unavailable !== undefined) {
      console.log(`    (skipped: ${unavailable})`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gravity-real-systemd-'));
    stateDir = join(dir, 'state');
    config = join(dir, 'gravity.yaml');
    healthPort = await freePort();
    target = await listenTcp();
    const address = target.address();
    assert.ok(address !== null && typeof address === 'object');
    targetPort = address.port;
    writeFileSync(
      config,
      [
        'node: { name: node-1 }',
        `health: { listen: "127.0.0.1:${healthPort}" }`,
        'panel: { enabled: false }',
        'probes:',
        `  - { checker: tcp, name: web, address: "127.0.0.1:${targetPort}", interval: 1s, timeout: 500ms }`,
        '',
      ].join('\n'),
    );
    systemd = await bootNamespaceSystemd(join(dir, 'systemd'));
  });

  after(async () => {
    await systemd?.stop();
    if (target?.listening === true) await closeTcp(target);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('system install: enabled and started; READY=1 came before systemctl returned, so the endpoint answers at once', async () => {
    const installed = await gravity('system', 'install');
    assert.equal(installed.code, 0, `${installed.stderr}\n${systemd?.bootLog() ?? ''}`);
    assert.deepEqual(installed.stdout.trim().split('\n'), [
      'wrote /etc/systemd/system/gravity-agent.service',
      'ran systemctl daemon-reload',
      'ran systemctl enable --now gravity-agent.service',
      "gravity-agent.service is enabled and running: 'systemctl status gravity-agent' shows it, 'journalctl -u gravity-agent -f' follows its log",
    ]);
    assert.ok(existsSync(join(systemd?.unitDir ?? '', 'gravity-agent.service')), 'the unit is in the unit dir systemd reads');
    const wants = join(systemd?.unitDir ?? '', 'multi-user.target.wants', 'gravity-agent.service');
    assert.equal(readlinkSync(wants), '/etc/systemd/system/gravity-agent.service', 'enabled: started at boot');

    // No polling: with Type=notify, `systemctl start` waited for READY=1, sent after the endpoint listened.
    const status = await healthStatus(healthPort);
    assert.ok(status === 200 || status === 503, `the endpoint answered ${status}`);

    const unit = await show(['Type', 'NotifyAccess', 'ActiveState', 'SubState', 'UnitFileState', 'WatchdogUSec', 'MainPID']);
    assert.deepEqual(
      { type: unit.Type, notify: unit.NotifyAccess, active: unit.ActiveState, sub: unit.SubState, file: unit.UnitFileState, watchdog: unit.WatchdogUSec },
      { type: 'notify', notify: 'main', active: 'active', sub: 'running', file: 'enabled', watchdog: '30s' },
    );
    const pid = Number(readFileSync(join(stateDir, 'agent.pid'), 'utf8').trim().split('\n')[0]);
    const mainPid = Number(unit.MainPID);
    assert.ok(mainPid > 0, 'systemd knows the main pid');
    // The pid file holds the agent's pid in the namespace it runs in; both sides agree.
    // Node itself running `gravity start --foreground` (not its comm: Node 24 names its main thread MainThread).
    const command = await systemd?.run(['cat', `/proc/${mainPid}/cmdline`]);
    const argv = command?.stdout.split('\0').filter((arg) => arg !== '') ?? [];
    assert.equal(argv[0], process.execPath, argv.join(' '));
    assert.deepEqual(argv.slice(argv.indexOf('start'), argv.indexOf('start') + 2), ['start', '--foreground'], argv.join(' '));
    assert.equal(pid, mainPid, 'the agent systemd watches is the one holding the state dir');
  });

  it('STATUS=: systemd shows the cluster status line and follows the probe failing and recovering', async () => {
    await waitFor(async () => (await statusText()) === 'cluster running: 1 node, 1 probe passing', 15_000, 'systemd to show the running status');
    assert.ok(target);
    await closeTcp(target);
    const degraded = await waitForValue(
      async () => {
        const text = await statusText();
        return text.startsWith('cluster degraded') ? text : undefined;
      },
      15_000,
      'systemd to show the degraded status',
    );
    assert.match(degraded, new RegExp(`^cluster degraded: probe web failed on node-1: dial tcp 127\\.0\\.0\\.1:${targetPort}: `));
    target = await listenTcp(targetPort);
    await waitFor(async () => (await statusText()) === 'cluster running: 1 node, 1 probe passing', 15_000, 'systemd to show the recovery');
  });

  it('the watchdog: a blocked event loop stops the pings, systemd kills the agent and starts it again; so does a crash', async () => {
    assert.ok(systemd);
    // A drop-in, as an operator would add one: a short watchdog, a short restart pause, and the debug
    // hook that blocks the event loop on SIGUSR2 for longer than the watchdog.
    const blockMs = 20_000;
    const dropIn = join(systemd.unitDir, 'gravity-agent.service.d');
    mkdirSync(dropIn, { recursive: true });
    writeFileSync(
      join(dropIn, 'test.conf'),
      `[Service]\nWatchdogSec=4s\nRestartSec=1s\nEnvironment=GRAVITY_DEBUG_HOOKS=1 GRAVITY_DEBUG_BLOCK_MS=${blockMs}\n`,
    );
    await systemctl('daemon-reload');
    await systemctl('restart', 'gravity-agent.service');
    const before = await show(['MainPID', 'NRestarts', 'WatchdogUSec']);
    assert.equal(before.WatchdogUSec, '4s');
    await waitFor(async () => (await healthStatus(healthPort)) === 200, 15_000, 'the restarted agent to answer');

    const blocked = Date.now();
    await systemctl('kill', '--signal=SIGUSR2', '--kill-whom=main', 'gravity-agent.service');
    const after = await waitForValue(
      async () => {
        const now = await show(['MainPID', 'NRestarts', 'ActiveState']);
        return now.NRestarts === String(Number(before.NRestarts) + 1) && now.ActiveState === 'active' && now.MainPID !== before.MainPID ? now : undefined;
      },
      blockMs,
      'systemd to restart the hung agent',
      100,
    );
    const tookMs = Date.now() - blocked;
    assert.ok(tookMs < blockMs, `restarted after ${tookMs} ms, while the loop was still blocked: the watchdog, not the agent, ended it`);
    await waitFor(async () => (await healthStatus(healthPort)) === 200, 15_000, 'the new agent to answer');

    // A crash: Restart=on-failure brings it back after RestartSec.
    await systemctl('kill', '--signal=SIGKILL', '--kill-whom=main', 'gravity-agent.service');
    await waitFor(
      async () => {
        const now = await show(['MainPID', 'NRestarts', 'ActiveState']);
        return now.NRestarts === String(Number(after.NRestarts) + 1) && now.ActiveState === 'active' && now.MainPID !== after.MainPID;
      },
      15_000,
      'systemd to restart the killed agent',
      100,
    );

    rmSync(dropIn, { recursive: true, force: true });
    await systemctl('daemon-reload');
    await systemctl('restart', 'gravity-agent.service');
    assert.equal((await show(['WatchdogUSec'])).WatchdogUSec, '30s');
  });

  it('gravity stop: SIGTERM, a clean exit 0, stopped and disabled; gravity start: enabled and running again', async () => {
    const stopped = await gravity('stop');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^stopped and disabled gravity-agent\.service: it stays down, also across a reboot, until 'gravity start'$/m);
    const unit = await show(['ActiveState', 'UnitFileState', 'Result', 'ExecMainCode', 'ExecMainStatus']);
    assert.deepEqual(
      { active: unit.ActiveState, file: unit.UnitFileState, result: unit.Result, status: unit.ExecMainStatus },
      { active: 'inactive', file: 'disabled', result: 'success', status: '0' },
    );
    await assert.rejects(healthStatus(healthPort), /ECONNREFUSED/);

    const started = await gravity('start');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^started gravity-agent\.service through systemd/m);
    assert.deepEqual(await show(['ActiveState', 'UnitFileState']), { ActiveState: 'active', UnitFileState: 'enabled' });
    const status = await healthStatus(healthPort);
    assert.ok(status === 200 || status === 503, `the endpoint answered ${status}`);
  });

  it('plan resume --no-block: the transient unit gravity-resume runs the operation; a second start is refused; plan --follow sees its end', async () => {
    const done = join(dir, 'done');
    const leaf = (id: string): string[] => [`  - id: ${id}`, `    description: slow ${id}`, `    run: [sh, -c, "sleep 1; echo ${id} >> ${done}"]`, '    shell: false'];
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(planFile, ['description: a slow operation', 'phases:', ...leaf('one'), ...leaf('two'), ...leaf('three'), ''].join('\n'));
    const created = await runCli(['plan', 'create', '-f', planFile, ...where()]);
    assert.equal(created.code, 0, created.stderr);
    const id = /^created operation (\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(id !== undefined, created.stdout);

    const started = await gravity('plan', 'resume', '--no-block');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^operation \S+ runs in the background as gravity-resume\.service$/m);
    assert.match(started.stdout, /^journal: journalctl -u gravity-resume -f$/m);
    assert.equal(await systemctl('is-active', 'gravity-resume.service'), 'active');

    // systemd-run returns once the unit has started, before its gravity has taken the operation lock
    // (the unit being active refuses a second start meanwhile); the lock is held once a phase has run.
    await waitFor(() => existsSync(done), 15_000, 'the first phase to run');
    const second = await gravity('plan', 'resume', '--no-block');
    assert.equal(second.code, ExitCode.agentState, second.stderr);
    // The running operation holds the operation lock: that refuses the second start before the unit is asked.
    assert.match(second.stderr, new RegExp(`^error: operation ${id} is already running \\(pid \\d+ on `, 'm'));

    const followed = await runCli(['plan', '--follow', ...where()], { timeoutMs: 60_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /Operation plan is completed/);
    assert.deepEqual(readFileSync(done, 'utf8').trim().split('\n'), ['one', 'two', 'three']);
    // --collect: the finished unit is gone, so the next operation can take the name.
    await waitFor(async () => (await systemctl('is-active', 'gravity-resume.service')) === 'inactive', 10_000, 'the transient unit to end');
  });

  it('system uninstall: stopped, disabled and removed; the state dir is kept', async () => {
    const removed = await gravity('system', 'uninstall');
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^ran systemctl disable --now gravity-agent\.service$/m);
    assert.match(removed.stdout, /^removed \/etc\/systemd\/system\/gravity-agent\.service$/m);
    assert.ok(!existsSync(join(systemd?.unitDir ?? '', 'gravity-agent.service')));
    assert.equal((await show(['LoadState'])).LoadState, 'not-found');
    await assert.rejects(healthStatus(healthPort), /ECONNREFUSED/);
    assert.ok(existsSync(join(stateDir, 'gravity.db')), 'the store stays');
  });
});
