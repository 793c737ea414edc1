// A real agent whose control socket is removed while it runs: the CLI says that the agent runs and
// what is missing (not "no agent is running"), and the agent makes its socket again, by itself within
// its check interval and at once on SIGHUP.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callAgent } from '../../src/api/control-client.ts';
import { controlSocketRecheckMs } from '../../src/api/control-protocol.ts';
import { isGravityError } from '../../src/errors.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Spawned } from './run-cli.ts';
import { logRecords, runCli, startConfiguredAgent } from './run-cli.ts';

describe('gravity: an agent whose control socket was removed (real process)', function () {
  this.timeout(60_000);
  let stateDir: string;
  let agent: Spawned;
  let socket: string;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-sock-'));
    agent = await startConfiguredAgent(stateDir, ['cluster: { name: test }', 'node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { listen: "127.0.0.1:0" }', 'probes:', '  - checker: memory']);
    socket = join(stateDir, 'agent.sock');
  });

  after(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGCONT');
      agent.child.kill('SIGKILL');
      await agent.finished;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  const pid = (): number => {
    if (agent.child.pid === undefined) throw new Error('the agent has no pid');
    return agent.child.pid;
  };

  it('the CLI names the running agent and its missing socket, with what to do', async () => {
    // Stopped, the agent cannot make its socket again while the CLI looks.
    agent.child.kill('SIGSTOP');
    try {
      unlinkSync(socket);
      const result = await runCli(['status', '--state-dir', stateDir]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, new RegExp(`^error: the agent \\(pid ${pid()}\\) is running but its control socket ${socket} is missing$`, 'm'));
      assert.match(result.stderr, new RegExp(`^  .*'kill -HUP ${pid()}' makes it check at once`, 'm'));
      assert.match(result.stderr, /^hint: try again in a few seconds; if the socket does not come back, restart the agent: 'gravity stop' then 'gravity start'$/m);
      assert.doesNotMatch(result.stderr, /no agent is running/);
      await assert.rejects(callAgent({ stateDir }, 'ping'), (error: unknown) => isGravityError(error, 'E_AGENT_NOT_RUNNING') && error.message.includes(`pid ${pid()}`));
    } finally {
      agent.child.kill('SIGCONT');
    }
  });

  it('the agent makes the socket again by itself within its check interval', async () => {
    await waitFor(() => existsSync(socket), controlSocketRecheckMs + 5000, 'the agent to make its socket again', 50);
    const ping = await callAgent({ stateDir }, 'ping');
    assert.equal(ping.pid, pid());
    assert.ok(logRecords(agent.stdout()).some((record) => record.msg === 'the control socket was removed: making it again'));
    const status = await runCli(['status', '--state-dir', stateDir]);
    assert.ok(status.code === 0 || status.code === 5, status.stderr);
    assert.match(status.stdout, /^Cluster name:\s+test$/m);
  });

  it('on SIGHUP the agent makes a removed socket again at once', async () => {
    const madeAgain = (): number => logRecords(agent.stdout()).filter((record) => record.msg === 'control socket made again').length;
    const before = madeAgain();
    unlinkSync(socket);
    agent.child.kill('SIGHUP');
    await waitFor(() => existsSync(socket), 2000, 'the socket after SIGHUP', 20);
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, pid());
    await waitFor(() => madeAgain() === before + 1, 2000, 'the log line');
    assert.ok(logRecords(agent.stdout()).some((record) => record.msg === 'checking the control socket' && record.signal === 'SIGHUP'));
    assert.equal(agent.child.exitCode, null, 'SIGHUP does not end the agent');
  });
});
