// The notify extension on a fake clock, with a recording sender: READY=1 with the first status line
// once the tree is up; STATUS= again only when the line changes; WATCHDOG=1 every half of
// WATCHDOG_USEC while the root supervisor runs, none once it has stopped; STOPPING=1 when the agent
// begins to stop; a last status once the tree has stopped. (test/system/sd-notify.test.ts runs it in
// a real agent process against a real datagram socket.)

import assert from 'node:assert/strict';
import type sinon from 'sinon';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { ControlHandlers } from '../../src/api/control-server.ts';
import type { ClusterReport } from '../../src/health/types.ts';
import type { AgentExtensionHandle } from '../../src/supervisor/agent.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { notifyExtension } from '../../src/system/notify-extension.ts';
import type { NotifySender } from '../../src/system/notify-socket.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { FakeLauncher, installFakeClock } from '../helpers/fake-children.ts';

function report(status: ClusterReport['status'], failed?: string): ClusterReport {
  return {
    name: 'prod',
    status,
    ...(status === 'degraded' ? { reason: 'one or more of cluster nodes are not healthy' } : {}),
    nodes: [
      {
        name: 'node-1',
        addr: '127.0.0.1',
        role: 'master',
        member: 'alive',
        status: status === 'running' ? 'running' : 'degraded',
        probes: [{ name: 'web', checker: 'tcp', severity: 'critical', status: failed === undefined ? 'running' : 'failed', ...(failed === undefined ? {} : { error: failed }) }],
      },
    ],
    time: 0,
  };
}

describe('system/notify-extension', () => {
  let fake: sinon.SinonFakeTimers;
  let root: Supervisor;
  let bus: InspectionBus;
  let sent: string[];
  let current: ClusterReport;
  let handle: AgentExtensionHandle;
  let records: Record<string, unknown>[];

  beforeEach(async () => {
    const installed = installFakeClock();
    fake = installed.fake;
    bus = new InspectionBus();
    root = new Supervisor({
      path: 'agent',
      spec: compileSupervisorSpec({ children: [{ id: 'a', start: { actor: 'idle' } }, { id: 'b', start: { actor: 'idle' } }] }),
      bus,
      clock: installed.clock,
      launcher: new FakeLauncher(),
      onExit: () => undefined,
    });
    await root.start();
    sent = [];
    current = report('running');
    const sender: NotifySender = { transport: 'datagram', send: (message) => sent.push(message) };
    const handlers = {
      ping: () => ({ pid: 1, version: 'test', state: 'running', stateDir: '/x', startedAt: 0 }),
      tree: () => ({ now: 0, root: { id: 'agent', path: 'agent', type: 'supervisor', thread: 'main', state: 'running', restart: 'permanent', restarts: 0 } }),
      status: () => Promise.resolve(current),
    } as ControlHandlers;
    const log = captureLog();
    records = log.records;
    handle = await notifyExtension({
      notify: { socket: '/run/test/notify', watchdogMs: 2000 },
      sender,
      stalls: { takeMaxStallMs: () => 0, stop: () => undefined },
    }).start({ stateDir: '/x', bus, root, logger: log.logger, clock: installed.clock, controlHandlers: () => handlers });
  });
  afterEach(async () => {
    await handle.stop();
    fake.restore();
  });

  const snapshot = async (): Promise<void> => {
    bus.publish({ kind: 'snapshot', path: 'agent/cluster', time: Date.now(), status: 'active', value: 'running' });
    await fake.tickAsync(0);
  };

  it('sends READY=1 with the status line once the tree is up, and says so in the log', async () => {
    assert.deepEqual(sent, []);
    await handle.afterTreeStart?.();
    assert.equal(sent[0], 'READY=1\nSTATUS=cluster running: 1 node, 1 probe passing');
    const ready = records.find((record) => record.msg === 'told systemd the agent is ready');
    assert.equal(ready?.watchdogMs, 2000);
    assert.equal(ready.pingEveryMs, 1000);
    assert.equal(ready.transport, 'datagram');
  });

  it('sends STATUS= on a transition, and only when the line changes', async () => {
    await handle.afterTreeStart?.();
    sent.length = 0;
    await snapshot();
    assert.deepEqual(sent.filter((message) => message.startsWith('STATUS=')), [], 'the same line is not sent again');
    current = report('degraded', 'connection refused');
    await snapshot();
    current = report('running');
    await snapshot();
    assert.deepEqual(
      sent.filter((message) => message.startsWith('STATUS=')),
      ['STATUS=cluster degraded: probe web failed on node-1: connection refused', 'STATUS=cluster running: 1 node, 1 probe passing'],
    );
  });

  it('pings the watchdog every half of WATCHDOG_USEC while the root runs, and stops once it has stopped', async () => {
    await handle.afterTreeStart?.();
    await fake.tickAsync(3000);
    assert.equal(sent.filter((message) => message === 'WATCHDOG=1').length, 4);
    await root.stop();
    sent.length = 0;
    await fake.tickAsync(10_000);
    assert.deepEqual(sent, [], 'a dead root gets no pings: systemd restarts the agent');
    assert.ok(records.some((record) => record.msg === 'watchdog pings withheld: systemd restarts the agent if this lasts' && record.reason === 'the root supervisor is stopped'));
  });

  it('sends STOPPING=1 with the reason when the agent begins to stop, no more status after, and a last status once stopped', async () => {
    await handle.afterTreeStart?.();
    sent.length = 0;
    handle.beforeStop?.('received SIGTERM');
    assert.deepEqual(sent, ['STOPPING=1\nSTATUS=agent stopping: received SIGTERM']);
    current = report('degraded', 'connection refused');
    await snapshot();
    assert.deepEqual(sent.filter((message) => message.startsWith('STATUS=')), []);
    await fake.tickAsync(1000);
    assert.ok(sent.includes('WATCHDOG=1'), 'the pings go on while the agent stops in order');
    await handle.stop();
    assert.equal(sent.at(-1), 'STATUS=agent stopped: the supervision tree has stopped');
    sent.length = 0;
    await fake.tickAsync(10_000);
    assert.deepEqual(sent, []);
  });
});
