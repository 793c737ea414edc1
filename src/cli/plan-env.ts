// What every plan command needs: the configuration (this node, the cluster's members, the app's
// hooks), the store in the state dir, the operation asked for, and a way to run a request on it
// (in the node's agent, or in this process when none runs) with its progress on the terminal.

import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { GravityConfig } from '../config/types.ts';
import { GravityError } from '../errors.ts';
import { PlanEngine } from '../plan/engine.ts';
import { InspectionBus } from '../actors/inspection.ts';
import { systemClock } from '../clock.ts';
import type { OperationRequest } from '../machines/operation.ts';
import type { OperationAnswer } from '../operations/operation-run.ts';
import { cliRootPath, thisProcessHolder } from '../operations/this-process.ts';
import { ActorScope } from '../supervisor/actor-scope.ts';
import { openStore } from '../store/index.ts';
import { ensureStateDir } from '../supervisor/state-dir.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import { createProgress } from './progress.ts';
import type { ProgressReporter } from './progress.ts';
import { globalOptions, processOutput } from './program.ts';

export interface PlanEnv {
  config: GravityConfig;
  store: Store;
  quiet: boolean;
  close(): Promise<void>;
}

/** Loads the config as `gravity start` does, and opens the store of its state dir. */
export function openPlanEnv(command: Command): PlanEnv {
  const globals = globalOptions(command);
  const config = loadConfig({
    configPath: globals.config,
    explicit: globals.configGiven,
    ...(globals.stateDirGiven ? { stateDirFlag: globals.stateDir } : {}),
  });
  ensureStateDir(config.stateDir);
  const store = openStore(config);
  return { config, store, quiet: globals.quiet, close: () => store.close() };
}

/** The operation named by --operation-id, or the last one. */
export async function selectOperation(env: PlanEnv, operationId: string | undefined): Promise<OperationRecord> {
  const record = operationId === undefined ? await env.store.operations.last() : await env.store.operations.get(operationId);
  if (record === undefined) {
    throw new GravityError(
      'E_OPERATION_NOT_FOUND',
      operationId === undefined ? `there is no operation in state dir ${env.config.stateDir}` : `no operation ${operationId}`,
      { hint: "'gravity plan create -f FILE' creates one from a plan file" },
    );
  }
  return record;
}

/** A progress reporter on stderr (so that stdout stays the command's output). */
export function planProgress(env: PlanEnv): ProgressReporter {
  return createProgress({
    // Through the program's output: the ticker's own line clearing passes on a terminal, any control
    // character in a phase's error does not.
    stream: { write: (text: string) => processOutput.err(text, { styled: process.stderr.isTTY === true }), columns: process.stderr.columns },
    tty: process.stderr.isTTY === true,
    quiet: env.quiet,
  });
}

/** An engine that never runs a phase: for dry runs, which only read and decide. */
export function idleEngine(env: PlanEnv, operationId: string): Promise<PlanEngine> {
  return PlanEngine.open({
    store: env.store.operations,
    runner: { execute: () => Promise.resolve(), rollback: () => Promise.resolve() },
    operationId,
    holder: thisProcessHolder(),
    // Nothing is started in it: a dry run decides, it runs no actor.
    scope: new ActorScope(`${cliRootPath}/dry-run`, new InspectionBus(), systemClock),
  });
}

/** Exit codes a shell gives a process those signals ended. */
const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs a request on the operation, in the agent or here (operation-driver.ts), reporting progress;
 * returns its answer, or undefined when the user stopped following it (the exit code is then set).
 * @example const answer = await runPlanRequest(env, { action: 'resume', operationId }, progress);
 */
export async function runPlanRequest(env: PlanEnv, request: OperationRequest, progress: ProgressReporter): Promise<OperationAnswer | undefined> {
  try {
    // Loaded when a request runs: the runtime is not needed by the commands that only read a plan.
    const { driveOperation } = await import('./operation-driver.ts');
    const result = await driveOperation(env, request, progress);
    if (result.kind === 'answered') return result.answer;
    process.exitCode = signalExitCodes[result.signal];
    return undefined;
  } finally {
    progress.stop();
  }
}
