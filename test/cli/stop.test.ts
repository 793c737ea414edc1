// `gravity stop` outside systemd, through the real CLI and a real agent process: SIGTERM, a wait until
// the agent's process has ended (its tree stopped in reverse order, exit 0), and a line saying so; no
// agent is a message and exit 0; a process that holds the lock but ignores SIGTERM is found through
// the lock (it does not answer on the socket) and ends the wait with E_AGENT_STOP_TIMEOUT.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import { processRunning } from '../../src/system/local-agent.ts';
import { parseTimeout } from '../../src/cli/stop.ts';
import { cliEnv, logRecords, runCli, startConfiguredAgent } from './run-cli.ts';
import { waitFor } from '../helpers/wait.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;
const noSystemd = cliEnv({ GRAVITY_SYSTEMD: 'off' });

describe('gravity stop (real processes, no systemd)', function () {
  this.timeout(60_000);
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-stop-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('sends SIGTERM and waits until the agent has stopped its tree and exited 0', async () => {
    const agent = await startConfiguredAgent(stateDir, ['node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { listen: "127.0.0.1:0" }', 'probes:', '  - checker: memory']);
    try {
      const result = await runCli(['stop', '--state-dir', stateDir], { env: noSystemd });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `the agent (pid ${agent.child.pid}) has stopped\n`);
      assert.match(result.stderr, new RegExp(`^sent SIGTERM to the agent \\(pid ${agent.child.pid}\\)`, 'm'));
      assert.equal(processRunning(agent.child.pid ?? 0), false, 'the command returned only once the process had ended');
      const finished = await agent.finished;
      assert.equal(finished.code, 0);
      const stops = logRecords(finished.stdout).filter((record) => record.action === 'stop' && record.supervisor === 'agent').map((record) => record.child);
      assert.deepEqual(stops, ['operations', 'probes', 'node:n1', 'cluster', 'tasks']);
      assert.ok(!existsSync(join(stateDir, 'agent.pid')));
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
      await agent.finished;
    }
  });

  it('says so, and exits 0, when no agent runs', async () => {
    const result = await runCli(['stop', '--state-dir', stateDir], { env: noSystemd });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `no agent is running for state dir ${stateDir}: nothing to stop\n`);
  });

  it('gives up at --timeout with E_AGENT_STOP_TIMEOUT (exit 3) when the agent does not stop', async () => {
    mkdirSync(stateDir, { recursive: true });
    // Holds the lock like a hung agent: no socket answers, SIGTERM is ignored.
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], process.pid + '\\n'); setInterval(() => {}, 1000);", join(stateDir, 'agent.pid')], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(join(stateDir, 'agent.pid')), 5000, 'the stub to take the lock');
      const result = await runCli(['stop', '--state-dir', stateDir, '--timeout', '1500ms'], { env: noSystemd });
      assert.equal(result.code, ExitCode.agentState, result.stderr);
      assert.match(result.stderr, new RegExp(`^error: the agent \\(pid ${stubborn.pid}\\) did not stop within 1\\.5s$`, 'm'));
      assert.match(result.stderr, /^hint: .*kill -TERM/m);
      assert.doesNotMatch(result.stderr, stackLine);
      assert.equal(stubborn.exitCode, null, 'it still runs');
    } finally {
      stubborn.kill('SIGKILL');
    }
  });

  it('refuses a malformed --timeout as a usage error', async () => {
    writeFileSync(join(stateDir, 'x'), '');
    const result = await runCli(['stop', '--state-dir', stateDir, '--timeout', 'soon'], { env: noSystemd });
    assert.equal(result.code, ExitCode.usage);
    assert.match(result.stderr, /expected a duration from 1ms to 24h, such as 45s or 2m/);
  });
});

describe('cli/stop: --timeout', () => {
  it('takes a duration from 1ms to 24h and refuses the rest', () => {
    assert.equal(parseTimeout('45s'), 45_000);
    assert.equal(parseTimeout('24h'), 86_400_000);
    for (const text of ['0s', '25h', '30d', '9007199254740993s', 'soon']) {
      assert.throws(() => parseTimeout(text), /from 1ms to 24h/u, text);
    }
  });
});
