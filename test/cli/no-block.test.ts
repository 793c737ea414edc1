// `gravity plan resume --no-block` through the real CLI. Outside systemd: the operation runs as a
// detached process that outlives the command, logs to <state-dir>/logs/operation-<id>.log, and
// `gravity plan --follow` follows it to its end; a second --no-block while it runs says "already
// running". Under systemd (GRAVITY_SYSTEMD=on, recording fake systemd-run/systemctl on PATH): a
// transient unit gravity-resume with the same command, and the refusal when that unit is active.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import { processRunning } from '../../src/system/local-agent.ts';
import type { BackgroundReportJson } from '../../src/system/background-report.ts';
import { cliEnv, runCli } from './run-cli.ts';
import { fakeSystemd } from '../system/fake-systemd.ts';
import type { FakeSystemd } from '../system/fake-systemd.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((line) => line !== '') : [];
}

describe('gravity plan resume --no-block (real processes)', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let config: string;
  let background: number | undefined;
  const where = (): string[] => ['--state-dir', stateDir, '--config', config];
  const gravity = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli([...args, ...where()], { env, timeoutMs: 45_000 });

  /** A plan of three leaves of 1.5 s each, every one appending its name to `done` when it ends. */
  const createOperation = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const planFile = join(dir, 'plan.yaml');
    const leaf = (id: string): string[] => [
      `  - id: ${id}`,
      `    description: slow ${id}`,
      `    run: [sh, -c, "sleep 1.5; echo ${id} >> ${join(dir, 'done')}"]`,
      '    shell: false',
    ];
    writeFileSync(planFile, ['description: a slow operation', 'phases:', ...leaf('one'), ...leaf('two'), ...leaf('three'), ''].join('\n'));
    const created = await gravity(env, 'plan', 'create', '-f', planFile);
    assert.equal(created.code, 0, created.stderr);
    const id = /^created operation (\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(id !== undefined, created.stdout);
    return id;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-no-block-'));
    stateDir = join(dir, 'state');
    config = join(dir, 'gravity.yaml');
    writeFileSync(config, 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { listen: "127.0.0.1:0" }\n');
    background = undefined;
  });
  afterEach(() => {
    if (background !== undefined && processRunning(background)) process.kill(background, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  describe('outside systemd', () => {
    const env = cliEnv({ GRAVITY_SYSTEMD: 'off' });

    it('runs detached, survives the CLI, refuses a second start, and `plan --follow` follows it to its end', async () => {
      const id = await createOperation(env);
      const started = await gravity(env, 'plan', 'resume', '--no-block');
      assert.equal(started.code, 0, started.stderr);
      const pid = Number(/^operation \S+ runs in the background \(pid (\d+)\)$/m.exec(started.stdout)?.[1]);
      background = pid;
      const logFile = join(stateDir, 'logs', `operation-${id}.log`);
      assert.match(started.stdout, new RegExp(`^log: +${logFile}$`, 'm'));
      assert.match(started.stdout, new RegExp(`^follow: +gravity plan --follow --operation-id ${id} --state-dir ${stateDir} --config ${config}$`, 'm'));

      // The command has returned; the operation goes on without it.
      assert.ok(processRunning(pid), 'the background process outlives the command');
      assert.ok(lines(join(dir, 'done')).length < 3, 'the phases still run');
      const shown = JSON.parse((await gravity(env, 'plan', '--format', 'json')).stdout) as { state: string };
      assert.equal(shown.state, 'in_progress');

      const second = await gravity(env, 'plan', 'resume', '--no-block');
      assert.equal(second.code, ExitCode.agentState, second.stderr);
      assert.match(second.stderr, new RegExp(`^error: operation ${id} is already running \\(pid ${pid} on `, 'm'));
      assert.match(second.stderr, /^hint: follow it with 'gravity plan --follow'/m);
      assert.doesNotMatch(second.stderr, stackLine);

      const followed = await gravity(env, 'plan', '--follow');
      assert.equal(followed.code, 0, followed.stderr);
      assert.match(followed.stdout, /Phase \/three is completed/);
      assert.match(followed.stdout, /Operation plan is completed/);
      assert.deepEqual(lines(join(dir, 'done')), ['one', 'two', 'three']);
      const ended = JSON.parse((await gravity(env, 'plan', '--format', 'json')).stdout) as { state: string };
      assert.equal(ended.state, 'completed');
      assert.match(readFileSync(logFile, 'utf8'), /Completed/, 'the log holds the run');

      const again = await gravity(env, 'plan', 'resume', '--no-block');
      assert.equal(again.code, ExitCode.usage, again.stderr);
      assert.match(again.stderr, new RegExp(`^error: operation ${id} is completed: there is nothing to resume$`, 'm'));
    });
  });

  describe('under systemd (fake systemd-run and systemctl)', () => {
    let systemd: FakeSystemd;
    beforeEach(() => {
      systemd = fakeSystemd();
    });
    afterEach(() => systemd.remove());

    it('starts the transient unit gravity-resume with the same command, and refuses while it is active', async () => {
      const id = await createOperation(systemd.env);
      const started = await gravity(systemd.env, 'plan', 'resume', '--no-block', '--format', 'json');
      assert.equal(started.code, 0, started.stderr);
      const report = JSON.parse(started.stdout) as BackgroundReportJson;
      assert.deepEqual(
        { via: report.via, unit: report.unit, journal: report.journal, pid: report.pid, log: report.log },
        { via: 'systemd', unit: 'gravity-resume.service', journal: 'journalctl -u gravity-resume -f', pid: null, log: null },
      );
      assert.equal(report.follow, `gravity plan --follow --operation-id ${id} --state-dir ${stateDir} --config ${config}`);
      const run = systemd.calls().find((call) => call.startsWith('systemd-run '));
      assert.ok(run !== undefined, systemd.calls().join('\n'));
      assert.match(run, /^systemd-run --unit=gravity-resume --collect --quiet --description=gravity: resume operation \S+ --property=Type=exec /);
      assert.ok(run.endsWith(` -- ${process.execPath} --import ${join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')} ${join(process.cwd(), 'src/cli/main.ts')} plan resume --operation-id ${id} --state-dir ${stateDir} --config ${config}`), run);

      systemd.setActive('gravity-resume.service', 'active');
      const second = await gravity(systemd.env, 'plan', 'resume', '--no-block');
      assert.equal(second.code, ExitCode.agentState, second.stderr);
      assert.match(second.stderr, /^error: gravity-resume\.service is already running \(active\)$/m);
      assert.equal(systemd.calls().filter((call) => call.startsWith('systemd-run ')).length, 1);

      systemd.setActive('gravity-resume.service', 'inactive');
      const text = await gravity(systemd.env, 'plan', 'resume', '--no-block');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^operation \S+ runs in the background as gravity-resume\.service$/m);
      assert.match(text.stdout, /^journal: journalctl -u gravity-resume -f$/m);
    });
  });
});
