// sd_notify end to end: a real agent process (`gravity start`) with NOTIFY_SOCKET bound to a real
// Unix datagram socket in this process, as systemd would give it. READY=1 comes after the health
// endpoint listens; STATUS= follows a probe failing and recovering; WATCHDOG=1 comes every half of
// WATCHDOG_USEC; blocking the agent's event loop (the SIGUSR2 debug hook) stops the pings for longer
// than the watchdog timeout, so systemd would restart it; SIGTERM gives STOPPING=1 and exit 0 after
// the tree stopped in reverse order, well within the unit's TimeoutStopSec.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentUnitTiming } from '../../src/system/agent-unit.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { cliEnv, cliMain, logRecords, spawnTs, waitForAgent } from '../cli/run-cli.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { bindNotifyReceiver } from './notify-receiver.ts';
import type { NotifyReceiver, ReceivedMessage } from './notify-receiver.ts';
import { httpsStatus } from '../helpers/https-get.ts';

/** WATCHDOG_USEC given to the agent: pings every 2 s, a stall over 1 s withholds one. */
const watchdogMs = 4000;
/** How long the debug hook blocks the event loop: longer than the watchdog timeout. */
const blockMs = 5000;

/** A log record's time (pino writes ISO strings) as epoch ms; NaN when it has none. */
function timeOf(record: Record<string, unknown> | undefined): number {
  return typeof record?.time === 'string' ? Date.parse(record.time) : Number.NaN;
}

describe('sd_notify from a real agent process (real datagram socket)', function () {
  this.timeout(60_000);
  let dir: string;
  let receiver: NotifyReceiver;
  let agent: Spawned;
  const flag = (): string => join(dir, 'app-healthy');
  const statuses = (): string[] => receiver.with('STATUS').map((message) => message.fields.STATUS ?? '');
  const records = (): Record<string, unknown>[] => logRecords(agent.stdout());

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-notify-agent-'));
    receiver = bindNotifyReceiver();
    writeFileSync(flag(), '');
    const config = join(dir, 'gravity.yaml');
    writeFileSync(
      config,
      [
        'cluster: { name: prod }',
        'node: { name: node-1 }',
        'health: { listen: "127.0.0.1:0" }',
        'panel: { listen: "127.0.0.1:0" }',
        'probes:',
        `  - { checker: command, name: app, argv: [/usr/bin/test, -f, "${flag()}"], interval: 1s, timeout: 900ms }`,
        '',
      ].join('\n'),
    );
    const stateDir = join(dir, 'state');
    agent = spawnTs(
      cliMain,
      ['start', '--state-dir', stateDir, '--config', config],
      cliEnv({
        NOTIFY_SOCKET: receiver.path,
        WATCHDOG_USEC: String(watchdogMs * 1000),
        GRAVITY_DEBUG_HOOKS: '1',
        GRAVITY_DEBUG_BLOCK_MS: String(blockMs),
      }),
    );
    await waitForAgent(stateDir, agent);
  });

  after(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.finished;
    }
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 (with the first status) only after the health endpoint listens', async () => {
    const ready = await waitForValue(() => receiver.with('READY')[0], 20_000, 'READY=1');
    assert.equal(receiver.messages[0], ready, 'READY=1 is the first message');
    assert.match(ready.fields.STATUS ?? '', /^cluster /);
    const listening = await waitForValue(() => records().find((record) => record.msg === 'health endpoint listening'), 5000, 'the endpoint in the log');
    assert.ok(timeOf(listening) <= ready.at, 'the endpoint listened before READY=1 arrived');
    const status = await httpsStatus(String(listening.url));
    assert.ok(status === 200 || status === 503, `the endpoint answers (${status})`);
    const messages = records().map((record) => record.msg);
    const told = messages.indexOf('told systemd the agent is ready');
    assert.ok(told > messages.indexOf('health endpoint listening') && told > messages.indexOf('Control Panel listening'), 'READY is the last thing the agent does to start');
    const readyRecord = records()[told];
    assert.equal(readyRecord?.transport, 'datagram');
    assert.equal(readyRecord.watchdogMs, watchdogMs);
  });

  it('sends WATCHDOG=1 every half of WATCHDOG_USEC', async () => {
    const before = receiver.with('WATCHDOG').length;
    await waitFor(() => receiver.with('WATCHDOG').length >= before + 4, 15_000, 'four more watchdog pings');
    const pings = receiver.with('WATCHDOG').slice(-4);
    const gaps = pings.slice(1).map((ping, index) => ping.at - (pings[index]?.at ?? 0));
    // Every half of the timeout; a busy test host may delay a timer, or a stall may push one ping back by the re-check.
    for (const gap of gaps) assert.ok(gap >= watchdogMs / 2 - 100 && gap < watchdogMs - 500, `a ping every ${watchdogMs / 2} ms, got gaps ${gaps.join(', ')}`);
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    assert.ok(Math.abs(mean - watchdogMs / 2) <= 300, `on average every ${watchdogMs / 2} ms, got ${mean} ms`);
  });

  it('sends STATUS= with the failed probe when the cluster degrades, and again when it recovers', async () => {
    await waitFor(() => statuses().at(-1)?.startsWith('cluster running') === true, 15_000, 'a running status');
    unlinkSync(flag());
    await waitFor(() => /^cluster degraded: probe app failed on node-1/.test(statuses().at(-1) ?? ''), 15_000, 'a degraded status');
    writeFileSync(flag(), '');
    await waitFor(() => statuses().at(-1) === 'cluster running: 1 node, 1 probe passing', 15_000, 'the running status again');
    for (const status of statuses()) assert.ok(!status.includes('\n'));
  });

  it('stops the pings while the event loop is blocked, longer than the watchdog timeout, then resumes them', async () => {
    const sentBefore = receiver.with('WATCHDOG').length;
    agent.child.kill('SIGUSR2');
    const unblocked = await waitForValue(() => records().find((record) => record.msg === 'debug hook: event loop unblocked'), 20_000, 'the block to end');
    const blockedAt = timeOf(records().find((record) => record.msg === 'debug hook: blocking the event loop'));
    const unblockedAt = timeOf(unblocked);
    assert.ok(unblockedAt - blockedAt >= blockMs - 50, `blocked from ${blockedAt} to ${unblockedAt}`);
    await waitFor(() => receiver.with('WATCHDOG').length > sentBefore + 1, 10_000, 'the pings to resume');

    const pings = receiver.with('WATCHDOG');
    const during = pings.filter((ping) => ping.at > blockedAt + 50 && ping.at < unblockedAt);
    assert.deepEqual(during, [], 'no ping while the loop is blocked');
    const lastBefore = pings.filter((ping) => ping.at <= blockedAt + 50).at(-1) as ReceivedMessage;
    const firstAfter = pings.find((ping) => ping.at > lastBefore.at) as ReceivedMessage;
    assert.ok(firstAfter.at - lastBefore.at > watchdogMs, `no ping for longer than WATCHDOG_USEC (${firstAfter.at - lastBefore.at} ms): systemd restarts the agent`);
    assert.ok(firstAfter.at > unblockedAt, 'the late timer right after the block does not ping');
    const withheld = records().find((record) => record.msg === 'watchdog pings withheld: systemd restarts the agent if this lasts');
    assert.match(String(withheld?.reason), /^the event loop stalled for \d+ ms/);
  });

  it('SIGTERM: STOPPING=1, the tree stopped in reverse order, exit 0 within the stop timeout', async () => {
    const sentAt = Date.now();
    agent.child.kill('SIGTERM');
    const result = await agent.finished;
    const tookMs = Date.now() - sentAt;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(tookMs < agentUnitTiming.timeoutStopSec * 1000, `stopped in ${tookMs} ms`);

    const stopping = receiver.with('STOPPING')[0];
    assert.ok(stopping !== undefined, 'STOPPING=1 was sent');
    assert.equal(stopping.fields.STATUS, 'agent stopping: received SIGTERM');
    const all = logRecords(result.stdout);
    const stops = all.filter((record) => record.action === 'stop' && record.supervisor === 'agent').map((record) => record.child);
    assert.deepEqual(stops, ['operations', 'probes', 'node:node-1', 'cluster', 'tasks']);
    const lifecycle = all.map((record) => record.lifecycle).filter((value) => value !== undefined);
    assert.deepEqual(lifecycle, ['starting', 'running', 'stopping', 'stopped']);
    const firstStop = timeOf(all.find((record) => record.action === 'stop' && record.supervisor === 'agent'));
    assert.ok(stopping.at <= firstStop + 50, 'STOPPING=1 before the tree stops');
    assert.equal(receiver.messages.at(-1)?.fields.STATUS, 'agent stopped: the supervision tree has stopped');
  });
});
