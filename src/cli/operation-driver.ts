// Where a plan command's request runs, and how the terminal follows it. With an agent running for the
// state dir, the request goes to it over the control socket and runs in its `operations` subtree; the
// command prints the progress the agent streams. Ctrl-C stops following (the agent goes on); a second
// Ctrl-C within a few seconds, or `gravity plan --abort`, asks the agent to stop the running phases.
// With no agent, the command starts the very same subtree in its own process and says so in one line;
// Ctrl-C then stops the run itself, as the process is about to end. Either way the progress lines,
// the answer and the errors (with their exit codes) are the same.

import { connectControl } from '../api/control-client.ts';
import type { ControlClient } from '../api/control-client.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { OperationRequest } from '../machines/operation.ts';
import { followRun } from '../operations/follow-run.ts';
import type { OperationStreamItem } from '../operations/follow-run.ts';
import type { OperationAnswer } from '../operations/operation-run.ts';
import { startLocalOperations } from '../operations/operations-tree.ts';
import { createPhaseExecutors } from '../plan/executors.ts';
import { formatSurvivorLine } from './format-plan.ts';
import type { PlanEnv } from './plan-env.ts';
import type { ProgressReporter } from './progress.ts';

/** How long after a first Ctrl-C a second one still stops the operation in the agent. */
export const secondInterruptWindowMs = 3000;

/** How a driven request ended: its answer, or the follower left it running in the agent. */
export type DriveResult = { kind: 'answered'; answer: OperationAnswer } | { kind: 'detached'; signal: 'SIGINT' | 'SIGTERM'; stopped: boolean };

/** Shows one item of a run on the reporter. */
export function showRunItem(item: OperationStreamItem, progress: ProgressReporter): void {
  switch (item.kind) {
    case 'accepted':
      return;
    case 'start':
      progress.phaseStarted({ phaseId: item.phaseId, action: item.action, ...(item.node === undefined ? {} : { node: item.node }) });
      return;
    case 'done':
      progress.phaseCompleted(item.phaseId);
      return;
    case 'failed':
      progress.phaseFailed(item.phaseId, item.error);
      return;
    case 'skipped':
      progress.print(`phase "${item.phaseId}" is ${item.reason}: nothing to do (use --force to run it again)`);
      return;
    case 'warning':
      progress.print(`warning: ${item.message}`);
      return;
    case 'survivor':
      progress.print(formatSurvivorLine(item.phaseId, item.pgid, item.what));
      return;
    case 'notice':
      progress.print(item.message);
      return;
  }
}

/** The agent of the state dir, or undefined when none runs. */
async function agentOf(stateDir: string): Promise<ControlClient | undefined> {
  try {
    return await connectControl({ stateDir });
  } catch (error) {
    if (isGravityError(error, 'E_AGENT_NOT_RUNNING')) return undefined;
    throw error;
  }
}

/**
 * Runs the request where it belongs (see the top of this file) and follows it to its end.
 * @example const result = await driveOperation(env, { action: 'resume', operationId }, progress);
 */
export async function driveOperation(env: PlanEnv, request: OperationRequest, progress: ProgressReporter, clock: Clock = systemClock): Promise<DriveResult> {
  const client = await agentOf(env.config.stateDir);
  if (client === undefined) return { kind: 'answered', answer: await driveHere(env, request, progress) };
  return driveInAgent(client, env, request, progress, clock);
}

/** No agent: the operations subtree in this process. SIGINT and SIGTERM stop the run (its phases read failed). */
async function driveHere(env: PlanEnv, request: OperationRequest, progress: ProgressReporter): Promise<OperationAnswer> {
  // Said once something runs: a request refused before any phase starts prints its error only.
  let said = false;
  const show = (item: OperationStreamItem): void => {
    if (!said && item.kind !== 'accepted') {
      said = true;
      progress.print(`no agent runs for state dir ${env.config.stateDir}: the operation runs in this process`);
    }
    showRunItem(item, progress);
  };
  const local = await startLocalOperations({
    store: env.store.operations,
    runner: createPhaseExecutors({ stateDir: env.config.stateDir, localNode: env.config.node.name, ...(env.config.app === undefined ? {} : { app: env.config.app }) }),
  });
  const stop = (): void => {
    local.service.stop(request.operationId);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const steps = followRun(local.service, request, new AbortController().signal);
    for (;;) {
      const next = await steps.next();
      if (next.done === true) return next.value;
      show(next.value);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await local.stop();
  }
}

async function driveInAgent(client: ControlClient, env: PlanEnv, request: OperationRequest, progress: ProgressReporter, clock: Clock): Promise<DriveResult> {
  const following = new AbortController();
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  let secondInterrupt: (() => void) | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => (): void => {
    if (interrupted === undefined) {
      interrupted = signal;
      following.abort();
      return;
    }
    secondInterrupt?.();
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    let answer: OperationAnswer | undefined;
    try {
      const steps = client.stream('operation', request, { signal: following.signal });
      for (;;) {
        const next = await steps.next();
        if (next.done === true) {
          answer = next.value;
          break;
        }
        showRunItem(next.value, progress);
      }
    } catch (error) {
      if (isGravityError(error, 'E_AGENT_UNREACHABLE') || isGravityError(error, 'E_CONTROL_PROTOCOL')) {
        throw new GravityError('E_AGENT_LOST', `the agent for state dir ${env.config.stateDir} stopped while it ran operation ${request.operationId}`, { cause: error });
      }
      throw error;
    }
    if (interrupted === undefined && answer !== undefined) return { kind: 'answered', answer };
    const signal = interrupted ?? 'SIGINT';
    progress.print(
      `stopped following operation ${request.operationId}: the agent goes on with it ('gravity plan --follow' follows it). ` +
        `Ctrl-C again within ${secondInterruptWindowMs / 1000}s, or 'gravity plan --abort', stops it.`,
    );
    const again = await new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), secondInterruptWindowMs);
      secondInterrupt = () => {
        clock.clearTimeout(timer);
        resolve(true);
      };
    });
    if (!again) return { kind: 'detached', signal, stopped: false };
    progress.print(`asking the agent to stop operation ${request.operationId}...`);
    const stopper = await connectControl({ stateDir: env.config.stateDir, timeoutMs: 60_000 });
    try {
      const { stopped } = await stopper.call('operation-stop', { operationId: request.operationId });
      progress.print(stopped.length > 0 ? `the agent stopped operation ${request.operationId}` : `operation ${request.operationId} was no longer running`);
    } finally {
      stopper.close();
    }
    return { kind: 'detached', signal, stopped: true };
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    client.close();
  }
}
