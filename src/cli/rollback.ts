// `gravity rollback`: rolls back every executed phase of the active operation in reverse order, after
// the seed's confirmation prompt (unless --confirm), or only prints what it would do (--dry-run). The
// operation then ends failed ("rolled back").

import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { GravityError } from '../errors.ts';
import { leaves, resolvePlan } from '../plan/phase-state.ts';
import { formatPlan, formatRollbackLine, formatRollbackWarning, rollbackQuestion } from './format-plan.ts';
import { idleEngine, openPlanEnv, planProgress, runPlanRequest } from './plan-env.ts';
import { operationView } from '../plan/engine.ts';
import type { CliOutput } from './program.ts';
import { processOutput } from './program.ts';

async function ask(question: string): Promise<string> {
  const reader = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  // Input that ends without an answer (stdin closed, or not a terminal) would leave the question
  // pending forever: the process would exit with Node's "unsettled top-level await" code, silently.
  const ended = new Promise<never>((_resolve, reject) => {
    reader.once('close', () => {
      reject(new GravityError('E_USAGE', 'no answer to the confirmation prompt: the input ended', { hint: 'answer yes or no in a terminal, or pass --confirm (or --dry-run)' }));
    });
  });
  ended.catch(() => undefined);
  try {
    return (await Promise.race([reader.question(question), ended])).trim().toLowerCase();
  } finally {
    reader.close();
  }
}

/**
 * @example program.addCommand(makeRollbackCommand()); // gravity rollback --dry-run
 */
export function makeRollbackCommand(output: CliOutput = processOutput): Command {
  return new Command('rollback')
    .description('roll back every executed phase of the active operation, in reverse order')
    .addOption(new Option('--dry-run', 'print what would be rolled back and change nothing'))
    .addOption(new Option('--confirm', 'do not ask for confirmation'))
    .action(async (options: { dryRun?: boolean; confirm?: boolean }, command: Command) => {
      const env = openPlanEnv(command);
      try {
        const record = (await env.store.operations.list()).find((operation) => operation.state === 'in_progress');
        if (record === undefined) {
          throw new GravityError('E_OPERATION_NOT_FOUND', 'there is no active operation to roll back', { hint: "'gravity plan' shows the last operation" });
        }
        const plan = resolvePlan(record.plan, await env.store.operations.changes(record.id));
        const nodes = new Map(leaves(plan).map((leaf) => [leaf.id, leaf.node]));
        if (options.dryRun !== true && options.confirm !== true) {
          output.out(formatRollbackWarning(record));
          const answer = await ask(rollbackQuestion);
          if (answer !== 'yes' && answer !== 'y') {
            output.out('Action cancelled by user.\n');
            return;
          }
        }
        if (options.dryRun === true) {
          const engine = await idleEngine(env, record.id);
          for (const id of await engine.rollbackAll({ dryRun: true })) output.out(`${formatRollbackLine(id, nodes.get(id), true)}\n`);
          return;
        }
        const progress = planProgress(env);
        const answer = await runPlanRequest(env, { action: 'rollback-all', operationId: record.id }, {
          // The "Rolling back ..." lines are this command's output (stdout); the reporter adds timings.
          phaseStarted: (start) => output.out(`${formatRollbackLine(start.phaseId, nodes.get(start.phaseId), false)}\n`),
          phaseCompleted: (phaseId) => progress.phaseCompleted(phaseId),
          phaseFailed: (phaseId, error) => progress.phaseFailed(phaseId, error),
          print: (line) => progress.print(line),
          stop: () => progress.stop(),
        });
        if (answer !== undefined) {
          output.out(formatPlan(await operationView(env.store.operations, record), 'text', { color: process.stdout.isTTY === true }), { styled: process.stdout.isTTY === true });
        }
      } finally {
        await env.close();
      }
    });
}
