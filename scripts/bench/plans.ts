// Measures what the plan engine costs, beside the baselines it competes with, in one run:
// - per-phase engine overhead: a 1,000-leaf plan (10 groups of 100) of no-op phases resumed by the
//   engine on a real SQLite store (WAL, synchronous=FULL: two fsynced writes per phase), against the
//   same no-op executor called 1,000 times in a plain loop; overhead = engine per phase - loop per call;
// - the same plan and no-op executor run through the operations subtree in this process
//   (`startLocalOperations`: the operations supervisor, the `operation:<id>` actor and its scoped phase
//   actors, followed as the CLI follows it), against the same plain loop;
// - leaves with their real executor (`run: ["true"]`, a process spawned per phase) run by a real agent
//   (`gravity start`, a child process with its own state dir) and followed over its control socket,
//   against the engine resuming the same leaves with the same executors in this process, in rounds of
//   one 100-leaf operation (BENCH_AGENT_ROUNDS, 10 by default) alternating which side goes first; per
//   phase = one `done` progress item to the next as the follower sees it, and the agent's overhead =
//   agent per phase - in-process engine per phase. For scale, the executor alone in a plain loop (one
//   spawn of `true` per call);
// - `gravity plan` on that plan as a whole process (spawn to exit), against `node -e ''`; for scale,
//   `gravity --version`, which loads the CLI's modules and does nothing else.
// A 50-leaf plan is run first on each path, in its own state dir (the agent: in its own store), so
// that the figures do not measure module loading and the first compilations. Run with
// `npm run bench:plans` (compiled, so no TypeScript loader is measured). BENCH_STATE_PARENT chooses
// where the state dirs go (the OS temp dir by default): the durable writes cost what that file
// system's fsync costs. The agent is stopped at the end (SIGTERM, SIGKILL after a grace) and the
// state dirs removed, whatever happened.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { callAgent, connectControl } from '../../src/api/control-client.ts';
import { followRun } from '../../src/operations/follow-run.ts';
import type { OperationStreamItem } from '../../src/operations/follow-run.ts';
import type { OperationAnswer } from '../../src/operations/operation-run.ts';
import { startLocalOperations } from '../../src/operations/operations-tree.ts';
import { createOperation, PlanEngine } from '../../src/plan/engine.ts';
import type { ProgressEvent } from '../../src/plan/engine.ts';
import { createPhaseExecutors } from '../../src/plan/executors.ts';
import type { PhaseContext, PhaseRunner } from '../../src/plan/executors.ts';
import type { PhaseSpec } from '../../src/plan/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { OperationStore } from '../../src/store/types.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import { cliMain, compiled, execArgv, startAgent, stopProcess, until } from './support.ts';
import type { RunningAgent } from './support.ts';

const groups = Number(process.env.BENCH_GROUPS ?? 10);
const leavesPerGroup = Number(process.env.BENCH_LEAVES ?? 100);
const processRounds = Number(process.env.BENCH_PROCESS_ROUNDS ?? 10);
const agentRounds = Number(process.env.BENCH_AGENT_ROUNDS ?? 10);
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

/** Creates an operation of the plan in a fresh store under `stateDir` and resumes it with the runner. */
async function runEngine(stateDir: string, plan: PhaseSpec, runner: PhaseRunner): Promise<EngineRun> {
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
    const operationId = await createOperation(operations, newOperation(plan));
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
    const engine = await PlanEngine.open({ store: operations, runner, operationId, holder: { pid: process.pid, hostname: hostname() }, scope: new ActorScope('bench/operation', new InspectionBus(), systemClock), onProgress });
    const started = performance.now();
    lastEnd = started;
    const state = await engine.resume();
    run.totalMs = performance.now() - started;
    checkRun(plan, state, run.perPhase, failures);
    return run;
  } finally {
    await store.close();
  }
}

/** The same executor, called once per leaf in a plain loop: what running the phases costs without an engine. */
async function plainLoop(plan: PhaseSpec, operationId: string, runner: PhaseRunner): Promise<number[]> {
  const ctx: PhaseContext = { signal: new AbortController().signal, operationId, scope: new ActorScope('bench/phase', new InspectionBus(), systemClock) };
  const samples: number[] = [];
  for (const spec of leafSpecs(plan)) {
    const started = performance.now();
    await runner.execute(spec, ctx);
    samples.push(performance.now() - started);
  }
  return samples;
}

function newOperation(plan: PhaseSpec): { id: string; type: 'custom'; description: string; plan: PhaseSpec; created: number } {
  return { id: crypto.randomUUID(), type: 'custom', description: 'No-op plan', plan, created: Date.now() };
}

/** Fails unless the run completed with every leaf reported done once. */
function checkRun(plan: PhaseSpec, state: string | undefined, perPhase: readonly number[], failures: readonly string[]): void {
  if (state !== 'completed' || failures.length > 0) throw new Error(`the no-op plan ended ${String(state)}: ${failures.join('; ')}`);
  const leafCount = leafSpecs(plan).length;
  if (perPhase.length !== leafCount) throw new Error(`${perPhase.length} phases reported done, expected ${leafCount}`);
}

/** What a follower sees of a run: the time from the request to the first `done`, then from each `done` to the next. */
class DoneTimes {
  readonly perPhase: number[] = [];
  readonly failures: string[] = [];
  private last = performance.now();

  begin(): void {
    this.last = performance.now();
  }

  see(item: OperationStreamItem): void {
    if (item.kind === 'done') {
      const now = performance.now();
      this.perPhase.push(now - this.last);
      this.last = now;
    }
    if (item.kind === 'failed') this.failures.push(`${item.phaseId}: ${item.error}`);
  }
}

interface FollowedRun {
  perPhase: number[];
  totalMs: number;
}

/**
 * Creates an operation of the plan in a fresh store under `stateDir` and runs `resume` on it through
 * the operations subtree in this process, followed as the CLI follows it when no agent runs.
 */
async function runSubtree(stateDir: string, plan: PhaseSpec, runner: PhaseRunner): Promise<FollowedRun> {
  const store = openSqliteStore(stateDir);
  try {
    const operationId = await createOperation(store.operations, newOperation(plan));
    const local = await startLocalOperations({ store: store.operations, runner });
    try {
      const times = new DoneTimes();
      const started = performance.now();
      times.begin();
      const steps = followRun(local.service, { action: 'resume', operationId }, new AbortController().signal);
      let answer: OperationAnswer;
      for (;;) {
        const next = await steps.next();
        if (next.done === true) {
          answer = next.value;
          break;
        }
        times.see(next.value);
      }
      const totalMs = performance.now() - started;
      checkRun(plan, answer.state, times.perPhase, times.failures);
      return { perPhase: times.perPhase, totalMs };
    } finally {
      await local.stop();
    }
  } finally {
    await store.close();
  }
}

/** Creates an operation of the plan in the store of `stateDir` (an agent's, before it starts); returns its id. */
async function prepareOperation(stateDir: string, plan: PhaseSpec): Promise<string> {
  const store = openSqliteStore(stateDir);
  try {
    return await createOperation(store.operations, newOperation(plan));
  } finally {
    await store.close();
  }
}

/** Asks the agent of `stateDir` to resume the operation over its control socket and follows the stream to its answer. */
async function runInAgent(stateDir: string, operationId: string, plan: PhaseSpec): Promise<FollowedRun> {
  const client = await connectControl({ stateDir });
  try {
    const times = new DoneTimes();
    const started = performance.now();
    times.begin();
    const stream = client.stream('operation', { action: 'resume', operationId });
    let answer: OperationAnswer | undefined;
    for (;;) {
      const next = await stream.next();
      if (next.done === true) {
        answer = next.value;
        break;
      }
      times.see(next.value);
    }
    const totalMs = performance.now() - started;
    if (answer === undefined) throw new Error('the agent ended the operation stream without an answer');
    checkRun(plan, answer.state, times.perPhase, times.failures);
    return { perPhase: times.perPhase, totalMs };
  } finally {
    client.close();
  }
}

/** Resolves once the agent of `stateDir` answers on its control socket as running. */
async function agentReady(stateDir: string): Promise<void> {
  await until(
    async () => {
      try {
        const ping = await callAgent({ stateDir }, 'ping');
        return ping.state === 'running' ? true : undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
    "the agent's control socket",
    50,
  );
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
  let agent: RunningAgent | undefined;
  try {
    // Warm-up: module loading, statement preparation and the first compilations.
    await runEngine(newStateDir(), buildPlan(1, 50), noOpRunner);
    await plainLoop(buildPlan(1, 50), 'warm-up', noOpRunner);
    await runSubtree(newStateDir(), buildPlan(1, 50), noOpRunner);

    const plan = buildPlan(groups, leavesPerGroup);
    const leafCount = leafSpecs(plan).length;
    const stateDir = newStateDir();
    const engineRun = await runEngine(stateDir, plan, noOpRunner);
    const subtreeRun = await runSubtree(newStateDir(), plan, noOpRunner);
    const loop = summarize(await plainLoop(plan, 'baseline', noOpRunner));
    const perPhase = summarize(engineRun.perPhase);
    const inside = summarize(engineRun.startToDone);
    const subtree = summarize(subtreeRun.perPhase);
    const overheadMedian = perPhase.median - loop.median;
    const overheadP99 = perPhase.p99 - loop.p99;

    console.log(`\nper phase, ${leafCount.toLocaleString('en-US')} no-op leaves (${groups} groups x ${leavesPerGroup})`.padEnd(72) + 'median       p99');
    const row = (name: string, median: number, p99: number, note = ''): void =>
      console.log(`  ${name.padEnd(68)}${fmt(median).padStart(10)}${fmt(p99).padStart(11)}   ${note}`);
    row('engine.resume(), one phase end to the next', perPhase.median, perPhase.p99, `n=${perPhase.n}`);
    row('  of which inside the phase (start -> done event)', inside.median, inside.p99, `n=${inside.n}`);
    row('baseline: the same executor in a plain loop, per call', loop.median, loop.p99, `n=${loop.n}`);
    row('operations subtree in this process, one `done` to the next (follower)', subtree.median, subtree.p99, `n=${subtree.n}`);
    row('engine overhead (engine - baseline)', overheadMedian, overheadP99);
    row('subtree overhead (subtree - baseline)', subtree.median - loop.median, subtree.p99 - loop.p99);
    console.log(`  whole resume: ${fmt(engineRun.totalMs)} (${fmt(engineRun.totalMs / leafCount)} per phase); plain loop mean ${fmt(loop.mean)} per call`);
    console.log(`  whole resume through the subtree: ${fmt(subtreeRun.totalMs)} (${fmt(subtreeRun.totalMs / leafCount)} per phase)`);
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

    // The leaves with their real executors (`run: ["true"]`): in a real agent, followed over its
    // control socket, against the engine in this process. Rounds of one 100-leaf operation each,
    // alternating which side goes first, so that both see the same (shared) machine; per phase is one
    // `done` to the next, the first `done` of a run (which also counts the request's start) left out.
    // The agent's store gets its operations before it starts; a 50-leaf one warms its path up first.
    const roundPlan = buildPlan(1, leavesPerGroup);
    const executors = createPhaseExecutors({ stateDir: newStateDir(), localNode: 'n1' });
    const hereDir = newStateDir();
    await runEngine(hereDir, buildPlan(1, 50), executors);
    const agentDir = newStateDir();
    const agentWarmUp = await prepareOperation(agentDir, buildPlan(1, 50));
    const agentOperations: string[] = [];
    for (let round = 0; round < agentRounds; round += 1) agentOperations.push(await prepareOperation(agentDir, roundPlan));
    agent = await startAgent(agentDir, ['node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { enabled: false }', 'probes: []']);
    await agentReady(agentDir);
    await runInAgent(agentDir, agentWarmUp, buildPlan(1, 50));
    const agentSamples: number[] = [];
    const hereSamples: number[] = [];
    const spawnSamples: number[] = [];
    let agentTotalMs = 0;
    let hereTotalMs = 0;
    for (const [round, operationId] of agentOperations.entries()) {
      const inAgentRound = async (): Promise<void> => {
        const run = await runInAgent(agentDir, operationId, roundPlan);
        agentSamples.push(...run.perPhase.slice(1));
        agentTotalMs += run.totalMs;
      };
      const hereRound = async (): Promise<void> => {
        const run = await runEngine(hereDir, roundPlan, executors);
        hereSamples.push(...run.perPhase.slice(1));
        hereTotalMs += run.totalMs;
      };
      if (round % 2 === 0) {
        await inAgentRound();
        await hereRound();
      } else {
        await hereRound();
        await inAgentRound();
      }
      spawnSamples.push(...(await plainLoop(roundPlan, 'baseline', executors)));
    }
    const spawnLoop = summarize(spawnSamples);
    const inAgent = summarize(agentSamples);
    const here = summarize(hereSamples);
    const agentOverheadMedian = inAgent.median - here.median;
    const spawnLeaves = agentRounds * leavesPerGroup;
    console.log(`\nper phase, ${spawnLeaves.toLocaleString('en-US')} leaves run: ["true"] (${agentRounds} rounds of ${leavesPerGroup})`.padEnd(72) + 'median       p99');
    row('agent (gravity start), one `done` to the next at the socket client', inAgent.median, inAgent.p99, `n=${inAgent.n}`);
    row('baseline: engine.resume() in this process, same executors', here.median, here.p99, `n=${here.n}`);
    row('for scale: the executor in a plain loop (no process record), per call', spawnLoop.median, spawnLoop.p99, `n=${spawnLoop.n}`);
    row('agent overhead (agent - in-process engine)', agentOverheadMedian, inAgent.p99 - here.p99);
    row('in-process engine over the plain loop (engine - loop)', here.median - spawnLoop.median, here.p99 - spawnLoop.p99);
    console.log(`  whole resumes: in the agent ${fmt(agentTotalMs)}, in this process ${fmt(hereTotalMs)}`);

    const checks: [string, boolean][] = [
      ['engine overhead median under 2 ms per phase', overheadMedian < 2],
      ["gravity plan under 4x node -e '' (medians)", ratio < 4],
      [
        `per-phase overhead with the agent running the operation under 2 ms median: ${fmt(agentOverheadMedian)} (in process: engine ${fmt(overheadMedian)}, subtree ${fmt(subtree.median - loop.median)})`,
        agentOverheadMedian < 2,
      ],
    ];
    console.log('\ntargets');
    for (const [name, ok] of checks) console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
  } finally {
    if (agent !== undefined) await stopProcess(agent.child, 10_000);
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
