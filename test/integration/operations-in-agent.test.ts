// Plan requests run in the agent's `operations` subtree, with real processes: `plan resume` with an
// agent running prints the progress the agent streams (and no "no agent runs" line), its operation,
// phases and parallel units are listed by `gravity debug tree` and published to `gravity debug
// inspect`; kill -9 of the agent fails the follower with E_AGENT_LOST (exit 3) and a resume in a new
// agent finishes without running a completed phase twice; one Ctrl-C stops following only (the agent
// finishes the operation), two stop the phase (it reads failed, a resume completes it), and
// `plan --abort` from another process stops it too; with no agent the CLI runs the same subtree itself,
// says so, and a kill -9 of it is resumed without running a completed phase twice.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import type { DisplayNode, TreeView } from '../../src/cli/format-tree.ts';
import type { PhaseDocument, PlanDocument } from '../../src/cli/format-plan.ts';
import type { Finished, Spawned } from '../cli/run-cli.ts';
import { cliEnv, cliMain, logRecords, runCli, spawnTs, waitForAgent } from '../cli/run-cli.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';

const noAgentLine = /no agent runs for state dir .*: the operation runs in this process/;

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((line) => line !== '') : [];
}

function findNode(node: DisplayNode, path: string): DisplayNode | undefined {
  if (node.path === path) return node;
  for (const child of node.children ?? []) {
    const found = findNode(child, path);
    if (found !== undefined) return found;
  }
  return undefined;
}

function findPhase(phases: readonly PhaseDocument[], id: string): PhaseDocument | undefined {
  for (const phase of phases) {
    if (phase.id === id) return phase;
    const found = findPhase(phase.phases, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The JSON lines a process printed so far (an unfinished last line is left out). */
function jsonLines(stdout: string): InspectionRecord[] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as InspectionRecord);
}

describe('integration: operations run in the agent (real processes, real store)', function () {
  this.timeout(120_000);
  let dir: string;
  let stateDir: string;
  let base: string[];
  const spawned: Spawned[] = [];
  const gravity = (...args: string[]) => runCli([...base, ...args], { timeoutMs: 30_000 });
  const log = (): string[] => lines(join(dir, 'log'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-op-agent-'));
    stateDir = join(dir, 'state');
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    base = ['--state-dir', stateDir, '--config', join(dir, 'gravity.yaml')];
  });
  afterEach(async () => {
    // Whatever still waits for a release file ends by itself; the processes this test started are killed.
    for (const name of ['release', 'release-x', 'release-y']) writeFileSync(join(dir, name), '');
    for (const child of spawned.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.finished;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** `gravity start` on the state dir; resolves once it answers on its socket. */
  async function startAgent(env: NodeJS.ProcessEnv = cliEnv()): Promise<Spawned> {
    const agent = spawnTs(cliMain, ['start', ...base], env);
    spawned.push(agent);
    await waitForAgent(stateDir, agent);
    return agent;
  }

  /** A CLI process in the background. */
  function background(...args: string[]): Spawned {
    const child = spawnTs(cliMain, [...base, ...args]);
    spawned.push(child);
    return child;
  }

  /** A leaf that appends its name to the log, then (blocked) waits until the release file exists. */
  const leaf = (indent: string, id: string, release?: string): string[] => [
    `${indent}- id: ${id}`,
    `${indent}  description: phase ${id}`,
    release === undefined
      ? `${indent}  run: [sh, -c, "echo ${id} >> ${dir}/log"]`
      : `${indent}  run: [sh, -c, "echo ${id} >> ${dir}/log; while [ ! -e ${join(dir, release)} ]; do sleep 0.05; done"]`,
  ];

  /** Creates an operation of /a, /slow (blocked on `release`), /c, in that order; returns its id. */
  async function createLinearPlan(): Promise<string> {
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: a, slow, c',
        'phases:',
        ...leaf('  ', 'a'),
        ...leaf('  ', 'slow', 'release'),
        '    requires: [/a]',
        ...leaf('  ', 'c'),
        '    requires: [/slow]',
        '',
      ].join('\n'),
    );
    const created = await gravity('plan', 'create', '-f', planFile);
    assert.equal(created.code, 0, created.stderr);
    return (await plan()).operation_id;
  }

  async function plan(): Promise<PlanDocument> {
    const shown = await gravity('plan', '--format', 'json');
    assert.equal(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as PlanDocument;
  }

  async function phaseState(id: string): Promise<string | undefined> {
    return findPhase((await plan()).phases, id)?.state;
  }

  async function tree(): Promise<TreeView> {
    const shown = await gravity('debug', 'tree', '--format', 'json');
    assert.equal(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as TreeView;
  }

  /** Waits until the log has this line (the phase started), failing early if `runner` ended. */
  async function started(id: string, runner: Spawned): Promise<void> {
    await waitFor(
      () => {
        if (runner.child.exitCode !== null) throw new Error(`the CLI ended (code ${String(runner.child.exitCode)}):\n${runner.stderr()}`);
        return log().includes(id);
      },
      30_000,
      `phase ${id} to start`,
      20,
    );
  }

  function assertNoFailure(result: Finished): void {
    assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }

  it('plan resume runs in the agent: its progress on stderr, the phases in debug tree (the finished one with its final state) and on debug inspect', async () => {
    // At debug level the agent logs each control request, in the same turn as it starts serving it.
    const agent = await startAgent(cliEnv({ GRAVITY_LOG_LEVEL: 'debug' }));
    const operationId = await createLinearPlan();
    const operationPath = `agent/operations/operation:${operationId}`;
    const inspector = background('debug', 'inspect', '--actor', 'agent/operations', '--follow');
    // An actor's records are published only while someone follows them: the follow must be served
    // before the resume starts.
    await waitFor(
      () => {
        if (inspector.child.exitCode !== null) throw new Error(`debug inspect ended: ${inspector.stderr()}`);
        return logRecords(agent.stdout()).some((record) => record.msg === 'control request' && record.method === 'inspect');
      },
      20_000,
      'the agent to serve the inspect follow',
      20,
    );

    const runner = background('plan', 'resume');
    await started('slow', runner);
    const running = await waitForValue(
      async () => {
        const view = await tree();
        const slow = findNode(view.root, `${operationPath}/phase:/slow`);
        return slow?.state === 'running' ? view : undefined;
      },
      20_000,
      'phase:/slow running in the tree',
      100,
    );
    const operations = findNode(running.root, 'agent/operations');
    assert.ok(operations !== undefined, JSON.stringify(running.root));
    const operation = operations.children?.find((child) => child.id === `operation:${operationId}`);
    assert.ok(operation !== undefined, JSON.stringify(operations));
    assert.equal(operation.state, 'running');
    const a = findNode(operation, `${operationPath}/phase:/a`);
    assert.ok(a !== undefined, `the finished phase:/a is listed: ${JSON.stringify(operation)}`);
    assert.equal(a.state, 'stopped', JSON.stringify(a));
    assert.equal(a.lastExit, 'normal', JSON.stringify(a));
    assert.equal(a.actorState, 'succeeded', 'listed with its final state');
    assert.equal(findNode(operation, `${operationPath}/phase:/c`), undefined, 'the phase after it has not started');

    writeFileSync(join(dir, 'release'), '');
    const resumed = await runner.finished;
    assertNoFailure(resumed);
    assert.doesNotMatch(resumed.stderr, noAgentLine);
    const order = [/^Executing "\/a" locally/m, /^Completed "\/a"/m, /^Executing "\/slow" locally/m, /^Completed "\/slow"/m, /^Completed "\/c"/m].map((pattern) => {
      const found = pattern.exec(resumed.stderr);
      assert.ok(found !== null, `${String(pattern)} in:\n${resumed.stderr}`);
      return found.index;
    });
    assert.deepEqual([...order].sort((x, y) => x - y), order, `in this order:\n${resumed.stderr}`);
    assert.equal((await plan()).state, 'completed');
    assert.deepEqual(log(), ['a', 'slow', 'c']);

    const phasePaths = (): string[] => jsonLines(inspector.stdout()).map((record) => record.path);
    await waitFor(() => phasePaths().some((path) => path.startsWith(`${operationPath}/phase:/c`)), 20_000, 'records of phase:/c on the inspect follow', 50);
    const records = jsonLines(inspector.stdout());
    assert.ok(records.every((record) => record.path.startsWith('agent/operations')), 'only records of the operations subtree');
    for (const phase of ['/a', '/slow', '/c']) {
      const path = `${operationPath}/phase:${phase}`;
      assert.ok(records.some((record) => record.path === path && record.kind === 'actor.created'), `${path} created`);
      assert.ok(records.some((record) => record.path === path && record.kind === 'snapshot'), `${path} snapshots`);
    }
    const firstOf = (phase: string): number => records.findIndex((record) => record.path === `${operationPath}/phase:${phase}`);
    assert.ok(firstOf('/a') < firstOf('/slow') && firstOf('/slow') < firstOf('/c'), 'the phases appear in the order they ran');
    inspector.child.kill('SIGTERM');
    const inspected = await inspector.finished;
    assert.equal(inspected.code, 0, inspected.stderr);
  });

  it('kill -9 of the agent mid-phase: the follower exits 3 (agent lost); a new agent resumes and runs no completed phase twice', async () => {
    const agent = await startAgent();
    await createLinearPlan();
    const runner = background('plan', 'resume');
    await started('slow', runner);
    agent.child.kill('SIGKILL');
    await agent.finished;
    const lost = await runner.finished;
    assert.equal(lost.code, 3, lost.stderr);
    assert.match(lost.stderr, /the agent for state dir .* stopped while it ran operation/);
    assert.equal(await phaseState('/slow'), 'in_progress');

    await startAgent();
    // The killed agent's phase still runs (its process group outlived it): the resume ends it first.
    writeFileSync(join(dir, 'release'), '');
    const resumed = await gravity('plan', 'resume');
    assertNoFailure(resumed);
    assert.doesNotMatch(resumed.stderr, noAgentLine);
    assert.equal((await plan()).state, 'completed');
    const ran = log();
    assert.deepEqual(
      ran.filter((line) => line === 'a'),
      ['a'],
      `the completed /a did not run again: ${ran.join(',')}`,
    );
    assert.deepEqual(
      ran.filter((line) => line === 'slow'),
      ['slow', 'slow'],
      'the interrupted /slow ran again',
    );
    assert.deepEqual(ran.filter((line) => line === 'c'), ['c']);
    assert.ok(ran.indexOf('c') > ran.lastIndexOf('slow'), ran.join(','));
  });

  it('one Ctrl-C stops following only (exit 130): the agent goes on and completes the operation', async () => {
    await startAgent();
    await createLinearPlan();
    const runner = background('plan', 'resume');
    await started('slow', runner);
    runner.child.kill('SIGINT');
    await waitFor(() => runner.stderr().includes('stopped following operation'), 20_000, 'the CLI to stop following');
    const detached = await runner.finished;
    assert.equal(detached.code, 130, detached.stderr);
    assert.match(detached.stderr, /the agent goes on with it/);
    assert.doesNotMatch(detached.stderr, /asking the agent to stop/);
    assert.equal(await phaseState('/slow'), 'in_progress', 'the phase still runs in the agent');

    writeFileSync(join(dir, 'release'), '');
    await waitForValue(async () => ((await plan()).state === 'completed' ? true : undefined), 30_000, 'the agent to complete the operation', 100);
    assert.deepEqual(log(), ['a', 'slow', 'c']);
    const shown = await gravity('plan');
    assert.match(shown.stdout, /^\s*✓ c\s+phase c\s+Completed\s/m);
  });

  it('two Ctrl-C within the window stop the phase in the agent (it reads failed); a resume completes the operation', async () => {
    await startAgent();
    await createLinearPlan();
    const runner = background('plan', 'resume');
    await started('slow', runner);
    runner.child.kill('SIGINT');
    await waitFor(() => runner.stderr().includes('stopped following operation'), 20_000, 'the CLI to stop following');
    runner.child.kill('SIGINT');
    const stopped = await runner.finished;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /asking the agent to stop operation .*\n.*the agent stopped operation/);
    assert.equal(await phaseState('/slow'), 'failed');
    assert.equal(await phaseState('/c'), 'unstarted');
    assert.ok(!log().includes('c'));

    writeFileSync(join(dir, 'release'), '');
    const resumed = await gravity('plan', 'resume');
    assertNoFailure(resumed);
    assert.equal((await plan()).state, 'completed');
    assert.deepEqual(log(), ['a', 'slow', 'slow', 'c']);
  });

  it('plan --abort from another process stops the running operation in the agent: exit 0, the phase reads failed', async () => {
    await startAgent();
    await createLinearPlan();
    const runner = background('plan', 'resume');
    await started('slow', runner);
    const aborted = await gravity('plan', '--abort');
    assertNoFailure(aborted);
    assert.match(aborted.stdout, /stopped operation .*: its running phases were aborted/);
    const followed = await runner.finished;
    assert.equal(followed.code, 4, followed.stderr);
    assert.match(followed.stderr, /Failed "\/slow"/);
    assert.equal(await phaseState('/slow'), 'failed');
    assert.ok(!log().includes('c'));
    const again = await gravity('plan', '--abort');
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /is not running: there is nothing to abort/);
  });

  it('with no agent the CLI runs the subtree itself and says so; kill -9 of it mid-phase, then a resume runs no completed phase twice', async () => {
    await createLinearPlan();
    const runner = background('plan', 'resume');
    await started('slow', runner);
    assert.match(runner.stderr(), noAgentLine);
    assert.equal(runner.stderr().match(new RegExp(noAgentLine.source, 'g'))?.length, 1, 'one line');
    assert.match(runner.stderr(), /^Completed "\/a"/m);
    runner.child.kill('SIGKILL');
    await runner.finished;
    assert.equal(await phaseState('/slow'), 'in_progress');

    writeFileSync(join(dir, 'release'), '');
    const resumed = await gravity('plan', 'resume');
    assertNoFailure(resumed);
    assert.match(resumed.stderr, noAgentLine);
    assert.equal((await plan()).state, 'completed');
    assert.deepEqual(log(), ['a', 'slow', 'slow', 'c']);
  });

  it('a parallel group in the agent: two unit actors under the operation, each with its phase below it', async () => {
    await startAgent();
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: two at a time',
        'phases:',
        '  - id: both',
        '    description: two blocked leaves',
        '    parallel: 2',
        '    phases:',
        ...leaf('      ', 'x', 'release-x'),
        ...leaf('      ', 'y', 'release-y'),
        '',
      ].join('\n'),
    );
    assert.equal((await gravity('plan', 'create', '-f', planFile)).code, 0);
    const operationId = (await plan()).operation_id;
    const operationPath = `agent/operations/operation:${operationId}`;
    const runner = background('plan', 'resume');
    await started('x', runner);
    await started('y', runner);
    const view = await waitForValue(
      async () => {
        const current = await tree();
        const phases = ['x', 'y'].map((id) => findNode(current.root, `${operationPath}/unit:/both/${id}/phase:/both/${id}`));
        return phases.every((phase) => phase?.state === 'running') ? current : undefined;
      },
      20_000,
      'both phases running under their units',
      100,
    );
    const operation = findNode(view.root, operationPath);
    assert.ok(operation !== undefined);
    const units = (operation.children ?? []).filter((child) => child.id.startsWith('unit:'));
    assert.deepEqual(units.map((unit) => unit.id).sort(), ['unit:/both/x', 'unit:/both/y']);
    for (const unit of units) {
      assert.equal(unit.state, 'running');
      const leafId = unit.id.slice('unit:'.length);
      assert.deepEqual(
        (unit.children ?? []).map((child) => child.id),
        [`phase:${leafId}`],
        JSON.stringify(unit),
      );
    }

    writeFileSync(join(dir, 'release-y'), '');
    await waitFor(async () => (await phaseState('/both/y')) === 'completed', 20_000, '/both/y to complete', 100);
    assert.equal(await phaseState('/both/x'), 'in_progress', 'x still runs while y completed');
    writeFileSync(join(dir, 'release-x'), '');
    const resumed = await runner.finished;
    assertNoFailure(resumed);
    assert.equal((await plan()).state, 'completed');
  });
});
