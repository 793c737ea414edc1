// The agent around the root supervisor, in this process: state dir and pid lock, the control
// socket, orderly stop in reverse order, signals, and the root giving up (exit code 70). Children
// run on the main thread here; test/cli/start.test.ts runs the real built-in tree in a process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import { ExitCode, isGravityError } from '../../src/errors.ts';
import { callAgent } from '../../src/api/control-client.ts';
import { createLauncher } from '../../src/supervisor/launcher.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { SupervisorSpecInput } from '../../src/supervisor/spec.ts';
import type { Agent, AgentOptions } from '../../src/supervisor/agent.ts';
import { runAgent } from '../../src/supervisor/agent.ts';
import { captureLog } from '../helpers/log-capture.ts';

const idleChildren: SupervisorSpecInput = {
  children: [
    { id: 'first', start: { actor: 'idle' } },
    { id: 'second', start: { actor: 'idle' } },
    { id: 'third', type: 'supervisor', start: { supervisor: { children: [{ id: 'inner', start: { actor: 'idle' } }] } } },
  ],
};

/** A pid that certainly belongs to no process: one that has just exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  assert.ok(result.pid !== undefined && result.pid > 0);
  return result.pid;
}

/** Leaves a socket file behind, as an agent killed with SIGKILL does. */
function leaveStaleSocket(path: string): void {
  spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path]);
  assert.ok(statSync(path).isSocket());
}

describe('supervisor/agent', function () {
  this.timeout(20_000);
  let dir: string;
  const running: Agent[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-agent-'));
  });
  afterEach(async () => {
    for (const agent of running.splice(0)) await agent.stop('test cleanup');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(overrides: Partial<AgentOptions> = {}, input: SupervisorSpecInput = idleChildren) {
    const log = captureLog();
    const agent = await runAgent({
      stateDir: join(dir, 'state'),
      spec: compileSupervisorSpec(input),
      logger: log.logger,
      launcher: createLauncher(),
      handleSignals: false,
      ...overrides,
    });
    running.push(agent);
    return { agent, ...log };
  }

  it('creates the state dir (0700), takes the lock, serves ping and tree on a 0600 socket', async () => {
    const { agent } = await start();
    assert.equal(agent.state, 'running');
    const stateDir = join(dir, 'state');
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(stateDir, 'agent.pid'), 'utf8').trim(), String(process.pid));
    assert.equal(statSync(agent.socketPath).mode & 0o777, 0o600);

    const ping = await callAgent({ stateDir }, 'ping');
    assert.equal(ping.state, 'running');
    assert.equal(ping.pid, process.pid);
    assert.equal(ping.stateDir, stateDir);

    const { root, now } = await callAgent({ stateDir }, 'tree');
    assert.ok(now >= ping.startedAt);
    assert.equal(root.path, 'agent');
    assert.equal(root.state, 'running');
    assert.deepEqual(
      root.children?.map((child) => [child.path, child.state, child.type]),
      [
        ['agent/first', 'running', 'worker'],
        ['agent/second', 'running', 'worker'],
        ['agent/third', 'running', 'supervisor'],
      ],
    );
    assert.equal(root.children?.[0]?.actorState, 'running');
    assert.deepEqual(root.children?.[2]?.children?.map((child) => child.path), ['agent/third/inner']);
  });

  it('stops the tree in reverse start order, then releases the socket and the lock', async () => {
    const { agent, records } = await start();
    const exit = await agent.stop('test');
    assert.deepEqual(exit, { reason: 'stopped', exitCode: ExitCode.ok });
    assert.equal(agent.state, 'stopped');
    const stops = records.filter((record) => record.action === 'stop').map((record) => `${String(record.supervisor)}/${String(record.child)}`);
    assert.deepEqual(stops, ['agent/third/inner', 'agent/third', 'agent/second', 'agent/first']);
    assert.deepEqual(
      records.filter((record) => record.lifecycle !== undefined).map((record) => record.lifecycle),
      ['starting', 'running', 'stopping', 'stopped'],
    );
    assert.ok(!existsSync(agent.socketPath));
    assert.ok(!existsSync(join(agent.stateDir, 'agent.pid')));
    assert.equal(await agent.stop('again'), exit, 'a second stop returns the same exit');
    await assert.rejects(callAgent({ stateDir: agent.stateDir }, 'ping'), (error) => isGravityError(error, 'E_AGENT_NOT_RUNNING'));
  });

  it('refuses a second agent on the same state dir, naming the running pid', async () => {
    const { agent } = await start();
    await assert.rejects(start(), (error) => {
      assert.ok(isGravityError(error, 'E_AGENT_ALREADY_RUNNING'));
      assert.equal(error.exitCode, ExitCode.agentState);
      assert.match(error.message, new RegExp(`pid ${process.pid}`));
      return true;
    });
    assert.equal(agent.state, 'running');
    assert.equal((await callAgent({ stateDir: agent.stateDir }, 'ping')).state, 'running');
  });

  it('takes over a stale lock (its pid is dead) and removes a stale socket', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'agent.pid'), `${deadPid()}\n`);
    leaveStaleSocket(join(stateDir, 'agent.sock'));
    const { agent, records } = await start();
    assert.equal(agent.state, 'running');
    assert.ok(records.some((record) => record.msg === 'taking over a stale agent lock'));
    assert.equal(readFileSync(join(stateDir, 'agent.pid'), 'utf8').trim(), String(process.pid));
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, process.pid);
  });

  it('takes over a lock file that never got a pid', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'agent.pid'), '');
    const { agent } = await start();
    assert.equal(agent.state, 'running');
  });

  it('says E_STATE_DIR when the state dir cannot be created or its path is too long', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(start({ stateDir: join(file, 'state') }), (error) => {
      assert.ok(isGravityError(error, 'E_STATE_DIR'));
      assert.equal(error.exitCode, ExitCode.usage);
      assert.ok(error.hint !== undefined);
      return true;
    });
    await assert.rejects(start({ stateDir: join(dir, 'x'.repeat(120)) }), (error) => isGravityError(error, 'E_STATE_DIR'));
  });

  it('when the tree fails to start: rejects, and leaves neither lock nor socket', async () => {
    const input: SupervisorSpecInput = {
      children: [
        { id: 'ok', start: { actor: 'idle' } },
        { id: 'unknown', start: { actor: 'no-such-actor' } },
      ],
    };
    await assert.rejects(start({}, input), (error) => isGravityError(error, 'E_CHILD_START_FAILED'));
    const stateDir = join(dir, 'state');
    assert.ok(!existsSync(join(stateDir, 'agent.pid')));
    assert.ok(!existsSync(join(stateDir, 'agent.sock')));
  });

  it('when the root supervisor gives up: done says gave_up with exit code 70, and a fatal record is logged', async () => {
    const crasher = fromPromise<never>(() => Promise.reject(new Error('always fails')));
    const { agent, records } = await start({}, {
      intensity: 1,
      period: 10,
      backoff: { baseMs: 5, jitter: 0 },
      children: [
        { id: 'steady', start: { actor: 'idle' } },
        { id: 'crasher', start: { logic: crasher } },
      ],
    });
    const exit = await agent.done;
    assert.deepEqual(exit, { reason: 'gave_up', exitCode: ExitCode.supervisorGaveUp });
    assert.equal(agent.state, 'failed');
    const fatal = records.find((record) => record.level === 'fatal');
    assert.equal(fatal?.code, 'E_SUPERVISOR_GAVE_UP');
    const decisions = records.filter((record) => record.action !== undefined).map((record) => [record.level, record.action, record.child]);
    assert.deepEqual(decisions.filter(([, action]) => action !== 'start'), [
      ['warn', 'restart', 'crasher'],
      ['error', 'give_up', 'crasher'],
      ['info', 'stop', 'steady'],
      ['error', 'escalate', 'crasher'],
    ]);
    assert.ok(!existsSync(join(agent.stateDir, 'agent.pid')));
    assert.equal(await agent.stop('after failure'), exit);
  });

  it('SIGTERM starts an orderly stop; the handlers are removed afterwards', async () => {
    const before = process.listenerCount('SIGTERM');
    const beforeInt = process.listenerCount('SIGINT');
    const { agent } = await start({ handleSignals: true });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    assert.equal(process.listenerCount('SIGINT'), beforeInt + 1);
    process.emit('SIGTERM', 'SIGTERM');
    const exit = await agent.done;
    assert.deepEqual(exit, { reason: 'stopped', exitCode: ExitCode.ok, signal: 'SIGTERM' });
    assert.equal(process.listenerCount('SIGTERM'), before, 'handlers are removed before done resolves');
    assert.equal(process.listenerCount('SIGINT'), beforeInt);
  });
});
