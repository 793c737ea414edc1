// Measures what the plan engine costs, beside the baselines it competes with, in one run:
// - per-phase engine overhead: a 1,000-leaf plan (10 groups of 100) of no-op phases resumed by the
//   engine on a real SQLite store (WAL, synchronous=FULL: two fsynced writes per phase), against the
//   same no-op executor called 1,000 times in a plain loop; overhead = engine per phase - loop per call;
// - `gravity plan` on that plan as a whole process (spawn to exit), against `node -e ''`; for scale,
//   `gravity --version`, which loads the CLI's modules and does nothing else.
// A 50-leaf plan is run first, in its own state dir, so that the figures do not measure module
// loading and the first compilations. Run with `npm run bench:plans` (compiled, so no TypeScript
// loader is measured). BENCH_STATE_PARENT chooses where the state dirs go (the OS temp dir by default):
// the durable writes cost what that file system's fsync costs.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOperation, PlanEngine } from '../../src/plan/engine.ts';
import type { ProgressEvent } from '../../src/plan/engine.ts';
import type { PhaseContext, PhaseRunner } from '../../src/plan/executors.ts';
import type { PhaseSpec } from '../../src/plan/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { OperationStore } from '../../src/store/types.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';

const compiled = !import.meta.url.endsWith('.ts');
const cliMain = fileURLToPath(new URL(compiled ? '../../src/cli/main.js' : '../../src/cli/main.ts', import.meta.url));
const execArgv = compiled ? [] : ['--import', 'tsx'];

const groups = Number(process.env.BENCH_GROUPS ?? 10);
const leavesPerGroup = Number(process.env.BENCH_LEAVES ?? 100);
const processRounds = Number(process.env.BENCH_PROCESS_ROUNDS ?? 10);
const stateParent = process.env.BENCH_STATE_PARENT ?? tmpdir();

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function summarize(samples: number[]): { median: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length };
}

const fmt = (ms: number): string =>
  Math.abs(ms) < 0.01 ? `${(ms * 1000).toFixed(1)} µs` : Math.abs(ms) < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;

/** A phase that does nothing: what is left of a run is the engine's own work. */
const noOpRunner: PhaseRunner = {
  execute: () => Promise.resolve(),
  rollback: () => Promise.resolve(),
};

function buildPlan(groupCount: number, leafCount: number): PhaseSpec {
  const noOp = { kind: 'run', argv: ['true'], env: {}, shell: false, timeoutMs: 3_600_000, retries: 0, retryBackoffMs: 1000 } as const;
  const phases: PhaseSpec[] = [];
  for (let g = 0; g < groupCount; g += 1) {
    const group = `/group-${g}`;
    const children: PhaseSpec[] = [];
    for (let l = 0; l < leafCount; l += 1) {
      children.push({ id: `${group}/leaf-${l}`, description: `No-op ${l} of group ${g}`, requires: [], executor: { ...noOp, argv: [...noOp.argv] }, phases: [] });
    }
    phases.push({ id: group, description: `Group ${g}`, requires: g === 0 ? [] : [`/group-${g - 1}`], phases: children });
  }
  return { id: '/', description: 'No-op plan', requires: [], phases };
}

function leafSpecs(root: PhaseSpec): PhaseSpec[] {
  return root.phases.length === 0 ? [root] : root.phases.flatMap(leafSpecs);
}

interface EngineRun {
  /** Time from one phase's end to the next's (the first: from the call to resume): all the engine does per phase. */
  perPhase: number[];
  /** Inside a phase: its `start` to its `done` event (the phase machine, its two writes, the executor). */
  startToDone: number[];
  totalMs: number;
  /** Time in the store's phase-change writes (fsynced), and how many. */
  writeMs: number;
  writes: number;
  /** How often the changelog was read back (a plan rebuilt from the store), and the time it took. */
  changeReads: number;
  changeReadMs: number;
}

/** Creates an operation of the plan in a fresh store under `stateDir` and resumes it with the no-op runner. */
async function runEngine(stateDir: string, plan: PhaseSpec): Promise<EngineRun> {
  const store = openSqliteStore(stateDir);
  try {
    const run: EngineRun = { perPhase: [], startToDone: [], totalMs: 0, writeMs: 0, writes: 0, changeReads: 0, changeReadMs: 0 };
    // The store as the engine sees it, with its writes and changelog reads timed.
    const operations: OperationStore = {
      ...store.operations,
      appendChange: async (change) => {
        const started = performance.now();
        await store.operations.appendChange(change);
        run.writeMs += performance.now() - started;
        run.writes += 1;
      },
      changes: async (operationId) => {
        const started = performance.now();
        const changes = await store.operations.changes(operationId);
        run.changeReadMs += performance.now() - started;
        run.changeReads += 1;
        return changes;
      },
    };
    const operationId = await createOperation(operations, { id: crypto.randomUUID(), type: 'custom', description: 'No-op plan', plan, created: Date.now() });
    let lastEnd = 0;
    let phaseStart = 0;
    const failures: string[] = [];
    const onProgress = (event: ProgressEvent): void => {
      const now = performance.now();
      if (event.kind === 'start') phaseStart = now;
      if (event.kind === 'done') {
        run.perPhase.push(now - lastEnd);
        run.startToDone.push(now - phaseStart);
        lastEnd = now;
      }
      if (event.kind === 'failed') failures.push(`${event.phaseId}: ${event.error}`);
    };
    const engine = await PlanEngine.open({ store: operations, runner: noOpRunner, operationId, holder: { pid: process.pid, hostname: hostname() }, scope: new ActorScope('bench/operation', new InspectionBus(), systemClock), onProgress });
    const started = performance.now();
    lastEnd = started;
    const state = await engine.resume();
    run.totalMs = performance.now() - started;
    if (state !== 'completed' || failures.length > 0) throw new Error(`the no-op plan ended ${state}: ${failures.join('; ')}`);
    const leafCount = leafSpecs(plan).length;
    if (run.perPhase.length !== leafCount) throw new Error(`${run.perPhase.length} phases reported done, expected ${leafCount}`);
    return run;
  } finally {
    await store.close();
  }
}

/** The same executor, called once per leaf in a plain loop: what running the phases costs without an engine. */
async function plainLoop(plan: PhaseSpec, operationId: string): Promise<number[]> {
  const ctx: PhaseContext = { signal: new AbortController().signal, operationId, scope: new ActorScope('bench/phase', new InspectionBus(), systemClock) };
  const samples: number[] = [];
  for (const spec of leafSpecs(plan)) {
    const started = performance.now();
    await noOpRunner.execute(spec, ctx);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Runs a process to its exit; returns the wall time from spawn. Fails unless it exits 0. */
async function wallTime(command: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(code)}: ${stderr.trim()}`);
  return { ms, stdout };
}

async function main(): Promise<void> {
  console.log(`plan engine benchmark (node ${process.version}, ${compiled ? 'compiled' : 'tsx'}, state dirs in ${stateParent})`);
  const stateDirs: string[] = [];
  const newStateDir = (): string => {
    const dir = mkdtempSync(join(stateParent, 'gravity-bench-plans-'));
    stateDirs.push(dir);
    return dir;
  };
  try {
    // Warm-up: module loading, statement preparation and the first compilations.
    await runEngine(newStateDir(), buildPlan(1, 50));
    await plainLoop(buildPlan(1, 50), 'warm-up');

    const plan = buildPlan(groups, leavesPerGroup);
    const leafCount = leafSpecs(plan).length;
    const stateDir = newStateDir();
    const engineRun = await runEngine(stateDir, plan);
    const loop = summarize(await plainLoop(plan, 'baseline'));
    const perPhase = summarize(engineRun.perPhase);
    const inside = summarize(engineRun.startToDone);
    const overheadMedian = perPhase.median - loop.median;
    const overheadP99 = perPhase.p99 - loop.p99;

    console.log(`\nper phase, ${leafCount.toLocaleString('en-US')} no-op leaves (${groups} groups x ${leavesPerGroup})`.padEnd(72) + 'median       p99');
    const row = (name: string, median: number, p99: number, note = ''): void =>
      console.log(`  ${name.padEnd(68)}${fmt(median).padStart(10)}${fmt(p99).padStart(11)}   ${note}`);
    row('engine.resume(), one phase end to the next', perPhase.median, perPhase.p99, `n=${perPhase.n}`);
    row('  of which inside the phase (start -> done event)', inside.median, inside.p99, `n=${inside.n}`);
    row('baseline: the same executor in a plain loop, per call', loop.median, loop.p99, `n=${loop.n}`);
    row('engine overhead (engine - baseline)', overheadMedian, overheadP99);
    console.log(`  whole resume: ${fmt(engineRun.totalMs)} (${fmt(engineRun.totalMs / leafCount)} per phase); plain loop mean ${fmt(loop.mean)} per call`);
    console.log(
      `  store: ${engineRun.writes} fsynced phase-change writes, ${fmt(engineRun.writeMs / engineRun.writes)} each (${fmt(engineRun.writeMs / leafCount)} per phase);` +
        ` changelog read ${engineRun.changeReads} times, ${fmt(engineRun.changeReadMs)} in all`,
    );

    // `gravity plan` on the completed plan, as a user runs it: a whole process, spawn to exit.
    const configFile = join(stateDir, 'gravity.yaml');
    writeFileSync(configFile, 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\n');
    const gravityArgs = [...execArgv, cliMain, 'plan', '--state-dir', stateDir, '--config', configFile];
    const first = await wallTime(process.execPath, gravityArgs); // warm-up, and a check that it shows the plan
    const shownLeaves = first.stdout.split('\n').filter((line) => /^\s+\S+ leaf-\d+\s.*Completed/u.test(line)).length;
    if (shownLeaves !== leafCount) throw new Error(`gravity plan showed ${shownLeaves} completed leaves, expected ${leafCount}:\n${first.stdout.slice(0, 2000)}`);
    await wallTime(process.execPath, ['-e', '']);
    const versionArgs = [...execArgv, cliMain, '--version'];
    const gravityTimes: number[] = [];
    const nodeTimes: number[] = [];
    const versionTimes: number[] = [];
    for (let i = 0; i < processRounds; i += 1) {
      // Interleaved, so that all see the same machine.
      gravityTimes.push((await wallTime(process.execPath, gravityArgs)).ms);
      nodeTimes.push((await wallTime(process.execPath, ['-e', ''])).ms);
      versionTimes.push((await wallTime(process.execPath, versionArgs)).ms);
    }
    const gravity = summarize(gravityTimes);
    const bare = summarize(nodeTimes);
    const version = summarize(versionTimes);
    const ratio = gravity.median / bare.median;
    console.log(`\n${'whole process, spawn to exit'.padEnd(70)}median       p99`);
    row(`gravity plan (${leafCount.toLocaleString('en-US')} leaves, ${first.stdout.split('\n').length} lines of output)`, gravity.median, gravity.p99, `n=${gravity.n}`);
    row("baseline: node -e ''", bare.median, bare.p99, `n=${bare.n}`);
    row('for scale: gravity --version (loading the CLI, no work)', version.median, version.p99, `n=${version.n}`);
    console.log(`  ratio of medians: ${ratio.toFixed(2)}x (gravity --version: ${(version.median / bare.median).toFixed(2)}x)`);

    const checks: [string, boolean][] = [
      ['engine overhead median under 2 ms per phase', overheadMedian < 2],
      ["gravity plan under 4x node -e '' (medians)", ratio < 4],
    ];
    console.log('\ntargets');
    for (const [name, ok] of checks) console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
  } finally {
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
