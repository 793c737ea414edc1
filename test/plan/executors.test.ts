// The plan executors with real processes and a real control socket: commands with their env, working
// dir, exit codes, deadlines (the whole process group killed, asserted from /proc), retries with
// doubling backoff, the shell only when asked for, abort, rollback commands; app hooks; waiting for
// this node's probes against a fake agent; and the refusal of phases that belong to another node.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from '../../src/api/control-server.ts';
import type { ControlServer } from '../../src/api/control-server.ts';
import { systemClock } from '../../src/clock.ts';
import type { Clock } from '../../src/clock.ts';
import type { AppManifest, HookJob } from '../../src/config/types.ts';
import { isGravityError } from '../../src/errors.ts';
import type { ClusterReport, ProbeReport } from '../../src/health/types.ts';
import { createPhaseExecutors, formatDurationMs } from '../../src/plan/executors.ts';
import type { PhaseContext, PhaseExecutorsOptions } from '../../src/plan/executors.ts';
import type { PhaseExecutor, PhaseSpec } from '../../src/plan/types.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor, waitForValue } from '../helpers/wait.ts';
import { ActorScope } from '../../src/supervisor/actor-scope.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';

type RunExecutor = Extract<PhaseExecutor, { kind: 'run' }>;

function run(argv: string[], overrides: Partial<RunExecutor> = {}): RunExecutor {
  return { kind: 'run', argv, env: {}, shell: false, timeoutMs: 10_000, retries: 0, retryBackoffMs: 10, ...overrides };
}

function leaf(executor: PhaseExecutor, overrides: Partial<PhaseSpec> = {}): PhaseSpec {
  return { id: '/masters/node-1/drain', description: 'Drain node-1', requires: [], executor, phases: [], ...overrides };
}

function context(signal: AbortSignal = new AbortController().signal): PhaseContext {
  return { signal, operationId: 'op-1234', scope: new ActorScope('test/phase', new InspectionBus(), systemClock) };
}

/** Asserts that the promise rejects with E_PHASE_FAILED and returns its message. */
async function failure(promise: Promise<void>): Promise<string> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, 'expected the phase to fail');
  assert.ok(isGravityError(caught, 'E_PHASE_FAILED'), `expected E_PHASE_FAILED, got ${caught instanceof Error ? caught.message : typeof caught}`);
  assert.ok(!caught.message.includes('\n'), `the message must be one line: ${JSON.stringify(caught.message)}`);
  return caught.message;
}

describe('plan/executors', function () {
  this.timeout(15_000);
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'gravity-executors-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function executors(overrides: Partial<PhaseExecutorsOptions> = {}) {
    return createPhaseExecutors({ stateDir: dir, localNode: 'node-1', killGraceMs: 200, ...overrides });
  }

  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

  /** Waits until a command wrote its shell's pid (its process group id) to `pgid` in the temp dir. */
  function commandGroup(): Promise<number> {
    return waitForValue(() => {
      if (!existsSync(join(dir, 'pgid'))) return undefined;
      const text = read('pgid').trim();
      return text === '' ? undefined : Number(text);
    }, 5000, 'the command to record its process group');
  }

  describe('formatDurationMs', () => {
    const cases: [number, string][] = [
      [3_600_000, '1h'],
      [300_000, '5m'],
      [90_000, '1m30s'],
      [5_400_000, '1h30m'],
      [2_500, '2.5s'],
      [300, '300ms'],
      [0, '0ms'],
    ];
    for (const [ms, text] of cases) it(`${ms} ms is ${text}`, () => assert.equal(formatDurationMs(ms), text));
  });

  describe('run', () => {
    it('runs the argv in the working dir with its env, the operation id and the phase id', async () => {
      const script = 'echo "$GRAVITY_OPERATION_ID $GRAVITY_PHASE $APP_MODE $(pwd)" > out';
      await executors().execute(leaf(run(['sh', '-c', script], { env: { APP_MODE: 'maintenance' }, workingDir: dir })), context());
      assert.equal(read('out'), `op-1234 /masters/node-1/drain maintenance ${dir}\n`);
    });

    it('keeps the agent environment under the phase env', async () => {
      await executors().execute(leaf(run(['sh', '-c', 'echo "$PATH" > out'], { workingDir: dir })), context());
      assert.equal(read('out'), `${process.env.PATH ?? ''}\n`);
    });

    it('fails with the exit code and the last line of output', async () => {
      const message = await failure(executors().execute(leaf(run(['sh', '-c', 'echo draining; echo "node-1 has unevictable pods" >&2; exit 1'])), context()));
      assert.equal(message, 'exit code 1: node-1 has unevictable pods');
    });

    it('fails with the exit code alone when there was no output', async () => {
      assert.equal(await failure(executors().execute(leaf(run(['false'])), context())), 'exit code 1');
    });

    it('fails when the program does not exist', async () => {
      const message = await failure(executors().execute(leaf(run([join(dir, 'no-such-program')])), context()));
      assert.match(message, /^cannot run .*no-such-program: no such file or directory \(ENOENT\)$/);
    });

    it('kills the whole process group at the timeout', async () => {
      const started = Date.now();
      const running = executors().execute(leaf(run(['sh', '-c', 'echo $$ > pgid; sleep 100 & sleep 100'], { workingDir: dir, timeoutMs: 500 })), context());
      const group = await commandGroup();
      await waitFor(() => liveGroupMembers(group).length >= 2, 5000, 'the command and its child to run');
      assert.equal(await failure(running), 'timed out after 500ms');
      assert.ok(Date.now() - started < 5000);
      await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
    });

    it('retries a command that fails twice, with a doubling backoff on the clock', async () => {
      const delays: number[] = [];
      const clock: Clock = {
        ...systemClock,
        setTimeout: (callback, ms) => {
          delays.push(ms);
          return systemClock.setTimeout(callback, ms);
        },
      };
      const script = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ "$n" -ge 3 ] || { echo "attempt $n failed"; exit 1; }';
      await executors({ clock }).execute(leaf(run(['sh', '-c', script], { workingDir: dir, retries: 3, retryBackoffMs: 30 })), context());
      assert.equal(read('count').trim(), '3');
      // Every other timer is a command's deadline (10 s) or its kill grace (200 ms).
      assert.deepEqual(delays.filter((ms) => ms !== 10_000 && ms !== 200), [30, 60]);
    });

    it('gives up after its retries with the last failure and the attempt count', async () => {
      const script = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "attempt $n failed"; exit 2';
      const message = await failure(executors().execute(leaf(run(['sh', '-c', script], { workingDir: dir, retries: 2, retryBackoffMs: 5 })), context()));
      assert.equal(message, 'exit code 2: attempt 3 failed (attempt 3 of 3)');
      assert.equal(read('count').trim(), '3');
    });

    it('passes arguments without a shell unless shell: true', async () => {
      const writeArg = "require('fs').writeFileSync(process.argv[1], process.argv[2])";
      await executors().execute(leaf(run([process.execPath, '-e', writeArg, join(dir, 'literal'), '$HOME; echo $(id)'])), context());
      assert.equal(read('literal'), '$HOME; echo $(id)');

      await executors().execute(leaf(run(['echo "$HOME"', '>', 'expanded'], { shell: true, workingDir: dir })), context());
      assert.equal(read('expanded'), `${process.env.HOME ?? ''}\n`);
    });

    it('stops at once on abort, killing the process group', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const running = executors().execute(leaf(run(['sh', '-c', 'echo $$ > pgid; sleep 100 & sleep 100'], { workingDir: dir, retries: 5 })), context(controller.signal));
      const group = await commandGroup();
      await waitFor(() => liveGroupMembers(group).length >= 2, 5000, 'the command and its child to run');
      controller.abort();
      assert.equal(await failure(running), 'aborted');
      assert.ok(Date.now() - started < 5000);
      await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
      assert.equal(read('pgid').trim(), String(group), 'no retry after an abort');
    });

    it('stops at once on abort while waiting to retry, with the reason', async () => {
      const controller = new AbortController();
      const running = executors().execute(
        leaf(run(['sh', '-c', 'echo 1 >> attempts; exit 1'], { workingDir: dir, retries: 3, retryBackoffMs: 60_000 })),
        context(controller.signal),
      );
      await waitFor(() => existsSync(join(dir, 'attempts')), 5000, 'the first attempt');
      const started = Date.now();
      controller.abort(new Error('interrupted by SIGINT'));
      assert.equal(await failure(running), 'aborted: interrupted by SIGINT');
      assert.ok(Date.now() - started < 1000);
      assert.equal(read('attempts'), '1\n');
    });

    it('does not start when already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      assert.equal(await failure(executors().execute(leaf(run(['sh', '-c', 'touch ran'], { workingDir: dir })), context(controller.signal))), 'aborted');
      assert.equal(existsSync(join(dir, 'ran')), false);
    });

    it('rolls back with the rollback argv, the same env and working dir', async () => {
      const phase = leaf(run(['sh', '-c', 'touch done'], { workingDir: dir, env: { WHO: 'gravity' }, rollback: ['sh', '-c', 'rm done; echo "undone by $WHO: $GRAVITY_PHASE" > undone'] }));
      const runner = executors();
      await runner.execute(phase, context());
      assert.ok(existsSync(join(dir, 'done')));
      await runner.rollback(phase, context());
      assert.equal(existsSync(join(dir, 'done')), false);
      assert.equal(read('undone'), 'undone by gravity: /masters/node-1/drain\n');
    });

    it('reports a failing rollback command', async () => {
      const phase = leaf(run(['true'], { rollback: ['sh', '-c', 'echo "cannot uncordon" >&2; exit 4'] }));
      assert.equal(await failure(executors().rollback(phase, context())), 'exit code 4: cannot uncordon');
    });

    it('rolls back a command without a rollback as a success that runs nothing', async () => {
      await executors().rollback(leaf(run(['sh', '-c', 'touch ran'], { workingDir: dir })), context());
      assert.equal(existsSync(join(dir, 'ran')), false);
    });
  });

  describe('hook', () => {
    function hookJob(script: string): HookJob {
      return { command: ['sh', '-c', script], env: { TARGET: join(dir, 'backup.tar') }, workingDir: dir, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 };
    }
    function app(hooks: AppManifest['hooks']): AppManifest {
      return { path: '/etc/gravity/app.yaml', name: 'shop', hooks };
    }
    const backupPhase = leaf({ kind: 'hook', hook: 'backup' }, { id: '/pre-update/backup' });

    it("runs the app manifest's hook job with the operation and phase ids", async () => {
      const runner = executors({ app: app({ backup: hookJob('echo "$GRAVITY_OPERATION_ID $GRAVITY_PHASE" > "$TARGET"') }) });
      await runner.execute(backupPhase, context());
      assert.equal(read('backup.tar'), 'op-1234 /pre-update/backup\n');
    });

    it('fails with the hook name and the last line of its output', async () => {
      const runner = executors({ app: app({ backup: hookJob('echo "disk full" >&2; exit 1') }) });
      assert.equal(await failure(runner.execute(backupPhase, context())), 'hook "backup" failed: exit code 1: disk full');
    });

    it('fails clearly when the hook is not in the manifest, or there is no manifest', async () => {
      assert.equal(
        await failure(executors({ app: app({}) }).execute(backupPhase, context())),
        'hook "backup" is not defined in the app manifest /etc/gravity/app.yaml',
      );
      assert.equal(await failure(executors().execute(backupPhase, context())), 'hook "backup" is not defined: no app manifest is configured');
    });

    it('stops the hook on abort', async () => {
      const controller = new AbortController();
      const runner = executors({ app: app({ backup: hookJob('echo $$ > pgid; sleep 100') }) });
      const running = runner.execute(backupPhase, context(controller.signal));
      const group = await commandGroup();
      controller.abort();
      assert.equal(await failure(running), 'aborted');
      await waitFor(() => liveGroupMembers(group).length === 0, 5000, `process group ${group} to be gone`);
    });

    it('rolls back as a no-op', async () => {
      const runner = executors({ app: app({ backup: hookJob('touch ran; exit 1') }) });
      await runner.rollback(backupPhase, context());
      assert.equal(existsSync(join(dir, 'ran')), false);
    });
  });

  describe('waitHealthy', () => {
    let server: ControlServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    const probe = (name: string, status: ProbeReport['status'], error?: string): ProbeReport => ({
      name,
      checker: 'http',
      status,
      severity: 'critical',
      ...(error === undefined ? {} : { error }),
    });

    function report(probes: ProbeReport[], nodeStatus: 'running' | 'degraded' = 'running'): ClusterReport {
      return {
        name: 'shop',
        status: nodeStatus,
        nodes: [
          { name: 'node-2', addr: '10.0.0.2', role: 'node', member: 'alive', status: 'degraded', probes: [probe('web', 'failed', 'other node')] },
          { name: 'node-1', addr: '10.0.0.1', role: 'master', member: 'alive', status: nodeStatus, probes },
        ],
        time: Date.now(),
      };
    }

    /** A fake agent on the test's state dir whose `status` answers with `answer(n)` for the n-th call. */
    async function fakeAgent(answer: (call: number) => ClusterReport | Promise<ClusterReport>): Promise<{ calls: () => number }> {
      let calls = 0;
      server = await startControlServer({
        socketPath: join(dir, 'agent.sock'),
        handlers: {
          ping: () => ({ pid: process.pid, version: '0.0.0', state: 'running', stateDir: dir, startedAt: 0 }),
          tree: () => {
            throw new Error('not used by waitHealthy');
          },
          status: () => {
            calls += 1;
            return answer(calls);
          },
        },
      });
      return { calls: () => calls };
    }

    const waitPhase = (timeoutMs: number): PhaseSpec => leaf({ kind: 'waitHealthy', timeoutMs }, { id: '/masters/node-1/health' });

    it("waits until this node's probes are all running", async () => {
      const agent = await fakeAgent((call) =>
        call < 3 ? report([probe('web', 'failed', 'connection refused'), probe('disk', 'running')], 'degraded') : report([probe('web', 'running'), probe('disk', 'running')]),
      );
      await executors({ healthPollIntervalMs: 20 }).execute(waitPhase(5000), context());
      assert.equal(agent.calls(), 3);
    });

    it('waits while the node is not running even if its probes are', async () => {
      const agent = await fakeAgent((call) => (call < 2 ? { ...report([probe('web', 'running')]), nodes: [{ ...report([]).nodes[1]!, status: 'unknown', probes: [probe('web', 'running')] }] } : report([probe('web', 'running')])));
      await executors({ healthPollIntervalMs: 20 }).execute(waitPhase(5000), context());
      assert.equal(agent.calls(), 2);
    });

    it('fails at its timeout, naming the probes that are not running', async () => {
      const agent = await fakeAgent(() => report([probe('web', 'failed', 'connection refused'), probe('disk', 'running'), probe('dns', 'unknown')], 'degraded'));
      const started = Date.now();
      const message = await failure(executors({ healthPollIntervalMs: 50 }).execute(waitPhase(400), context()));
      assert.equal(message, 'node node-1 did not become healthy within 400ms: probe web failed (connection refused), probe dns unknown');
      assert.ok(Date.now() - started >= 350);
      assert.ok(agent.calls() >= 3);
    });

    it('fails at its timeout when the agent does not report this node', async () => {
      await fakeAgent(() => ({ ...report([]), nodes: [] }));
      const message = await failure(executors({ healthPollIntervalMs: 50, localNode: 'node-9' }).execute(waitPhase(200), context()));
      assert.equal(message, 'node node-9 did not become healthy within 200ms: the agent does not report node node-9');
    });

    it('fails at once when no agent is running', async () => {
      const started = Date.now();
      const message = await failure(executors().execute(waitPhase(60_000), context()));
      assert.equal(message, `no agent is running for state dir ${dir} (start it with 'gravity start')`);
      assert.ok(Date.now() - started < 2000);
    });

    it('stops polling on abort', async () => {
      const agent = await fakeAgent(() => report([probe('web', 'failed', 'connection refused')], 'degraded'));
      const controller = new AbortController();
      const running = executors({ healthPollIntervalMs: 50 }).execute(waitPhase(60_000), context(controller.signal));
      await waitFor(() => agent.calls() >= 2, 5000, 'two status calls');
      controller.abort();
      assert.equal(await failure(running), 'aborted');
    });

    it('keeps asking an agent that does not answer, and names that at its timeout', async () => {
      const agent = await fakeAgent(() => new Promise<ClusterReport>(() => undefined));
      const message = await failure(executors({ healthPollIntervalMs: 50 }).execute(waitPhase(300), context()));
      assert.equal(message, `node node-1 did not become healthy within 300ms: the agent for state dir ${dir} did not answer 'status' within 1000 ms`);
      assert.equal(agent.calls(), 1);
    });

    it('stops at once on abort while the agent has not answered', async () => {
      const agent = await fakeAgent(() => new Promise<ClusterReport>(() => undefined));
      const controller = new AbortController();
      const running = executors().execute(waitPhase(60_000), context(controller.signal));
      await waitFor(() => agent.calls() > 0, 5000, 'the executor to ask the agent');
      const started = Date.now();
      controller.abort();
      assert.equal(await failure(running), 'aborted');
      assert.ok(Date.now() - started < 500);
    });

    it('rolls back as a no-op, without asking the agent', async () => {
      await executors().rollback(waitPhase(1000), context());
    });
  });

  describe('phases of other nodes', () => {
    it("refuses to execute a phase of another node with Gravity's message", async () => {
      const phase = leaf(run(['sh', '-c', 'touch ran'], { workingDir: dir }), { id: '/masters/node-2/drain', node: 'node-2' });
      const message = await failure(executors().execute(phase, context()));
      assert.equal(message, 'no agent is running on node node-2, please execute phase "/masters/node-2/drain" locally on that node');
      assert.equal(existsSync(join(dir, 'ran')), false);
    });

    it('refuses to roll back a command of another node, but rolls back what has nothing to undo', async () => {
      const phase = leaf(run(['true'], { workingDir: dir, rollback: ['sh', '-c', 'touch undone'] }), { id: '/masters/node-2/drain', node: 'node-2' });
      const message = await failure(executors().rollback(phase, context()));
      assert.equal(message, 'no agent is running on node node-2, please roll back phase "/masters/node-2/drain" locally on that node');
      assert.equal(existsSync(join(dir, 'undone')), false);
      await executors().rollback(leaf({ kind: 'hook', hook: 'backup' }, { node: 'node-2' }), context());
    });

    it('runs a phase whose node is this node', async () => {
      await executors().execute(leaf(run(['sh', '-c', 'touch ran'], { workingDir: dir }), { node: 'node-1' }), context());
      assert.ok(existsSync(join(dir, 'ran')));
    });
  });

  it('refuses a phase without an executor', async () => {
    const group: PhaseSpec = { id: '/masters', description: 'Masters', requires: [], phases: [] };
    assert.equal(await failure(executors().execute(group, context())), 'phase "/masters" has no executor: only its sub-phases can be run');
    assert.equal(await failure(executors().rollback(group, context())), 'phase "/masters" has no executor: only its sub-phases can be run');
  });
});
