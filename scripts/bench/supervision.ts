// Measures what supervision costs, beside the baselines it competes with, in one run:
// - restart latency of a crashed actor on the main thread and on a worker thread (crash -> the
//   supervisor has started the new incarnation), against a fresh `node` process's spawn-to-first-
//   message time (what PM2 or systemd pay per restart);
// - events per second across the worker boundary through the host API, against raw postMessage
//   into the same actor on a bare worker (and, for scale, into a bare counter with no actor).
// Run with `npm run bench:supervision` (compiled, so no TypeScript loader is measured).

import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { createLauncher } from '../../src/supervisor/launcher.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { ChildSpecInput } from '../../src/supervisor/spec.ts';
import { startWorkerChild } from '../../src/actors/worker-child.ts';
import { endWorkerSpares, setWorkerSpares } from '../../src/actors/worker-spares.ts';
import type { ExitReason } from '../../src/supervisor/child.ts';
import { crashOnDemand } from './fixtures/bench-actors.ts';

const compiled = !import.meta.url.endsWith('.ts');
const fixture = (name: string): string => new URL(`./fixtures/${name}.${compiled ? 'js' : 'ts'}`, import.meta.url).href;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function summarize(samples: number[]): { median: number; p99: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

/**
 * Crash the child `rounds` times; each sample is crash -> supervisor reports the new incarnation
 * started. `pauseMs` spaces the crashes (real restarts are seconds apart: the default intensity
 * allows one in 5 s), which gives a warm spare thread time to load.
 */
async function restartLatency(child: ChildSpecInput, rounds: number, pauseMs = 0): Promise<number[]> {
  const bus = new InspectionBus();
  const supervisor = new Supervisor({
    path: 'bench',
    spec: compileSupervisorSpec({
      intensity: 1_000_000,
      period: 1,
      backoff: { baseMs: 0, jitter: 0 },
      heartbeat: { intervalMs: 1000, timeoutMs: 5000 },
      children: [child],
    }),
    bus,
    clock: systemClock,
    launcher: createLauncher({ startOnWorker: startWorkerChild }),
  });
  let restarted: (() => void) | undefined;
  bus.subscribe(
    (record) => {
      if (record.kind === 'supervisor' && record.action === 'start' && record.reason === 'restarted') restarted?.();
    },
    { kinds: ['supervisor'] },
  );
  await supervisor.start();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const done = new Promise<void>((resolve) => (restarted = resolve));
    const started = performance.now();
    supervisor.sendTo(child.id, { type: 'CRASH' });
    await done;
    samples.push(performance.now() - started);
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  await supervisor.stop();
  return samples;
}

/** Spawn a fresh node process and wait for its first IPC message. */
async function processSpawnLatency(rounds: number): Promise<number[]> {
  const samples: number[] = [];
  const script = new URL(fixture('first-message-child'));
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    const child = fork(script, [], { stdio: 'ignore', execArgv: compiled ? [] : ['--import', 'tsx'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
    });
    samples.push(performance.now() - started);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }
  return samples;
}

/** Events per second from the main thread to a worker-hosted actor through the host API. */
async function hostApiThroughput(events: number): Promise<number> {
  const bus = new InspectionBus();
  let finished: ((reason: ExitReason) => void) | undefined;
  const running = await startWorkerChild(
    compileSupervisorSpec({
      children: [{ id: 'counter', thread: 'worker', start: { module: fixture('bench-actors'), export: 'countToTarget', input: { target: events } } }],
    }).children[0]!,
    {
      path: 'bench/counter',
      bus,
      clock: systemClock,
      onExit: (reason) => finished?.(reason),
      heartbeat: { intervalMs: 1000, timeoutMs: 10_000 },
    },
  );
  const done = new Promise<ExitReason>((resolve) => (finished = resolve));
  const started = performance.now();
  for (let i = 0; i < events; i += 1) running.send({ type: 'TICK' });
  const reason = await done;
  const elapsed = performance.now() - started;
  if (reason.kind !== 'normal') throw new Error(`counter ended abnormally: ${JSON.stringify(reason)}`);
  await running.stop('brutal');
  return events / (elapsed / 1000);
}

/** The same count with bare postMessage, into the same actor (`raw-actor-worker`) or a bare counter. */
async function rawPostMessageThroughput(events: number, receiver: 'raw-actor-worker' | 'raw-counter-worker'): Promise<number> {
  const worker = new Worker(new URL(fixture(receiver)), {
    workerData: { target: events },
    execArgv: compiled ? [] : ['--import', 'tsx'],
  });
  await new Promise<void>((resolve) => worker.once('online', () => resolve()));
  const done = new Promise<void>((resolve) => worker.once('message', () => resolve()));
  const started = performance.now();
  for (let i = 0; i < events; i += 1) worker.postMessage({ type: 'TICK' });
  await done;
  const elapsed = performance.now() - started;
  await worker.terminate();
  return events / (elapsed / 1000);
}

async function main(): Promise<void> {
  const mainRounds = Number(process.env.BENCH_MAIN_ROUNDS ?? 2000);
  const workerRounds = Number(process.env.BENCH_WORKER_ROUNDS ?? 60);
  const spawnRounds = Number(process.env.BENCH_SPAWN_ROUNDS ?? 30);
  const workerPauseMs = Number(process.env.BENCH_WORKER_PAUSE_MS ?? 300);
  const throughputEvents = Number(process.env.BENCH_EVENTS ?? 200_000);

  console.log(`supervision benchmark (node ${process.version}, ${compiled ? 'compiled' : 'tsx'})`);
  // Warm-up so that the first samples do not measure module loading.
  await restartLatency({ id: 'warm', start: { logic: crashOnDemand } }, 50);

  const mainThread = summarize(await restartLatency({ id: 'crashy', start: { logic: crashOnDemand } }, mainRounds));
  const workerChild: ChildSpecInput = { id: 'crashy', thread: 'worker', start: { module: fixture('bench-actors'), export: 'crashOnDemand' } };
  const workerCold = summarize(await restartLatency(workerChild, workerRounds));
  setWorkerSpares(1); // as the agent runs
  const workerThread = summarize(await restartLatency(workerChild, workerRounds, workerPauseMs));
  await endWorkerSpares();
  const spawn = summarize(await processSpawnLatency(spawnRounds));

  const hostApi = [];
  const rawActor = [];
  const rawCounter = [];
  for (let i = 0; i < 3; i += 1) {
    hostApi.push(await hostApiThroughput(throughputEvents));
    rawActor.push(await rawPostMessageThroughput(throughputEvents, 'raw-actor-worker'));
    rawCounter.push(await rawPostMessageThroughput(throughputEvents, 'raw-counter-worker'));
  }
  const best = (values: number[]): number => Math.max(...values);

  const rows: [string, string, string, string][] = [
    ['restart, main-thread actor', fmt(mainThread.median), fmt(mainThread.p99), `n=${mainThread.n}`],
    [`restart, worker-hosted actor (1 warm spare, crashes ${workerPauseMs} ms apart)`, fmt(workerThread.median), fmt(workerThread.p99), `n=${workerThread.n}`],
    ['restart, worker-hosted actor, no spare (new thread)', fmt(workerCold.median), fmt(workerCold.p99), `n=${workerCold.n}`],
    ['baseline: fresh node process, spawn to first message', fmt(spawn.median), fmt(spawn.p99), `n=${spawn.n}`],
  ];
  console.log(`\n${'restart latency'.padEnd(70)}median       p99`);
  for (const [name, median, p99, n] of rows) console.log(`  ${name.padEnd(68)}${median.padStart(10)}${p99.padStart(11)}   ${n}`);
  const hostRate = best(hostApi);
  const rawRate = best(rawActor);
  const rawCounterRate = best(rawCounter);
  const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US').padStart(12)} events/s`;
  console.log(`\nevents across the worker boundary (${throughputEvents.toLocaleString('en-US')} events, best of 3)`);
  console.log(`  host API send -> supervised worker-hosted actor           ${rate(hostRate)}`);
  console.log(`  baseline: raw postMessage -> the same actor, bare worker  ${rate(rawRate)}`);
  console.log(`  for scale: raw postMessage -> a bare counter, no actor    ${rate(rawCounterRate)}`);

  const checks: [string, boolean][] = [
    ['main-thread restart median under 1 ms', mainThread.median < 1],
    ['worker restart median at most the fresh-process baseline', workerThread.median <= spawn.median],
    ['host API at least half of raw postMessage into the same actor', hostRate >= rawRate / 2],
  ];
  console.log('\ntargets');
  for (const [name, ok] of checks) console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
}

await main();
