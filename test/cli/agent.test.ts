// `gravity agent deploy|status|shutdown` in their single-node form, outside systemd, through the real
// CLI: deploy starts the agent as a detached process that outlives the command and logs to
// <state-dir>/logs/agent.log; status asks it (text and JSON); a second deploy leaves it alone;
// shutdown stops it; an agent that cannot start is reported with the end of its log.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callAgent } from '../../src/api/control-client.ts';
import { ExitCode } from '../../src/errors.ts';
import { lockHolderPid, processRunning } from '../../src/system/local-agent.ts';
import type { AgentStatusJson } from '../../src/cli/agent.ts';
import { cliEnv, runCli } from './run-cli.ts';

const noSystemd = cliEnv({ GRAVITY_SYSTEMD: 'off' });
const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('gravity agent deploy | status | shutdown (real processes, no systemd)', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let config: string;
  const gravity = (...args: string[]) => runCli([...args, '--state-dir', stateDir, '--config', config], { env: noSystemd, timeoutMs: 45_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-agent-cmd-'));
    stateDir = join(dir, 'state');
    config = join(dir, 'gravity.yaml');
    writeFileSync(config, 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { listen: "127.0.0.1:0" }\nprobes:\n  - checker: memory\n');
  });
  after(() => {
    // A detached agent outlives a failed test: end it here.
    const pid = existsSync(stateDir) ? lockHolderPid(stateDir) : undefined;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('status: exit 3 when no agent runs', async () => {
    const result = await gravity('agent', 'status');
    assert.equal(result.code, ExitCode.agentState, result.stderr);
    assert.match(result.stderr, /^error: no agent is running for state dir /m);
  });

  it('deploy: starts the agent in the background, which outlives the command', async () => {
    const result = await gravity('agent', 'deploy');
    assert.equal(result.code, 0, result.stderr);
    const match = /^the agent runs in the background \(pid (\d+)\)$/m.exec(result.stdout);
    assert.ok(match !== null, result.stdout);
    const pid = Number(match[1]);
    assert.match(result.stdout, new RegExp(`^log: ${join(stateDir, 'logs', 'agent.log')}$`, 'm'));
    const ping = await callAgent({ stateDir }, 'ping');
    assert.equal(ping.pid, pid);
    assert.equal(ping.state, 'running');
    assert.match(readFileSync(join(stateDir, 'logs', 'agent.log'), 'utf8'), /"lifecycle":"running"/);
  });

  it('status: pid, version, state and uptime, as text and JSON', async () => {
    const ping = await callAgent({ stateDir }, 'ping');
    const text = await gravity('agent', 'status');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^agent: +running \\(pid ${ping.pid}\\)$`, 'm'));
    assert.match(text.stdout, /^uptime: +\d+s$/m);
    assert.match(text.stdout, /^service: +none: not run by systemd$/m);
    const json = await gravity('agent', 'status', '--format', 'json');
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as AgentStatusJson;
    assert.equal(status.pid, ping.pid);
    assert.equal(status.state, 'running');
    assert.equal(status.stateDir, stateDir);
    assert.equal(status.service, null);
    assert.ok(status.uptimeMs >= 0);
  });

  it('deploy again: leaves the running agent alone', async () => {
    const ping = await callAgent({ stateDir }, 'ping');
    const result = await gravity('agent', 'deploy');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `the agent is already running (pid ${ping.pid})\n`);
  });

  it('shutdown: stops it', async () => {
    const { pid } = await callAgent({ stateDir }, 'ping');
    const result = await gravity('agent', 'shutdown');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `the agent (pid ${pid}) has stopped\n`);
    assert.equal(processRunning(pid), false);
    assert.match(readFileSync(join(stateDir, 'logs', 'agent.log'), 'utf8'), /"lifecycle":"stopped"/);
  });

  it('deploy: an agent that cannot start is E_AGENT_START_FAILED (exit 3) with the end of its log', async () => {
    const busy: Server = await new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const address = busy.address();
      assert.ok(address !== null && typeof address === 'object');
      writeFileSync(config, `node: { name: n1 }\nhealth: { listen: "127.0.0.1:${address.port}" }\npanel: { listen: "127.0.0.1:0" }\n`);
      const result = await gravity('agent', 'deploy');
      assert.equal(result.code, ExitCode.agentState, result.stderr);
      assert.match(result.stderr, /^error: the agent exited with code 2 before it answered$/m);
      assert.match(result.stderr, /E_LISTEN|address already in use|EADDRINUSE/);
      assert.match(result.stderr, /^hint: the whole log is .*logs\/agent\.log$/m);
      assert.doesNotMatch(result.stderr, stackLine);
    } finally {
      busy.close();
    }
  });
});
