// The operations subtree with a real store and real phase executors: a request runs as the actor
// `operation:<id>` under the operations supervisor, its plan, phases, parallel units and hook jobs as
// scoped actors on the bus and in the tree; a crash injected into a phase actor's host code fails
// that phase with the crash as its error (and the record of it is on the bus); a crash of the
// operation actor's host code restarts it, and the new incarnation resumes the request from the
// changelog without running a completed phase again; a second request on a running operation is
// refused; a stop request ends the run with its phase failed.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { isGravityError } from '../../src/errors.ts';
import { phaseMachine } from '../../src/machines/phase.ts';
import type { OperationProgress } from '../../src/operations/operation-run.ts';
import { startLocalOperations } from '../../src/operations/operations-tree.ts';
import type { LocalOperations } from '../../src/operations/operations-tree.ts';
import { createOperation } from '../../src/plan/engine.ts';
import { createPhaseExecutors } from '../../src/plan/executors.ts';
import { resolvePlan } from '../../src/plan/phase-state.ts';
import type { PhaseSpec } from '../../src/plan/types.ts';
import { openStore } from '../../src/store/index.ts';
import type { OperationStore, WritableStore } from '../../src/store/index.ts';
import type { TreeNodeInfo } from '../../src/supervisor/child.ts';
import { waitFor } from '../helpers/wait.ts';

type Leaf = { id: string; argv: string[] };

function plan(leaves: Leaf[], parallel?: number): PhaseSpec {
  const phases: PhaseSpec[] = leaves.map(({ id, argv }) => ({
    id,
    description: id,
    requires: [],
    executor: { kind: 'run', argv, env: {}, shell: false, timeoutMs: 60_000, retries: 0, retryBackoffMs: 0 },
    phases: [],
  }));
  if (parallel === undefined) return { id: '/', description: 'test plan', requires: [], phases };
  return { id: '/', description: 'test plan', requires: [], phases: [{ id: '/group', description: 'group', requires: [], parallel, phases: phases.map((phase) => ({ ...phase, id: `/group${phase.id}` })) }] };
}

/** Every node of a tree, flattened. */
function flatten(nodes: TreeNodeInfo[] | undefined): TreeNodeInfo[] {
  return (nodes ?? []).flatMap((node) => [node, ...flatten(node.children)]);
}

describe('operations/operations service (real store, real executors)', function () {
  this.timeout(30_000);
  let dir: string;
  let store: WritableStore;
  let local: LocalOperations | undefined;
  let records: InspectionRecord[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-operations-'));
    store = openStore({ stateDir: dir });
    records = [];
  });
  afterEach(async () => {
    await local?.stop();
    local = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(operations: OperationStore = store.operations, phaseLogic?: typeof phaseMachine): Promise<LocalOperations> {
    local = await startLocalOperations({
      store: operations,
      runner: createPhaseExecutors({ stateDir: dir, localNode: 'n1', killGraceMs: 100 }),
      ...(phaseLogic === undefined ? {} : { phaseLogic }),
    });
    local.bus.subscribe((record) => records.push(record));
    return local;
  }

  async function operation(spec: PhaseSpec): Promise<string> {
    return createOperation(store.operations, { id: randomUUID(), type: 'custom', description: 'test', plan: spec, created: Date.now() });
  }

  const log = (): string[] => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
  const mark = (name: string): Leaf => ({ id: `/${name}`, argv: ['sh', '-c', `echo ${name} >> ${join(dir, 'log')}`] });
  const blocked = (name: string): Leaf => ({ id: `/${name}`, argv: ['sh', '-c', `echo ${name} >> ${join(dir, 'log')}; while [ ! -e ${join(dir, name)}.go ]; do sleep 0.02; done`] });

  it('runs a request as operation:<id> with its plan and phases as children, lit while running, listed with their end after', async () => {
    const ops = await start();
    const id = await operation(plan([mark('a'), blocked('b'), mark('c')]));
    const run = await ops.service.start({ action: 'resume', operationId: id });
    const progress: OperationProgress[] = [];
    run.follow((item) => progress.push(item));
    const base = `cli/operations/operation:${id}`;
    await waitFor(async () => flatten((await ops.supervisor.describe()).children).some((node) => node.path === `${base}/phase:/b` && node.state === 'running'), 10_000);
    // The operation, its plan and its phases (each machine's own invoked promises are below them too).
    const nodes = flatten((await ops.supervisor.describe()).children).filter((node) => /^(operation:|plan$|phase:)/u.test(node.id));
    assert.deepEqual(
      nodes.map((node) => [node.path, node.state]),
      [
        [base, 'running'],
        [`${base}/plan`, 'running'],
        [`${base}/phase:/a`, 'stopped'],
        [`${base}/phase:/b`, 'running'],
      ],
    );
    assert.equal(nodes.find((node) => node.path === `${base}/phase:/a`)?.actorState, 'succeeded');
    writeFileSync(join(dir, 'b.go'), '');
    const outcome = await run.outcome;
    assert.ok(outcome.ok && outcome.answer.state === 'completed');
    assert.deepEqual(log(), ['a', 'b', 'c']);
    // On the bus, in order: each phase created, then its transitions, under the operation's path.
    const created = records.filter((record) => record.kind === 'actor.created' && record.logic === 'phase' && record.path.startsWith(base)).map((record) => record.path);
    assert.deepEqual(created, [`${base}/phase:/a`, `${base}/phase:/b`, `${base}/phase:/c`]);
    assert.ok(records.some((record) => record.kind === 'snapshot' && record.path === `${base}/phase:/c` && record.value === 'succeeded'));
    assert.deepEqual(
      progress.filter((item) => item.kind === 'done').map((item) => (item.kind === 'done' ? item.phaseId : '')),
      ['/a', '/b', '/c'],
    );
    // Once the operation actor has ended, the supervisor forgets it.
    await waitFor(async () => ((await ops.supervisor.describe()).children ?? []).length === 0, 5000);
  });

  it('runs the units of a parallel step as children, each phase under its unit', async () => {
    const ops = await start();
    const id = await operation(plan([blocked('p'), blocked('q')], 2));
    const run = await ops.service.start({ action: 'resume', operationId: id });
    const base = `cli/operations/operation:${id}`;
    await waitFor(async () => flatten((await ops.supervisor.describe()).children).filter((node) => node.path.includes('phase:') && node.state === 'running').length === 2, 10_000);
    const paths = flatten((await ops.supervisor.describe()).children).map((node) => node.path);
    for (const leaf of ['/group/p', '/group/q']) {
      assert.ok(paths.includes(`${base}/unit:${leaf}`), paths.join('\n'));
      assert.ok(paths.includes(`${base}/unit:${leaf}/phase:${leaf}`), paths.join('\n'));
    }
    writeFileSync(join(dir, 'p.go'), '');
    writeFileSync(join(dir, 'q.go'), '');
    const outcome = await run.outcome;
    assert.ok(outcome.ok);
  });

  it('a crash injected into a phase actor fails that phase with the crash as its error, recorded on the bus; nothing re-runs it', async () => {
    let crashes = 0;
    const faulty = phaseMachine.provide({
      actions: {
        succeed: () => {
          crashes += 1;
          throw new Error('injected fault in the phase host');
        },
      },
    });
    const ops = await start(store.operations, faulty);
    const id = await operation(plan([mark('a'), mark('b')]));
    const run = await ops.service.start({ action: 'resume', operationId: id });
    const outcome = await run.outcome;
    assert.ok(!outcome.ok && isGravityError(outcome.error, 'E_PHASE_FAILED'));
    assert.equal(crashes, 1);
    const phase = resolvePlan((await store.operations.get(id))!.plan, await store.operations.changes(id)).phases[0];
    assert.equal(phase?.state, 'failed');
    assert.match(phase?.error ?? '', /crashed: .*injected fault in the phase host/u);
    assert.deepEqual(log(), ['a']);
    const removed = records.find((record) => record.kind === 'supervisor' && record.child === 'phase:/a');
    assert.ok(removed?.kind === 'supervisor' && removed.action === 'remove' && removed.path === `cli/operations/operation:${id}` && removed.reason.includes('injected fault'));
    assert.equal(records.filter((record) => record.kind === 'actor.created' && record.logic === 'phase' && record.path.endsWith('/phase:/a')).length, 1);
  });

  it('a crash of the operation actor restarts it once; it resumes from the changelog and runs no completed phase again', async () => {
    let faults = 1;
    let changesCalls = 0;
    // The store's changelog read fails once, with an error that is not one of gravity's: a fault of
    // the host code, after /a completed in the first incarnation (its second pass reads the changelog).
    const flaky: OperationStore = Object.create(store.operations) as OperationStore;
    flaky.changes = async (operationId) => {
      changesCalls += 1;
      if (changesCalls === 3 && faults > 0) {
        faults -= 1;
        throw new Error('injected fault in the operation host');
      }
      return store.operations.changes(operationId);
    };
    const ops = await start(flaky);
    const id = await operation(plan([mark('a'), mark('b')]));
    // First run only /a, so that the crash comes with a completed phase behind it.
    const first = await ops.service.start({ action: 'execute', operationId: id, phase: '/a', force: false });
    assert.ok((await first.outcome).ok);
    await waitFor(async () => ((await ops.supervisor.describe()).children ?? []).length === 0, 5000);
    const run = await ops.service.start({ action: 'resume', operationId: id });
    const notices: string[] = [];
    run.follow((item) => {
      if (item.kind === 'notice') notices.push(item.message);
    });
    const outcome = await run.outcome;
    assert.ok(outcome.ok && outcome.answer.state === 'completed', JSON.stringify(outcome));
    assert.equal(run.attempts, 2);
    assert.equal(notices.length, 1);
    assert.deepEqual(log(), ['a', 'b']);
    const restart = records.find((record) => record.kind === 'supervisor' && record.action === 'restart');
    assert.ok(restart?.kind === 'supervisor' && restart.child === `operation:${id}` && restart.reason.includes('injected fault'));
  });

  it('refuses a second request on a running operation, and stops a run on request (its phase reads failed)', async () => {
    const ops = await start();
    const id = await operation(plan([blocked('a')]));
    const run = await ops.service.start({ action: 'resume', operationId: id });
    await waitFor(() => {
      try {
        return log().includes('a');
      } catch {
        return false;
      }
    }, 10_000);
    await assert.rejects(ops.service.start({ action: 'resume', operationId: id }), (error: unknown) => isGravityError(error, 'E_OPERATION_LOCKED'));
    assert.equal(ops.service.stop(id).length, 1);
    const outcome = await run.outcome;
    assert.ok(!outcome.ok && isGravityError(outcome.error, 'E_PHASE_FAILED'));
    const phase = resolvePlan((await store.operations.get(id))!.plan, await store.operations.changes(id)).phases[0];
    assert.equal(phase?.state, 'failed');
    appendFileSync(join(dir, 'a.go'), '');
  });
});
