// `gravity plan` and its subcommands: show an operation's plan (or follow it), create an operation
// from a plan file, execute or roll back a phase, resume, complete, abort. The phases run in the
// node's agent (its operations subtree), or in this process when no agent runs (operation-driver.ts),
// with their states written to the store in the state dir before and after each effect, so another
// terminal's `gravity plan` always tells the truth.

import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import { GravityError, isGravityError } from '../errors.ts';
import { createOperation, operationView } from '../plan/engine.ts';
import { leaves, normalizePhasePath } from '../plan/phase-state.ts';
import { loadPlanFile } from '../plan/plan-file.ts';
import type { Operation } from '../plan/types.ts';
import type { OperationRecord } from '../store/types.ts';
import { lockHolderAlive } from '../store/index.ts';
import { callAgent } from '../api/control-client.ts';
import type { OperationRequest } from '../machines/operation.ts';
import type { OperationAnswer } from '../operations/operation-run.ts';
import { formatPlan, formatRollbackLine } from './format-plan.ts';
import { followOperation } from './plan-follow.ts';
import type { PlanFormat } from './format-plan.ts';
import { idleEngine, openPlanEnv, planProgress, runPlanRequest, selectOperation } from './plan-env.ts';
import type { PlanEnv } from './plan-env.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

interface DisplayOptions {
  operationId?: string;
  format?: PlanFormat;
  follow?: boolean;
  abort?: boolean;
}

const color = (): boolean => process.stdout.isTTY === true;

function toOperation(env: PlanEnv, record: OperationRecord): Promise<Operation> {
  return operationView(env.store.operations, record);
}

function formatOf(command: Command, own: PlanFormat | undefined): PlanFormat {
  return own ?? command.parent?.opts<DisplayOptions>().format ?? 'text';
}

function operationIdOf(command: Command, own: string | undefined): string | undefined {
  return own ?? command.parent?.opts<DisplayOptions>().operationId;
}

/**
 * `plan --follow`: until the operation ends, or SIGINT/SIGTERM end the follow (exit 130/143, as a
 * shell reports a process those signals ended).
 */
async function follow(env: PlanEnv, record: OperationRecord, output: CliOutput): Promise<void> {
  const controller = new AbortController();
  const signals = { SIGINT: 130, SIGTERM: 143 } as const;
  const handlers = (Object.keys(signals) as (keyof typeof signals)[]).map((name) => {
    const handler = (): void => {
      process.exitCode = signals[name];
      controller.abort();
    };
    process.once(name, handler);
    return () => process.off(name, handler);
  });
  try {
    await followOperation({ read: () => toOperation(env, record), output, color: color(), signal: controller.signal });
  } finally {
    for (const off of handlers) off();
  }
}

/** Runs a request on the operation (in the agent, or here), then prints the plan as it stands. */
async function withRequest(
  command: Command,
  operationId: string | undefined,
  output: CliOutput,
  request: (record: OperationRecord) => OperationRequest,
): Promise<OperationAnswer | undefined> {
  const env = openPlanEnv(command);
  try {
    const record = await selectOperation(env, operationIdOf(command, operationId));
    const changesBefore = (await env.store.operations.changes(record.id)).length;
    let ran = true;
    try {
      return await runPlanRequest(env, request(record), planProgress(env));
    } catch (error) {
      // An error that changed nothing (a refusal, the lock, a phase that does not exist) says why on
      // its own: stdout stays empty. One that came after phases ran (a failed phase) shows the plan.
      ran = !isGravityError(error, 'E_PLAN_REFUSED') && !isGravityError(error, 'E_OPERATION_LOCKED') && (await env.store.operations.changes(record.id)).length !== changesBefore;
      throw error;
    } finally {
      if (ran && !env.quiet) output.out(formatPlan(await toOperation(env, record), 'text', { color: color() }), { styled: color() });
    }
  } finally {
    await env.close();
  }
}

/** `plan --abort`: asks the agent to stop the operation's running phases; says who runs it otherwise. */
async function abortOperation(env: PlanEnv, record: OperationRecord, output: CliOutput): Promise<void> {
  let stopped: string[] | undefined;
  try {
    stopped = (await callAgent({ stateDir: env.config.stateDir, timeoutMs: 60_000 }, 'operation-stop', { operationId: record.id })).stopped;
  } catch (error) {
    if (!isGravityError(error, 'E_AGENT_NOT_RUNNING')) throw error;
  }
  if (stopped !== undefined && stopped.length > 0) {
    output.out(`stopped operation ${record.id}: its running phases were aborted ('gravity plan' shows them failed; 'gravity plan resume' goes on)\n`);
    return;
  }
  const holder = await env.store.operations.lockHolder();
  if (holder !== undefined && holder.operationId === record.id && lockHolderAlive(holder)) {
    throw new GravityError('E_PLAN_REFUSED', `operation ${record.id} is run by pid ${holder.pid} on ${holder.hostname}, not by this node's agent`, {
      hint: `Ctrl-C in its terminal stops it, or 'kill -INT ${holder.pid}'`,
    });
  }
  throw new GravityError('E_PLAN_REFUSED', `operation ${record.id} is not running: there is nothing to abort`, { hint: "'gravity plan' shows its phases" });
}

/** `plan resume --no-block`: the same resume, as a transient systemd unit or a detached process. */
async function resumeInBackground(command: Command, operationId: string | undefined, format: 'text' | 'json', output: CliOutput): Promise<void> {
  const env = openPlanEnv(command);
  try {
    const record = await selectOperation(env, operationId);
    if (record.state !== 'in_progress') {
      throw new GravityError('E_PLAN_REFUSED', `operation ${record.id} is ${record.state}: there is nothing to resume`);
    }
    const [{ startBackgroundOperation }, { backgroundReport, formatBackgroundReport }, { serviceConfigFile }] = await Promise.all([
      import('../system/background-operation.ts'),
      import('../system/background-report.ts'),
      import('./system.ts'),
    ]);
    const configFile = serviceConfigFile(globalOptions(command));
    const location = ['--state-dir', env.config.stateDir, ...(configFile === undefined ? [] : ['--config', configFile])];
    const started = await startBackgroundOperation({
      unitName: 'gravity-resume',
      description: `gravity: resume operation ${record.id}`,
      operationId: record.id,
      stateDir: env.config.stateDir,
      args: ['plan', 'resume', '--operation-id', record.id, ...location],
      lockHolder: () => env.store.operations.lockHolder(),
    });
    const report = backgroundReport(started, record.id, location);
    output.out(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatBackgroundReport(report));
  } finally {
    await env.close();
  }
}

const phaseOption = (): Option => new Option('--phase <path>', 'the phase: an absolute path such as /masters/node-1/drain').makeOptionMandatory();
const forceOption = (what: string): Option => new Option('--force', what);
const operationOption = (): Option => new Option('--operation-id <id>', 'the operation (default: the last one)');

/**
 * @example program.addCommand(makePlanCommand()); // gravity plan execute --phase /init
 */
export function makePlanCommand(output: CliOutput = processOutput): Command {
  const display = async (options: DisplayOptions, command: Command): Promise<void> => {
    const env = openPlanEnv(command);
    try {
      const record = await selectOperation(env, operationIdOf(command, options.operationId));
      if (options.abort === true) {
        await abortOperation(env, record, output);
        return;
      }
      if (options.follow === true || command.parent?.opts<DisplayOptions>().follow === true) {
        await follow(env, record, output);
        return;
      }
      output.out(formatPlan(await toOperation(env, record), formatOf(command, options.format), { color: color() }), { styled: color() });
    } finally {
      await env.close();
    }
  };
  /** `plan` and `plan display` take the same options. */
  const withDisplayOptions = (command: Command): Command =>
    command
      .addOption(operationOption())
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'short', 'json', 'yaml']))
      .addOption(new Option('--follow', 'follow the operation: a line per phase change, until it ends (across a failed phase and its resume)'))
      .addOption(new Option('--abort', "stop the operation's running phases in the agent (they read failed; 'gravity plan resume' goes on)").conflicts('follow'))
      .action(display);
  const plan = withDisplayOptions(
    new Command('plan').description("show an operation's plan: its phases with their states (the last operation by default)"),
  );
  plan.addCommand(withDisplayOptions(new Command('display').description('show the plan (the same as `gravity plan`)')));

  plan
    .command('create')
    .description('create a custom operation from a plan file (docs/plans.md) and print its plan')
    .addOption(new Option('-f, --file <file>', 'the plan file (YAML)').makeOptionMandatory())
    .addOption(new Option('--execute', 'run the whole plan at once, as `gravity plan resume` would'))
    .action(async (options: { file: string; execute?: boolean }, command: Command) => {
      const env = openPlanEnv(command);
      try {
        const { description, plan: spec } = loadPlanFile(options.file, {
          members: [env.config.node.name],
          ...(env.config.app === undefined ? {} : { app: env.config.app }),
        });
        const active = (await env.store.operations.list()).find((operation) => operation.state === 'in_progress');
        if (active !== undefined) {
          throw new GravityError('E_PLAN_REFUSED', `operation ${active.id} ("${active.description}") is still in progress`, {
            hint: "a cluster runs one operation at a time: finish it ('gravity plan resume', 'gravity plan complete') or roll it back ('gravity rollback')",
          });
        }
        const id = await createOperation(env.store.operations, { id: randomUUID(), type: 'custom', description, plan: spec, created: Date.now() });
        output.out(`created operation ${id}\n`);
        const record = await selectOperation(env, id);
        if (options.execute !== true) {
          output.out(formatPlan(await toOperation(env, record), 'text', { color: color() }), { styled: color() });
          return;
        }
        try {
          await runPlanRequest(env, { action: 'resume', operationId: id }, planProgress(env));
        } finally {
          output.out(formatPlan(await toOperation(env, record), 'text', { color: color() }), { styled: color() });
        }
      } finally {
        await env.close();
      }
    });

  plan
    .command('execute')
    .description('execute a phase: a leaf, or a group (its children in order, or `parallel` at a time)')
    .addOption(phaseOption())
    .addOption(forceOption('run a leaf phase even if completed or in progress, and without checking its requirements (refused on a group)'))
    .addOption(operationOption())
    .action(async (options: { phase: string; force?: boolean; operationId?: string }, command: Command) => {
      const phase = normalizePhasePath(options.phase);
      await withRequest(command, options.operationId, output, (record) => ({ action: 'execute', operationId: record.id, phase, force: options.force === true }));
    });

  plan
    .command('rollback')
    .description("roll back a phase: a leaf, or a group's executed leaves in reverse order")
    .addOption(phaseOption())
    .addOption(forceOption('roll back even though phases that depend on it have started'))
    .addOption(new Option('--dry-run', 'print what would be rolled back and change nothing'))
    .addOption(operationOption())
    .action(async (options: { phase: string; force?: boolean; dryRun?: boolean; operationId?: string }, command: Command) => {
      const phase = normalizePhasePath(options.phase);
      if (options.dryRun === true) {
        const env = openPlanEnv(command);
        try {
          const record = await selectOperation(env, operationIdOf(command, options.operationId));
          const engine = await idleEngine(env, record.id);
          const order = await engine.rollback(phase, { force: options.force === true, dryRun: true });
          const nodes = new Map(leaves((await toOperation(env, record)).plan).map((leaf) => [leaf.id, leaf.node]));
          for (const id of order) output.out(`${formatRollbackLine(id, nodes.get(id), true)}\n`);
        } finally {
          await env.close();
        }
        return;
      }
      await withRequest(command, options.operationId, output, (record) => ({ action: 'rollback', operationId: record.id, phase, force: options.force === true }));
    });

  plan
    .command('resume')
    .description('re-run the in-progress and failed phases and everything not yet run, in order; then complete the operation')
    .addOption(operationOption())
    .addOption(new Option('--no-block', 'run it in the background (systemd: the transient unit gravity-resume) and print how to follow it'))
    .addOption(new Option('--format <format>', 'output format of --no-block').choices(['text', 'json']))
    .addHelpText(
      'after',
      '\nWith --no-block the operation runs in the background: where systemd runs, as the transient\n' +
        "unit gravity-resume.service ('journalctl -u gravity-resume -f' shows its output); elsewhere as a\n" +
        'detached process logging to <state-dir>/logs/operation-<id>.log. It outlives this command;\n' +
        "'gravity plan --follow' follows it to its end. A second start while one runs is refused (exit 3).",
    )
    .action(async (options: { operationId?: string; block: boolean; format?: 'text' | 'json' }, command: Command) => {
      if (!options.block) {
        // `plan` has a --format of its own, which takes the option wherever it is written.
        const format = formatOf(command, options.format) === 'json' ? 'json' : 'text';
        await resumeInBackground(command, operationIdOf(command, options.operationId), format, output);
        return;
      }
      await withRequest(command, options.operationId, output, (record) => ({ action: 'resume', operationId: record.id }));
    });

  plan
    .command('complete')
    .description('mark the operation completed if every phase completed, else failed')
    .addOption(operationOption())
    .action(async (options: { operationId?: string }, command: Command) => {
      const env = openPlanEnv(command);
      try {
        const record = await selectOperation(env, operationIdOf(command, options.operationId));
        const answer = await runPlanRequest(env, { action: 'complete', operationId: record.id }, planProgress(env));
        if (answer !== undefined) output.out(`operation ${record.id} is ${answer.state === 'completed' ? 'completed' : 'failed'}\n`);
      } finally {
        await env.close();
      }
    });

  return plan;
}
