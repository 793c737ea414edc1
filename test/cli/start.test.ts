// `gravity start` as a real process: it comes up from a config file and serves its socket (mode
// 0600), `debug tree` shows the tree built from the config, a second agent on the same state dir is
// refused, SIGTERM stops the tree in reverse order and exits 0, and a root supervisor that gives up
// ends the process with 70.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/errors.ts';
import { callAgent } from '../../src/api/control-client.ts';
import type { Spawned } from './run-cli.ts';
import { logRecords, runCli, spawnTs, startConfiguredAgent } from './run-cli.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('gravity start (real process)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-start-'));
    agent = await startConfiguredAgent(stateDir, ['cluster: { name: test }', 'node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { listen: "127.0.0.1:0" }', 'probes:', '  - checker: memory']);
  });

  after(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.finished;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers ping over its socket, which only its user may open (0600)', async () => {
    const ping = await callAgent({ stateDir }, 'ping');
    assert.equal(ping.state, 'running');
    assert.equal(ping.pid, agent.child.pid);
    const socket = statSync(join(stateDir, 'agent.sock'));
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600);
  });

  it('debug tree shows the tree built from the config: the task pool, cluster, node, and the probes on a worker thread', async () => {
    const result = await runCli(['debug', 'tree', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    // An actor's own actors are listed below it: the task pool's pool, and the probe's check while one runs.
    const check = /^│ {7}└── 0\.probe\.active\.cycle\.checking\s+running\s+worker\s+restarts=0$/;
    const lines = result.stdout.trimEnd().split('\n').filter((line) => !check.test(line));
    assert.equal(lines.length, 8, result.stdout);
    assert.match(lines[0] ?? '', /^agent\s+running\s+main\s+restarts=0\s+up \d+s\s+one_for_one$/);
    assert.match(lines[1] ?? '', /^├── tasks\s+running\s+main\s+restarts=0\s+up \d+s\b/);
    assert.match(lines[2] ?? '', /^│ {3}└── pool\s+running\s+main\s+restarts=0$/);
    assert.match(lines[3] ?? '', /^├── cluster\s+running\s+main\s+restarts=0\s+up \d+s\s+actor=\w+$/);
    assert.match(lines[4] ?? '', /^├── node:n1\s+running\s+main\s+restarts=0\s+up \d+s\s+actor=\w+$/);
    assert.match(lines[5] ?? '', /^├── probes\s+running\s+worker\s+restarts=0\s+up \d+s\s+one_for_one$/);
    assert.match(lines[6] ?? '', /^│ {3}└── probe:memory\s+running\s+worker\s+restarts=0\s+up \d+s\s+actor=/);
    // Requests on operations run below it; with none, it has no children.
    assert.match(lines[7] ?? '', /^└── operations\s+running\s+main\s+restarts=0\s+up \d+s\s+one_for_one$/);

    const json = await runCli(['debug', 'tree', '--state-dir', stateDir, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout) as { source: string; root: { id: string; children: { id: string; thread: string; state: string }[] } };
    assert.equal(view.source, 'agent');
    assert.equal(view.root.id, 'agent');
    assert.deepEqual(
      view.root.children.map((child) => [child.id, child.thread, child.state]),
      [
        ['tasks', 'main', 'running'],
        ['cluster', 'main', 'running'],
        ['node:n1', 'main', 'running'],
        ['probes', 'worker', 'running'],
        ['operations', 'main', 'running'],
      ],
    );
  });

  it('refuses a second agent on the same state dir with exit code 3', async () => {
    const second = await runCli(['start', '--state-dir', stateDir]);
    assert.equal(second.code, ExitCode.agentState, second.stderr);
    assert.match(second.stderr, new RegExp(`^error: .*\\(pid ${String(agent.child.pid)}\\)$`, 'm'));
    assert.doesNotMatch(second.stderr, stackLine);
    // The first agent is unharmed.
    assert.equal((await callAgent({ stateDir }, 'ping')).state, 'running');
  });

  it('SIGTERM stops the tree in reverse order (operations first, probes before node, the task pool last) and exits 0', async () => {
    agent.child.kill('SIGTERM');
    const result = await agent.finished;
    assert.equal(result.code, 0, result.stderr);
    const records = logRecords(result.stdout);
    const stops = records.filter((record) => record.action === 'stop' && record.supervisor === 'agent').map((record) => record.child);
    assert.deepEqual(stops, ['operations', 'probes', 'node:n1', 'cluster', 'tasks']);
    const lifecycle = records.map((record) => record.lifecycle).filter((value) => value !== undefined);
    assert.deepEqual(lifecycle, ['starting', 'running', 'stopping', 'stopped']);
    assert.ok(!existsSync(join(stateDir, 'agent.sock')), 'the socket is removed');
    assert.ok(!existsSync(join(stateDir, 'agent.pid')), 'the lock is released');
  });
});

describe('an agent whose root supervisor gives up (real process)', function () {
  this.timeout(60_000);

  it('exits with code 70 after give_up and escalate records', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gravity-crash-'));
    try {
      const fixture = fileURLToPath(new URL('../fixtures/crashing-agent.ts', import.meta.url));
      const spawned = spawnTs(fixture, [stateDir]);
      const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 30_000);
      const result = await spawned.finished;
      clearTimeout(timer);
      assert.equal(result.code, ExitCode.supervisorGaveUp, `${result.stdout}\n${result.stderr}`);
      const records = logRecords(result.stdout);
      const decisions = records.filter((record) => record.supervisor === 'agent');
      const restarts = decisions.filter((record) => record.action === 'restart');
      assert.equal(restarts.length, 2, 'intensity 2: two restarts, then it gives up');
      assert.ok(restarts.every((record) => record.level === 'warn' && record.child === 'crasher'));
      const giveUp = decisions.find((record) => record.action === 'give_up');
      const escalate = decisions.find((record) => record.action === 'escalate');
      assert.ok(giveUp !== undefined && escalate !== undefined, result.stdout);
      assert.equal(giveUp.level, 'error');
      assert.match(String(giveUp.reason), /restart intensity/);
      assert.ok(
        decisions.some((record) => record.action === 'stop' && record.child === 'steady'),
        'the healthy sibling is stopped when the supervisor gives up',
      );
      const fatal = records.find((record) => record.level === 'fatal');
      assert.ok(fatal !== undefined, 'a fatal record says why the agent exits');
      assert.equal(fatal.code, 'E_SUPERVISOR_GAVE_UP');
      assert.ok(!existsSync(join(stateDir, 'agent.pid')), 'the lock is released');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
