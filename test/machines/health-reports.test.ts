import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createActor, fromPromise } from 'xstate';
import { probeMachine, probeReport } from '../../src/machines/probe.ts';
import type { ProbeInput, RunCheckInput, RunCheckOutput } from '../../src/machines/probe.ts';
import { nodeMachine, nodeReport } from '../../src/machines/node.ts';
import { clusterMachine, clusterReport, degradedReasons } from '../../src/machines/cluster.ts';
import { statusHookMachine, statusHookReport } from '../../src/machines/status-hook.ts';
import type { HookJob } from '../../src/config/types.ts';
import { fakeHookJob } from '../helpers/fake-hook-job.ts';

const probeInput: ProbeInput = {
  name: 'web',
  checker: 'tcp',
  severity: 'critical',
  intervalMs: 1000,
  timeoutMs: 500,
  failuresBeforeFailed: 2,
  successesBeforeRunning: 1,
  config: {},
  stateDir: '/tmp',
};

describe('machines: health report selectors', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('probeReport: unknown, running, an error only once failed (damped), then stopped', async () => {
    const outcomes: RunCheckOutput[] = [
      { status: 'running', durationMs: 3, checkedAt: 1000 },
      { status: 'failed', error: 'refused', durationMs: 4, checkedAt: 2000 },
      { status: 'failed', error: 'refused again', durationMs: 5, checkedAt: 3000 },
    ];
    let call = 0;
    const runCheck = fromPromise<RunCheckOutput, RunCheckInput>(() => Promise.resolve(outcomes[Math.min(call++, outcomes.length - 1)]!));
    const actor = createActor(probeMachine.provide({ actors: { runCheck } }), { input: probeInput });
    actor.start();
    assert.deepEqual(probeReport(actor.getSnapshot()), { status: 'unknown' });
    await clock.tickAsync(0);
    assert.deepEqual(probeReport(actor.getSnapshot()), { status: 'running', checkedAt: 1000, durationMs: 3 });
    await clock.tickAsync(1000);
    // One failure of the two needed: still running, and the error is not reported.
    assert.deepEqual(probeReport(actor.getSnapshot()), { status: 'running', checkedAt: 2000, durationMs: 4 });
    await clock.tickAsync(1000);
    assert.deepEqual(probeReport(actor.getSnapshot()), { status: 'failed', error: 'refused again', checkedAt: 3000, durationMs: 5 });
    actor.send({ type: 'SHUTDOWN' });
    assert.equal(probeReport(actor.getSnapshot()).status, 'stopped');
  });

  it('nodeReport: starting, running, degraded by a critical probe, stopped; named by the node', () => {
    const actor = createActor(nodeMachine, { input: { name: 'n1', role: 'master', expectedProbes: ['web'] } }).start();
    assert.deepEqual(nodeReport(actor.getSnapshot()), { node: 'n1', status: 'starting' });
    actor.send({ type: 'PROBE_RESULT', probe: 'web', status: 'running', severity: 'critical' });
    assert.deepEqual(nodeReport(actor.getSnapshot()), { node: 'n1', status: 'running' });
    actor.send({ type: 'PROBE_RESULT', probe: 'web', status: 'failed', severity: 'critical', error: 'x' });
    assert.deepEqual(nodeReport(actor.getSnapshot()), { node: 'n1', status: 'degraded' });
    actor.send({ type: 'SHUTDOWN' });
    assert.deepEqual(nodeReport(actor.getSnapshot()), { node: 'n1', status: 'stopped' });
  });

  it('clusterReport: awaiting nodes, the degraded reason, running without one', () => {
    const actor = createActor(clusterMachine, { input: { name: 'prod', nodes: ['n1', 'n2'], statusHook: false } }).start();
    assert.deepEqual(clusterReport(actor.getSnapshot()), { cluster: 'prod', status: 'degraded', reason: degradedReasons.clusterDegraded, awaitingNodes: true });
    actor.send({ type: 'NODE_STATUS', node: 'n1', status: 'running' });
    actor.send({ type: 'NODE_STATUS', node: 'n2', status: 'running' });
    assert.deepEqual(clusterReport(actor.getSnapshot()), { cluster: 'prod', status: 'running', awaitingNodes: false });
    actor.send({ type: 'NODE_STATUS', node: 'n2', status: 'degraded' });
    assert.deepEqual(clusterReport(actor.getSnapshot()), { cluster: 'prod', status: 'degraded', reason: degradedReasons.clusterDegraded, awaitingNodes: false });
    actor.send({ type: 'SHUTDOWN' });
    assert.equal(clusterReport(actor.getSnapshot()).status, 'stopped');
  });

  it('statusHookReport: nothing before the first run, then each run with its number', async () => {
    const job: HookJob = { command: ['/bin/true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };
    const outcomes = [{ exitCode: 1, output: 'db down\n' }, { exitCode: 0 }];
    let call = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const logic = fakeHookJob(async () => {
      await gate;
      return outcomes[Math.min(call++, outcomes.length - 1)]!;
    });
    const actor = createActor(statusHookMachine.provide({ actors: { job: logic } }), { input: { job, intervalMs: 1000 } }).start();
    assert.equal(statusHookReport(actor.getSnapshot()), undefined);
    release();
    await clock.tickAsync(0);
    assert.deepEqual(statusHookReport(actor.getSnapshot()), { result: 'failed', message: 'hook status failed: exit code 1: db down', output: 'db down', runs: 1 });
    await clock.tickAsync(1000);
    assert.deepEqual(statusHookReport(actor.getSnapshot()), { result: 'passed', runs: 2 });
  });
});
