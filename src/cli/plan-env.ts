// What every plan command needs: the configuration (this node, the cluster's members, the app's
// hooks), the store in the state dir, the operation asked for, and an engine that runs its phases in
// this process with this node's executors, reporting progress to the terminal.

import { hostname } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { GravityConfig } from '../config/types.ts';
import { GravityError } from '../errors.ts';
import { PlanEngine } from '../plan/engine.ts';
import { createPhaseExecutors } from '../plan/executors.ts';
import { processStartTime } from '../processes.ts';
import { openStore } from '../store/index.ts';
import { ensureStateDir } from '../supervisor/state-dir.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import { formatSurvivorLine } from './format-plan.ts';
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

/** This process as the operation lock's holder: its pid, and its start time so that a reuse of the pid is not taken for it. */
function thisProcess(): { pid: number; hostname: string; startTime?: number } {
  const startTime = processStartTime(process.pid);
  return { pid: process.pid, hostname: hostname(), ...(startTime === undefined ? {} : { startTime }) };
}

/** An engine that never runs a phase: for dry runs and `plan complete`, which only read and decide. */
export function idleEngine(env: PlanEnv, operationId: string): Promise<PlanEngine> {
  return PlanEngine.open({
    store: env.store.operations,
    runner: { execute: () => Promise.resolve(), rollback: () => Promise.resolve() },
    operationId,
    holder: thisProcess(),
  });
}

/** An engine for the operation; SIGINT and SIGTERM stop it (running phases are killed and read failed). */
export async function planEngine(env: PlanEnv, operationId: string, progress: ProgressReporter): Promise<{ engine: PlanEngine; release: () => void }> {
  const engine = await PlanEngine.open({
    store: env.store.operations,
    runner: createPhaseExecutors({ stateDir: env.config.stateDir, localNode: env.config.node.name, ...(env.config.app === undefined ? {} : { app: env.config.app }) }),
    operationId,
    holder: thisProcess(),
    onProgress: (event) => {
      switch (event.kind) {
        case 'start':
          progress.phaseStarted({ phaseId: event.phaseId, action: event.action, ...(event.node === undefined ? {} : { node: event.node }) });
          break;
        case 'done':
          progress.phaseCompleted(event.phaseId);
          break;
        case 'failed':
          progress.phaseFailed(event.phaseId, event.error);
          break;
        case 'skipped':
          progress.print(`phase "${event.phaseId}" is ${event.reason}: nothing to do (use --force to run it again)`);
          break;
        case 'warning':
          progress.print(`warning: ${event.message}`);
          break;
        case 'survivor':
          progress.print(formatSurvivorLine(event.phaseId, event.pgid, event.what));
          break;
      }
    },
  });
  const stop = (): void => engine.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    engine,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      progress.stop();
    },
  };
}
