// Measures the Control Panel from one run against a real agent and Debian's Chromium:
// 1. live latency: a probe's transition in the agent (the time on its inspection record) to the lit
//    state changing in the browser (a MutationObserver's clock), median over 20 transitions, against
//    the same records reaching `gravity debug inspect --follow` (the agent's raw stream, no browser);
// 2. the panel's first load on localhost (navigation to load event, and to the top bar showing), cold
//    cache, with the bytes transferred;
// 3. the layout time (elkjs) of the largest machine's chart, against the smallest one's;
// 4. the health endpoint's latency (GET /, p99) idle and while twenty panel clients (a separate load
//    process, panel-load.ts) ask for the operations and a 10 MB operation's plan and hold streams.
// Run with `npm run bench:panel` (compiled; needs the built pages and /usr/bin/chromium).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import type { Page } from 'playwright-core';
import { defaultAssetsDir } from '../../src/api/panel-server.ts';
import { machineModel } from '../../src/statechart/graph.ts';
import { drawableMachines } from '../../src/statechart/registry.ts';
import { layoutStatechart } from '../../src/statechart/layout.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { launchChromium } from '../browser/chromium.ts';
import { measureLatency } from './panel-load.ts';
import { cliMain, closeServer, compiled, execArgv, listen, listenOnFreePort, loggedUrl, nowMs, percentile, startAgent, stopProcess, until } from './support.ts';

const transitions = Number(process.env.BENCH_TRANSITIONS ?? 20);
const loads = Number(process.env.BENCH_LOADS ?? 5);
const layoutRuns = Number(process.env.BENCH_LAYOUT_RUNS ?? 20);
const probeActor = 'agent/probes/probe:target';
const password = 'copper-Lantern-harbor-97';
const loadClients = Number(process.env.BENCH_PANEL_CLIENTS ?? 20);
const healthSamples = Number(process.env.BENCH_HEALTH_SAMPLES ?? 400);
const loadScript = fileURLToPath(new URL(compiled ? './panel-load.js' : './panel-load.ts', import.meta.url));

/** The health endpoint's p50 and p99 (GET /) while `loadClients` panel clients keep the panel busy from their own process. */
async function healthUnderLoad(dir: string, healthUrl: string, panelUrl: string, sessionId: string): Promise<{ idle: Stats; busy: Stats }> {
  const store = openSqliteStore(dir);
  const huge = 'big plan '.repeat((10 * 1024 * 1024) / 9);
  try {
    await store.operations.create({ id: 'bench-big', type: 'custom', description: huge, created: Date.now(), plan: { id: '/', description: huge, requires: [], phases: [] } });
  } finally {
    await store.close();
  }
  const idle = stats(await measureLatency(`${healthUrl}/`, healthSamples));
  const load = spawn(process.execPath, [...execArgv, loadScript, panelUrl, sessionId, String(loadClients), 'bench-big'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  load.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    await until(() => (output.includes('"ready":true') ? true : undefined), 120_000, 'the panel clients to have their first answers', 50);
    return { idle, busy: stats(await measureLatency(`${healthUrl}/`, healthSamples, { budgetMs: 180_000 })) };
  } finally {
    await stopProcess(load);
  }
}

interface Stats {
  median: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

function stats(values: readonly number[]): Stats {
  return { median: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: Math.max(...values), n: values.length };
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

function runCli(args: string[]): string {
  const result = spawnSync(process.execPath, [...execArgv, cliMain, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`gravity ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The probe's status in a snapshot value (`{ active: { status, cycle } }`). */
function probeStatus(value: unknown): string | undefined {
  const active = (value as { active?: { status?: unknown } } | null)?.active;
  return typeof active?.status === 'string' ? active.status : undefined;
}

/**
 * Watches the chart's lit states in the page; each change to a lit state is stamped with the wall
 * clock. Page scripts are text: this project's types describe Node, not the DOM.
 */
const watchLitStatesScript = `(() => {
  const log = [];
  window.litLog = log;
  new MutationObserver((mutations) => {
    const at = performance.timeOrigin + performance.now();
    for (const mutation of mutations) {
      if (mutation.attributeName === 'data-active' && mutation.target.getAttribute('data-active') === 'true') {
        log.push({ id: mutation.target.getAttribute('data-state-id') || '', at });
      }
    }
  }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-active'] });
})()`;

const loadTimingScript = `(() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return {
    load: navigation.loadEventEnd - navigation.startTime,
    bytes: navigation.transferSize + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
  };
})()`;

async function litLog(page: Page): Promise<{ id: string; at: number }[]> {
  return page.evaluate<{ id: string; at: number }[]>('window.litLog.slice()');
}

async function main(): Promise<void> {
  if (!existsSync(join(defaultAssetsDir(), 'index.html'))) throw new Error(`no built pages in ${defaultAssetsDir()}: run npm run build`);
  const dir = mkdtempSync(join(tmpdir(), 'gravity-bench-panel-'));
  const free = await listenOnFreePort();
  const port = free.port;
  let target: Server = free.server;
  const agent = await startAgent(dir, [
    'node: { name: bench, advertiseAddr: 127.0.0.1 }',
    'health: { listen: "127.0.0.1:0" }',
    'panel: { listen: "127.0.0.1:0" }',
    'probes:',
    `  - { checker: tcp, name: target, address: "127.0.0.1:${port}", interval: 1s, timeout: 500ms, failuresBeforeFailed: 1, successesBeforeRunning: 1 }`,
  ]);
  const browser = await launchChromium();
  const inspect = spawn(process.execPath, [...execArgv, cliMain, 'debug', 'inspect', '--follow', '--actor', probeActor, '--kinds', 'snapshot', '--backlog', '0', '--state-dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const panelUrl = await loggedUrl(agent, 'Control Panel listening');
    const signup = /https:\/\/\S+/u.exec(runCli(['users', 'add', 'bench@example.com', '--roles=@teleadmin', '--state-dir', dir, '--config', join(dir, 'gravity.yaml')]))?.[0];
    if (signup === undefined) throw new Error('users add printed no URL');
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${panelUrl}${new URL(signup).pathname}`);
    await page.fill('input[name="password"]', password);
    await page.fill('input[name="confirm"]', password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="cluster-status"][data-status="running"]', { timeout: 30_000 });
    const signedIn = await context.storageState();

    // 1. First loads, each in a fresh context (cold cache) with the session cookie.
    const loadTimes: number[] = [];
    const visibleTimes: number[] = [];
    let transferred = 0;
    for (let i = 0; i < loads; i++) {
      const cold = await browser.newContext({ ignoreHTTPSErrors: true, storageState: signedIn });
      const fresh = await cold.newPage();
      const started = nowMs();
      await fresh.goto(`${panelUrl}/`, { waitUntil: 'load' });
      await fresh.waitForSelector('[data-testid="cluster-status"]');
      visibleTimes.push(nowMs() - started);
      const timing = await fresh.evaluate<{ load: number; bytes: number }>(loadTimingScript);
      loadTimes.push(timing.load);
      transferred = timing.bytes;
      await cold.close();
    }

    // 2. Live latency: the probe's chart open, the target toggled, each lit change matched with the
    // agent's record of the same transition.
    const agentRecords: { status: string; time: number; arrived: number }[] = [];
    let pending = '';
    inspect.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const arrived = nowMs();
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as { time: number; value: unknown };
        const status = probeStatus(record.value);
        const last = agentRecords.at(-1);
        if (status !== undefined && status !== last?.status) agentRecords.push({ status, time: record.time, arrived });
      }
    });
    await page.goto(`${panelUrl}/actors?path=${encodeURIComponent(probeActor)}`);
    await page.waitForSelector('[data-state-id="probe.active.status.running"][data-active="true"]', { timeout: 30_000 });
    await page.evaluate(watchLitStatesScript);
    const browserLatency: number[] = [];
    const cliLatency: number[] = [];
    let live: Server | undefined = target;
    for (let i = 0; i < transitions; i++) {
      const next = live === undefined ? 'running' : 'failed';
      if (live !== undefined) {
        await closeServer(live);
        live = undefined;
      } else {
        live = await listen(port);
      }
      const lit = await until(
        async () => (await litLog(page)).filter((entry) => entry.id === `probe.active.status.${next}`).at(-1),
        15_000,
        `the browser to light ${next}`,
      );
      const record = await until(() => agentRecords.filter((entry) => entry.status === next).at(-1), 5_000, `the agent's ${next} record`);
      browserLatency.push(lit.at - record.time);
      cliLatency.push(record.arrived - record.time);
      await page.evaluate('window.litLog.splice(0)');
      agentRecords.splice(0, agentRecords.length - 1);
    }
    target = live ?? (await listen(port));

    // 3. Layout of the largest and the smallest chart.
    const sized = drawableMachines
      .map((drawable) => {
        const model = machineModel(drawable.machine);
        // Size: states and transitions, the work elk has to do.
        const size = JSON.stringify(model.root).split('"kind"').length + model.transitions.length;
        return { name: drawable.name, model, size };
      })
      .sort((a, b) => b.size - a.size);
    const layoutTimes = async (model: ReturnType<typeof machineModel>): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < layoutRuns; i++) {
        const started = nowMs();
        await layoutStatechart(model);
        times.push(nowMs() - started);
      }
      return times;
    };
    const largest = sized[0]!;
    const smallest = sized.at(-1)!;
    const largestTimes = stats(await layoutTimes(largest.model));
    const smallestTimes = stats(await layoutTimes(smallest.model));

    // 4. The health endpoint, idle and under panel load.
    const sessionId = (await context.cookies()).find((cookie) => cookie.name === 'gravity_session')?.value;
    if (sessionId === undefined) throw new Error('the browser holds no session cookie');
    const health = await healthUnderLoad(dir, await loggedUrl(agent, 'health endpoint listening'), panelUrl, sessionId);

    const latency = stats(browserLatency);
    const cli = stats(cliLatency);
    const load = stats(loadTimes);
    const visible = stats(visibleTimes);
    console.log(`Control Panel benchmark (node ${process.version}, Chromium headless, agent and browser on 127.0.0.1)`);
    console.log('');
    console.log(`transition -> lit state in the browser (${latency.n} transitions): median ${ms(latency.median)}, p90 ${ms(latency.p90)}, max ${ms(latency.max)}   target: median < 300 ms -> ${latency.median < 300 ? 'met' : 'MISSED'}`);
    console.log(`  baseline: same records to \`gravity debug inspect --follow\`: median ${ms(cli.median)}, p90 ${ms(cli.p90)}, max ${ms(cli.max)}`);
    console.log(`first load, cold cache (${load.n} loads): load event median ${ms(load.median)} (max ${ms(load.max)}), top bar shown median ${ms(visible.median)}   target: < 1 s -> ${visible.median < 1000 ? 'met' : 'MISSED'}`);
    console.log(`  transferred: ${(transferred / 1024).toFixed(1)} KiB (pages, scripts, styles, first API answers)`);
    console.log(`chart layout (elkjs, ${layoutRuns} runs): largest machine '${largest.name}' median ${ms(largestTimes.median)} (max ${ms(largestTimes.max)}); smallest '${smallest.name}' median ${ms(smallestTimes.median)}`);
    console.log(
      `health endpoint GET / (${health.busy.n} requests): idle p99 ${ms(health.idle.p99)}; with ${loadClients} panel clients busy (a 10 MB operation in the store) median ${ms(health.busy.median)}, p99 ${ms(health.busy.p99)}, max ${ms(health.busy.max)}   target: p99 < 50 ms -> ${health.busy.p99 < 50 ? 'met' : 'MISSED'}`,
    );
    await context.close();
  } finally {
    inspect.kill('SIGTERM');
    await browser.close();
    await stopProcess(agent.child);
    await closeServer(target).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
