// The health endpoint stays fast while the Control Panel is busy, with a real agent process: its store
// holds an operation with a 10 MB description (written straight into the store, as a plan already
// there or a large one a loader allows would be) among nineteen small ones; a separate load process
// keeps twenty panel clients busy (each with a live stream open, asking for the operations list and
// the large operation's plan, and a full page of the 20,000 events of status history from the panel's
// API and from the health endpoint's own /history, one request after another); and this process, which does nothing else,
// asks the health endpoint `GET /` 1,000 times in a row on one kept-alive connection (a window; up to
// three windows, so that other work on a shared machine cannot decide alone). The p99 of a window
// must stay under 50 ms, every panel answer small, and the agent's memory far from what one copy of the
// operation per client would take. The load comes from its own process so that the
// measuring requests never wait on the load generator's event loop: the latency is the agent's.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureLatency } from '../../scripts/bench/panel-load.ts';
import { createUserService } from '../../src/auth/users.ts';
import { systemClock } from '../../src/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { PhaseSpec } from '../../src/plan/types.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { loggedUrl, spawnTs, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitFor } from '../helpers/wait.ts';

const loadScript = fileURLToPath(new URL('../../scripts/bench/panel-load.ts', import.meta.url));
const clients = 20;
const samples = 1_000;
const maxWindows = 3;
const bigId = 'op-big';
const historyEvents = 20_000;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** The resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Number(/\d+/u.exec(line ?? '')?.[0] ?? Number.NaN) / 1024;
}

async function stop(process: Spawned | undefined): Promise<void> {
  if (process === undefined || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  await process.finished;
}

describe('integration: the health endpoint while the Control Panel is busy (real agent, separate load process)', function () {
  this.timeout(300_000);
  let stateDir: string;
  let agent: Spawned | undefined;
  let load: Spawned | undefined;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-panel-load-'));
    const store = openSqliteStore(stateDir);
    let sessionId: string;
    try {
      const huge = 'big plan '.repeat((10 * 1024 * 1024) / 9);
      const phases: PhaseSpec[] = Array.from({ length: 50 }, (_, i) => ({ id: `/step-${i}`, description: `step ${i}`, requires: [], phases: [], executor: { kind: 'hook', hook: 'h' } }));
      for (let i = 0; i < 19; i++) {
        await store.operations.create({ id: `op-${i}`, type: 'custom', description: `small ${i}`, created: 1_000 + i, plan: { id: '/', description: `small ${i}`, requires: [], phases } });
      }
      await store.operations.create({ id: bigId, type: 'custom', description: huge, created: 2_000, plan: { id: '/', description: huge, requires: [], phases } });
      const recent = Date.now() - 3_600_000; // within the retention the agent keeps
      await store.history.append(
        Array.from({ length: historyEvents }, (_, i) => ({ id: `event-${i}`, time: recent + i, type: i % 2 === 0 ? ('Probe Failed' as const) : ('Probe Succeeded' as const), node: 'node-1', checker: 'web', detail: `connection refused ${i}` })),
      );
      const service = createUserService({ users: store.users, clock: systemClock });
      const invite = await service.invite('ops@example.com', ['viewer']);
      sessionId = (await service.signup(invite.token, 'violet-Anchor-meadow-73')).id;
    } finally {
      await store.close();
    }
    agent = await startConfiguredAgent(stateDir, [
      'cluster: { name: prod }',
      'node: { name: node-1, role: master, advertiseAddr: 127.0.0.1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { listen: "127.0.0.1:0" }',
    ]);
    const panelUrl = await loggedUrl(agent, 'Control Panel listening');
    const healthUrl = await loggedUrl(agent, 'health endpoint listening');
    load = spawnTs(loadScript, [panelUrl, sessionId, String(clients), bigId, `/api/history?since=0,${healthUrl}/history?since=0`]);
    const started = load;
    await waitFor(() => started.stdout().includes('"ready":true'), 120_000, 'every panel client to have had its first answers');
  });

  after(async () => {
    await stop(load);
    await stop(agent);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(`answers GET / with a p99 under 50 ms over ${samples} requests while ${clients} panel clients hammer the API and hold streams`, async () => {
    assert.ok(agent !== undefined && load !== undefined);
    const healthUrl = await loggedUrl(agent, 'health endpoint listening');
    const before = load.stdout();
    // Up to three windows of samples: what the agent does to its own endpoint shows in every window,
    // while a burst of other work on a shared machine spoils one window, not three.
    const windows: { times: number[]; p50: number; p99: number }[] = [];
    for (let window = 0; window < maxWindows; window++) {
      const measured = await measureLatency(`${healthUrl}/`, samples, { timeoutMs: 5_000, budgetMs: 50_000 });
      windows.push({ times: measured, p50: percentile(measured, 50), p99: percentile(measured, 99) });
      if (measured.length === samples && percentile(measured, 99) < 50) break;
    }
    const best = windows.reduce((a, b) => (b.times.length === samples && (a.times.length < samples || b.p99 < a.p99) ? b : a));
    const { times, p50, p99 } = best;
    const rss = rssMiB(agent.child.pid ?? 0);
    const loadProcess = load;
    await stop(loadProcess);
    const totals = JSON.parse(loadProcess.stdout().slice(before.length).trim().split('\n').pop() ?? '{}') as { requests?: number; bytes?: number; errors?: number };
    console.log(
      `    health GET /: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${times.length} requests ` +
        `(window ${windows.indexOf(best) + 1} of ${windows.length}${windows.length > 1 ? `; p99s ${windows.map((w) => w.p99.toFixed(1)).join(', ')} ms` : ''}); ` +
        `panel load: ${String(totals.requests)} requests, ${String(totals.bytes)} bytes, ${String(totals.errors)} errors; agent RSS ${rss.toFixed(0)} MiB`,
    );
    assert.equal(times.length, samples, `only ${times.length} of ${samples} health requests were answered within the time allowed`);
    assert.ok((totals.requests ?? 0) > clients * 2, 'the panel was kept busy while the health endpoint was measured');
    assert.equal(totals.errors, 0, 'every panel request was answered');
    assert.ok(p99 < 50, `the health endpoint's p99 is ${p99.toFixed(1)} ms under panel load (at most 50 ms)`);
    assert.ok((totals.bytes ?? 0) / (totals.requests ?? 1) < 256 * 1024, 'panel answers are small');
    assert.ok(rss < 1024, `the agent holds ${rss.toFixed(0)} MiB under panel load (at most 1 GiB)`);
  });
});
