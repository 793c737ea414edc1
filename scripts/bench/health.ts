// Measures the agent's main job against baselines run in the same invocation:
// 1. failure-detection latency: a TCP listener is closed -> the endpoint answers 503 (tcp probe,
//    1 s interval), against Debian's monit (`set daemon 1`, a `port` check on the same listener)
//    noticing the same close; at least 20 trials, closes at random phases of the probe cycle;
// 2. health endpoint throughput and p99 latency over HTTPS keep-alive (wrk), against a minimal
//    node:https server answering the same bytes, with the probe's schedule drift measured meanwhile;
// 3. the agent's CPU and RSS over a window with 20 probes at 5 s intervals.
// Run with `npm run bench:health` (compiled; needs the Debian packages monit and wrk).

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callAgent } from '../../src/api/control-client.ts';
import type { RunningAgent } from './support.ts';
import { closeServer, compiled, execArgv, listen, listenOnFreePort, nowMs, percentile, sleep, startAgent, stopProcess, until } from './support.ts';

const sameBytesServer = fileURLToPath(new URL(`./fixtures/same-bytes-server.${compiled ? 'js' : 'ts'}`, import.meta.url));

const trials = Number(process.env.BENCH_TRIALS ?? 40);
const loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const cpuSeconds = Number(process.env.BENCH_CPU_SECONDS ?? 60);

const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
function endpointStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, agent: keepAlive, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

/** An agent with one tcp probe on the target, at a 1 s interval. */
function startTcpProbeAgent(dir: string, port: number): Promise<RunningAgent> {
  return startAgent(dir, [
    'node: { name: bench }',
    'health: { listen: "127.0.0.1:0" }',
    'panel: { enabled: false }',
    'probes:',
    `  - { checker: tcp, name: target, address: "127.0.0.1:${port}", interval: 1s, timeout: 500ms }`,
  ]);
}

function startMonit(dir: string, port: number): ChildProcess {
  const rc = join(dir, 'monitrc');
  writeFileSync(
    rc,
    [
      'set daemon 1',
      `set logfile ${join(dir, 'monit.log')}`,
      `set pidfile ${join(dir, 'monit.pid')}`,
      `set idfile ${join(dir, 'monit.id')}`,
      `set statefile ${join(dir, 'monit.state')}`,
      'check host bench-target with address 127.0.0.1',
      `  if failed port ${port} type tcp with timeout 1 seconds then exec "/bin/sh -c 'date +%s%N > ${join(dir, 'down')}'"`,
      `  else if succeeded then exec "/bin/sh -c 'date +%s%N > ${join(dir, 'up')}'"`,
      '',
    ].join('\n'),
  );
  chmodSync(rc, 0o600);
  return spawn('monit', ['-c', rc, '-I'], { stdio: 'ignore' });
}

function readNsFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? undefined : Number(BigInt(text) / 1000n) / 1000;
}

async function detection(): Promise<{ ours: number[]; monit: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-bench-detect-'));
  const listening = await listenOnFreePort();
  let target = listening.server;
  const port = listening.port;
  const agent = await startTcpProbeAgent(dir, port);
  const ours: number[] = [];
  const theirs: number[] = [];
  let monit: ChildProcess | undefined;
  try {
    await until(async () => ((await endpointStatus(agent.url)) === 200 ? true : undefined), 30_000, 'the agent to be healthy');
    for (let trial = 0; trial < trials; trial += 1) {
      await until(async () => ((await endpointStatus(agent.url)) === 200 ? true : undefined), 30_000, 'the agent to see the target up');
      for (const file of ['up', 'down', 'monit.pid']) if (existsSync(join(dir, file))) unlinkSync(join(dir, file));
      // A fresh monit each trial, so that its cycle's phase against the agent's is random in every
      // trial (two free-running 1 s loops otherwise keep nearly the same offset for many trials).
      // Started at a random point of the agent's cycle (not right after the check that just saw the
      // target up), so that neither side's phase is favoured.
      await sleep(Math.random() * 1000);
      monit = startMonit(dir, port);
      await until(() => (existsSync(join(dir, 'monit.pid')) ? true : undefined), 10_000, 'monit to start');
      await sleep(1500 + Math.random() * 1000); // past monit's first checks, at a random phase of both cycles
      const closedAt = nowMs();
      await closeServer(target);
      const oursAt = await until(async () => ((await endpointStatus(agent.url)) === 503 ? nowMs() : undefined), 30_000, 'the endpoint to answer 503', 5);
      const monitAt = await until(() => readNsFile(join(dir, 'down')), 30_000, 'monit to notice');
      ours.push(oursAt - closedAt);
      theirs.push(monitAt - closedAt);
      process.stdout.write(`  trial ${trial + 1}/${trials}: gravity ${Math.round(oursAt - closedAt)} ms, monit ${Math.round(monitAt - closedAt)} ms\n`);
      await stopProcess(monit);
      monit = undefined;
      target = await listen(port);
    }
  } finally {
    if (monit !== undefined) await stopProcess(monit);
    await stopProcess(agent.child);
    await closeServer(target);
    rmSync(dir, { recursive: true, force: true });
  }
  return { ours, monit: theirs };
}

interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
}

/** Runs wrk without blocking this process (the probe watcher keeps running meanwhile). */
async function wrk(url: string): Promise<WrkResult> {
  const child = spawn('wrk', ['-t1', '-c8', `-d${loadSeconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(output);
  if (rps === null || p99 === null) throw new Error(`cannot read wrk's output:\n${output}`);
  const unit = p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1;
  return { requestsPerSecond: Number(rps[1]), p99Ms: Number(p99[1]) * unit };
}

async function throughput(): Promise<{ ours: WrkResult; baseline: WrkResult; driftMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-bench-load-'));
  const { server: target, port } = await listenOnFreePort();
  const agent = await startTcpProbeAgent(dir, port);
  let baseline: ChildProcess | undefined;
  try {
    await until(async () => ((await endpointStatus(agent.url)) === 200 ? true : undefined), 30_000, 'the agent to be healthy');
    // Watch the probe's schedule while the endpoint is under load.
    const checks = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const report = await callAgent({ stateDir: dir }, 'status');
        const checkedAt = report.nodes[0]?.probes.find((probe) => probe.name === 'target')?.checkedAt;
        if (checkedAt !== undefined) checks.add(checkedAt);
        await sleep(100);
      }
    })();
    const ours = await wrk(agent.url);
    watching = false;
    await watcher;
    const times = [...checks].sort((a, b) => a - b);
    const driftMs = times.slice(1).map((time, index) => Math.abs(time - (times[index] ?? time) - 1000));

    const body = join(dir, 'body.json');
    const answer = execFileSync('curl', ['-sk', agent.url]);
    writeFileSync(body, answer);
    baseline = spawn(process.execPath, [...execArgv, sameBytesServer, join(dir, 'tls', 'server.key'), join(dir, 'tls', 'server.crt'), body, '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let portText = '';
    baseline.stdout?.setEncoding('utf8').on('data', (chunk: string) => (portText += chunk));
    const baselinePort = await until(() => (portText.includes('\n') ? Number(portText.trim()) : undefined), 10_000, 'the baseline server');
    const base = await wrk(`https://127.0.0.1:${baselinePort}/`);
    return { ours, baseline: base, driftMs };
  } finally {
    if (baseline !== undefined) await stopProcess(baseline);
    await stopProcess(agent.child);
    await closeServer(target);
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

async function footprint(): Promise<{ cpuPercent: number; rssMaxMb: number; rssEndMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-bench-cpu-'));
  const { server: target, port } = await listenOnFreePort();
  const probes = Array.from({ length: 20 }, (_, index) => {
    const kinds = [
      `{ checker: tcp, name: tcp-${index}, address: "127.0.0.1:${port}", interval: 5s }`,
      `{ checker: memory, name: memory-${index}, interval: 5s, severity: warning }`,
      `{ checker: disk-space, name: disk-${index}, interval: 5s }`,
      `{ checker: load, name: load-${index}, interval: 5s, severity: warning }`,
    ];
    return `  - ${kinds[index % kinds.length]}`;
  });
  const agent = await startAgent(dir, ['node: { name: bench }', 'health: { listen: "127.0.0.1:0" }', 'panel: { enabled: false }', 'probes:', ...probes]);
  try {
    const pid = agent.child.pid ?? 0;
    await sleep(5000); // start-up is not steady state
    const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const startTicks = cpuTicks(pid);
    const started = nowMs();
    let rssMax = 0;
    for (let second = 0; second < cpuSeconds; second += 1) {
      rssMax = Math.max(rssMax, rssBytes(pid));
      await sleep(1000);
    }
    const elapsedSeconds = (nowMs() - started) / 1000;
    const cpuPercent = ((cpuTicks(pid) - startTicks) / ticksPerSecond / elapsedSeconds) * 100;
    return { cpuPercent, rssMaxMb: rssMax / 1024 / 1024, rssEndMb: rssBytes(pid) / 1024 / 1024 };
  } finally {
    await stopProcess(agent.child);
    await closeServer(target);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`health benchmark (node ${process.version}, ${compiled ? 'compiled' : 'tsx'})\n`);
  console.log(`1. failure detection (${trials} trials: listener closed -> noticed)`);
  const detected = await detection();
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  const fmt = (values: number[]): string =>
    `median ${Math.round(percentile(values, 50))} ms, mean ${Math.round(mean(values))} ms, p99 ${Math.round(percentile(values, 99))} ms`;
  console.log(`  gravity (tcp probe, 1 s interval, endpoint 503):  ${fmt(detected.ours)}`);
  console.log(`  baseline: monit (set daemon 1, port check):      ${fmt(detected.monit)}`);

  console.log(`\n2. health endpoint under load (wrk, 1 thread, 8 keep-alive connections, ${loadSeconds} s, HTTPS)`);
  const load = await throughput();
  console.log(`  gravity endpoint:                       ${Math.round(load.ours.requestsPerSecond)} req/s, p99 ${load.ours.p99Ms.toFixed(2)} ms`);
  console.log(`  baseline: node:https, same bytes:       ${Math.round(load.baseline.requestsPerSecond)} req/s, p99 ${load.baseline.p99Ms.toFixed(2)} ms`);
  const ratio = load.ours.requestsPerSecond / load.baseline.requestsPerSecond;
  const maxDrift = Math.max(0, ...load.driftMs);
  console.log(`  ratio ${ratio.toFixed(2)}; probe schedule drift during the load: max ${Math.round(maxDrift)} ms over ${load.driftMs.length} intervals`);

  console.log(`\n3. footprint (20 probes at 5 s intervals, ${cpuSeconds} s)`);
  const usage = await footprint();
  console.log(`  CPU ${usage.cpuPercent.toFixed(2)} % of one core; RSS max ${usage.rssMaxMb.toFixed(1)} MB, at the end ${usage.rssEndMb.toFixed(1)} MB`);

  const checks: [string, boolean][] = [
    ['detection median no worse than monit', percentile(detected.ours, 50) <= percentile(detected.monit, 50)],
    ['detection p99 under 2 s', percentile(detected.ours, 99) < 2000],
    ['endpoint throughput at least 0.7 of the baseline', ratio >= 0.7],
    ['probe drift under 100 ms during the load', maxDrift < 100],
    ['CPU under 2 % of one core', usage.cpuPercent < 2],
    ['RSS under 150 MB', usage.rssMaxMb < 150],
  ];
  console.log('\ntargets');
  for (const [name, ok] of checks) console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
}

await main();
