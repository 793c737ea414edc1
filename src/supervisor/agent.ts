// The agent process around the root supervisor: it owns the state dir (creates it, holds its pid
// lock so that a second agent is refused), starts the tree, serves the control socket, and turns
// signals and the root's giving up into an orderly stop and an exit code. It holds no supervision
// logic of its own; that is the Supervisor's. `gravity start` calls runAgentProcess.

import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { GravityError, ExitCode, isGravityError } from '../errors.ts';
import { InspectionBus } from '../actors/inspection.ts';
import { InspectionHistory, readInspection } from '../actors/inspection-history.ts';
import { endProcessGroups, killProcessGroupsNow } from '../actors/process-groups.ts';
import type { EndedProcessGroup } from '../actors/process-groups.ts';
import { startWorkerChild } from '../actors/worker-child.ts';
import { endWorkerSpares, setWorkerSpares } from '../actors/worker-spares.ts';
import { logSupervisorDecisions } from '../log.ts';
import { gravityVersion } from '../version.ts';
import type { AgentLifecycle, PingResult, TreeResult } from '../api/control-protocol.ts';
import { controlSocketName } from '../api/control-protocol.ts';
import type { ControlHandlers, ControlServer, ControlStreamHandler } from '../api/control-server.ts';
import { startControlServer } from '../api/control-server.ts';
import type { ExitReason } from './child.ts';
import { describeExit } from './child.ts';
import { createLauncher } from './launcher.ts';
import type { ChildLauncher } from './supervisor.ts';
import { Supervisor } from './supervisor.ts';
import type { Shutdown, SupervisorSpec } from './spec.ts';
import { agentRootPath } from './agent-tree.ts';
import { acquireAgentLock, ensureStateDir, stateDirError } from './state-dir.ts';
import type { AgentLock } from './state-dir.ts';

export type { AgentLifecycle } from '../api/control-protocol.ts';

/** The pid lock's file name inside the state dir. */

/** Longest path a Unix socket address can hold on Linux (sun_path is 108 bytes with the NUL). */
const maxSocketPathBytes = 107;

export interface AgentOptions {
  /** The state dir; created if missing. */
  stateDir: string;
  /** The compiled tree the root supervisor runs (see agent-tree.ts for the built-in one). */
  spec: SupervisorSpec;
  logger: Logger;
  clock?: Clock;
  bus?: InspectionBus;
  /** Starts children; defaults to one that places `thread: 'worker'` children on worker threads. */
  launcher?: ChildLauncher;
  /** SIGTERM and SIGINT stop the agent (default true; tests that call stop() may turn it off). */
  handleSignals?: boolean;
  /** How long the whole tree gets to stop before what is left is killed (default 30 s). */
  shutdownTimeoutMs?: Shutdown;
  /**
   * Once the tree has stopped, how long the process groups of hooks and command probes that are still
   * alive get to end, SIGKILL included (default 5 s); the grace between SIGTERM and SIGKILL is 500 ms.
   */
  processGroupTimeoutMs?: number;
  /** Warm worker threads kept ready for restarts of worker-hosted children (default 1). */
  workerSpares?: number;
  /** The config file given with --config; read by later parts of the agent. */
  configFile?: string;
  /** Parts of the agent beside the tree (store, health endpoint, ...), started in order, stopped in reverse. */
  extensions?: AgentExtension[];
}

/** What an extension is given: the agent's bus, its root supervisor (not yet started) and its logger. */
export interface AgentExtensionContext {
  stateDir: string;
  bus: InspectionBus;
  root: Supervisor;
  logger: Logger;
  clock: Clock;
  /**
   * The agent's control methods (its own and every extension's), as the control socket answers them.
   * Available once every extension has started; calling it earlier throws.
   */
  controlHandlers: () => ControlHandlers;
}

/** A started extension: control methods it answers, work once the tree runs, and how to stop it. */
export interface AgentExtensionHandle {
  handlers?: Partial<ControlHandlers>;
  /** Called once the supervision tree is up (listeners, servers that need the tree). */
  afterTreeStart?(): Promise<void>;
  /** Called when the agent starts to stop (a signal or a stop request), before the tree stops. */
  beforeStop?(why: string): void;
  /** Called after the tree has stopped. */
  stop(): Promise<void>;
}

/**
 * A part of the agent started before the tree (so that it misses no inspection record) and stopped
 * after it. A failure to start fails the agent's start.
 * @example const health: AgentExtension = { name: 'health', start: async (ctx) => ({ stop: async () => undefined }) };
 */
export interface AgentExtension {
  name: string;
  start(context: AgentExtensionContext): Promise<AgentExtensionHandle>;
}

/** Why the agent ended, and the exit code the process should end with. */
export type AgentExitReason = 'stopped' | 'gave_up' | 'forced' | 'failed';

export interface AgentExit {
  reason: AgentExitReason;
  exitCode: number;
  /** The signal that started the shutdown, if one did. */
  signal?: NodeJS.Signals;
}

export interface Agent {
  readonly state: AgentLifecycle;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly bus: InspectionBus;
  readonly root: Supervisor;
  /** Resolves once the agent has stopped, whatever stopped it. */
  readonly done: Promise<AgentExit>;
  /** Stops the whole tree in reverse order, closes the socket and releases the state dir. */
  stop(why?: string): Promise<AgentExit>;
}

// ---- the agent ----------------------------------------------------------------------------------

/** One log line per process group ended at shutdown: how it ended, its id and its command. */
function logEndedGroup(logger: Logger, group: EndedProcessGroup): void {
  const fields = { pgid: group.pgid, command: group.command, how: group.how };
  switch (group.how) {
    case 'gone':
      logger.debug(fields, `process group ${group.pgid} had already ended`);
      return;
    case 'terminated':
      logger.info(fields, `process group ${group.pgid} terminated`);
      return;
    case 'killed':
      logger.warn(fields, `process group ${group.pgid} killed after the grace period`);
      return;
    case 'survived':
      logger.error(fields, `process group ${group.pgid} is still alive after SIGKILL`);
      return;
  }
}

const lifecycleMessages: Record<AgentLifecycle, string> = {
  starting: 'agent starting',
  running: 'agent running',
  stopping: 'agent stopping',
  stopped: 'agent stopped',
  failed: 'agent failed',
};

/**
 * Starts the agent: resolves once the tree runs and the socket listens; throws (after cleaning up)
 * when it cannot start. `done` tells when and why it ended.
 * @example
 * const agent = await runAgent({ stateDir: '/tmp/g', spec: buildAgentTreeSpec(), logger: createLogger() });
 * const { exitCode } = await agent.done;
 */
export async function runAgent(options: AgentOptions): Promise<Agent> {
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new InspectionBus();
  const logger = options.logger;
  const stateDir = resolve(options.stateDir);
  const socketPath = join(stateDir, controlSocketName);
  const version = gravityVersion();
  let lifecycle: AgentLifecycle = 'starting';

  const enter = (next: AgentLifecycle, fields: Record<string, unknown> = {}): void => {
    lifecycle = next;
    const level = next === 'failed' ? 'error' : 'info';
    logger[level]({ lifecycle: next, ...fields }, lifecycleMessages[next]);
  };

  enter('starting', { stateDir, version, ...(options.configFile === undefined ? {} : { config: options.configFile }) });
  let lock: AgentLock;
  try {
    if (Buffer.byteLength(socketPath) > maxSocketPathBytes) {
      throw new GravityError('E_STATE_DIR', `state dir ${stateDir} is too long a path for the control socket`, {
        details: [`${socketPath} is ${Buffer.byteLength(socketPath)} bytes; a Unix socket path holds at most ${maxSocketPathBytes}`],
        hint: 'use a shorter --state-dir',
      });
    }
    ensureStateDir(stateDir);
    lock = await acquireAgentLock(stateDir, clock, logger);
  } catch (error) {
    // Nothing is held yet: say why in the log (the CLI also prints the error) and give up.
    enter('failed', { code: isGravityError(error) ? error.code : 'E_INTERNAL', error: (error as Error).message });
    throw error;
  }
  const stopLoggingDecisions = logSupervisorDecisions(bus, logger);
  // The recent records `gravity debug inspect` shows; kept from before the tree starts.
  const inspectionHistory = new InspectionHistory();
  const detachInspectionHistory = inspectionHistory.attach(bus);

  let settle: (exit: AgentExit) => void = () => undefined;
  const done = new Promise<AgentExit>((resolveDone) => {
    settle = resolveDone;
  });
  let finished = false;
  let server: ControlServer | undefined;
  const extensions: { name: string; handle: AgentExtensionHandle }[] = [];
  const signalHandlers = new Map<NodeJS.Signals, () => void>();

  /** Releases what the agent holds; idempotent and safe to call from any exit path. */
  const finish = async (exit: AgentExit): Promise<void> => {
    if (finished) return;
    finished = true;
    try {
      await server?.close();
    } catch (error) {
      logger.warn({ err: error }, 'could not close the control socket');
    }
    for (const { name, handle } of [...extensions].reverse()) {
      try {
        await handle.stop();
      } catch (error) {
        logger.warn({ err: error, extension: name }, 'an agent extension did not stop cleanly');
      }
    }
    await endWorkerSpares();
    // An exit that did not wait for them (a second signal, the root giving up): kill what is left.
    const killed = killProcessGroupsNow();
    if (killed > 0) logger.warn({ groups: killed }, `killed ${killed} process group(s) still running`);
    lock.release();
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    stopLoggingDecisions();
    detachInspectionHistory();
    settle(exit);
  };

  const onRootExit = (reason: ExitReason): void => {
    if (lifecycle === 'stopping' || lifecycle === 'stopped' || lifecycle === 'failed') return;
    const exitCode = ExitCode.supervisorGaveUp;
    lifecycle = 'failed';
    logger.fatal(
      { lifecycle: 'failed', code: 'E_SUPERVISOR_GAVE_UP', reason: describeExit(reason), exitCode },
      'root supervisor gave up; the agent exits so that its service manager restarts it',
    );
    void finish({ reason: 'gave_up', exitCode });
  };

  const root = new Supervisor({
    path: agentRootPath,
    spec: options.spec,
    bus,
    clock,
    launcher: options.launcher ?? createLauncher({ startOnWorker: startWorkerChild }),
    onExit: onRootExit,
  });
  const startedAt = clock.now();

  const ping = (): PingResult => ({ pid: process.pid, version, state: lifecycle, stateDir, startedAt });
  const tree = async (): Promise<TreeResult> => {
    const below = await root.describe();
    return {
      now: clock.now(),
      root: {
        id: agentRootPath,
        path: agentRootPath,
        type: 'supervisor',
        thread: 'main',
        state: root.state,
        restart: 'permanent',
        restarts: 0,
        ...(root.state === 'running' ? { startedAt } : {}),
        ...below,
      },
    };
  };

  const stop = async (why = 'stop requested', signal?: NodeJS.Signals): Promise<AgentExit> => {
    if (lifecycle !== 'running' && lifecycle !== 'starting') return done;
    enter('stopping', { why, ...(signal === undefined ? {} : { signal }) });
    for (const { name, handle } of extensions) {
      try {
        handle.beforeStop?.(why);
      } catch (error) {
        logger.warn({ err: error, extension: name }, 'an agent extension failed while the agent began to stop');
      }
    }
    let exit: AgentExit = { reason: 'stopped', exitCode: ExitCode.ok, ...(signal === undefined ? {} : { signal }) };
    try {
      await root.stop(options.shutdownTimeoutMs ?? 30_000);
    } catch (error) {
      logger.error({ err: error }, 'the supervision tree did not stop cleanly');
      exit = { ...exit, exitCode: ExitCode.internal };
    }
    // Whatever a hook or a probe started and is still alive (its SIGKILL was not due yet, or its
    // worker thread is gone) ends now, and the agent waits until it is really gone.
    const ended = await endProcessGroups({
      timeoutMs: options.processGroupTimeoutMs ?? 5000,
      clock,
      onEnded: (group) => logEndedGroup(logger, group),
    });
    if (ended.some((group) => group.how === 'survived')) exit = { ...exit, exitCode: ExitCode.internal };
    enter('stopped');
    await finish(exit);
    return done;
  };

  // Signals are handled from here on; one that arrives while the tree starts is acted on once it runs.
  let pendingSignal: NodeJS.Signals | undefined;
  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => {
        if (lifecycle === 'starting') {
          logger.info({ signal }, 'signal while starting: the agent stops once the tree is up');
          pendingSignal ??= signal;
          return;
        }
        if (lifecycle === 'stopping') {
          logger.warn({ signal }, 'second signal while stopping: exiting now');
          void finish({ reason: 'forced', exitCode: ExitCode.internal, signal });
          return;
        }
        void stop(`received ${signal}`, signal);
      };
      signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
    // SIGHUP: check the control socket now and make it again if it was removed (also done every few
    // seconds). On a terminal it is the terminal hanging up, and stops the agent as SIGTERM does.
    const onHangup = (): void => {
      if (process.stdout.isTTY) {
        signalHandlers.get('SIGTERM')?.();
        return;
      }
      logger.info({ signal: 'SIGHUP' }, 'checking the control socket');
      void server?.recheck();
    };
    signalHandlers.set('SIGHUP', onHangup);
    process.on('SIGHUP', onHangup);
  }

  const failStart = async (error: unknown): Promise<never> => {
    enter('failed', { err: error });
    await finish({ reason: 'failed', exitCode: isGravityError(error) ? error.exitCode : ExitCode.internal });
    throw error;
  };

  const merged: { handlers?: ControlHandlers } = {};
  const controlHandlers = (): ControlHandlers => {
    const handlers = merged.handlers;
    if (handlers === undefined) throw new Error('the control handlers are not ready before every extension has started');
    return handlers;
  };
  for (const extension of options.extensions ?? []) {
    try {
      extensions.push({ name: extension.name, handle: await extension.start({ stateDir, bus, root, logger, clock, controlHandlers }) });
    } catch (error) {
      return failStart(error);
    }
  }
  const inspect: ControlStreamHandler<'inspect'> = (params, signal) => readInspection(bus, inspectionHistory, params, signal);
  const handlers = Object.assign({ ping, tree, inspect }, ...extensions.map(({ handle }) => handle.handlers ?? {})) as ControlHandlers;
  merged.handlers = handlers;
  try {
    server = await startControlServer({ socketPath, handlers, logger, clock });
  } catch (error) {
    const wrapped = isGravityError(error)
      ? error
      : stateDirError(stateDir, error as NodeJS.ErrnoException, 'listen on the control socket in');
    return failStart(wrapped);
  }
  setWorkerSpares(options.workerSpares ?? 1);
  try {
    await root.start();
  } catch (error) {
    return failStart(error);
  }
  try {
    for (const { handle } of extensions) await handle.afterTreeStart?.();
  } catch (error) {
    await root.stop(options.shutdownTimeoutMs ?? 30_000);
    return failStart(error);
  }
  if (lifecycle === 'starting') enter('running', { socket: socketPath, children: options.spec.children.map((child) => child.id) });
  if (pendingSignal !== undefined) void stop(`received ${pendingSignal}`, pendingSignal);

  return {
    get state() {
      return lifecycle;
    },
    stateDir,
    socketPath,
    bus,
    root,
    done,
    stop: (why) => stop(why),
  };
}

/**
 * Runs the agent until it ends, then ends the process with the agent's exit code: 0 after a signal,
 * 70 when the root supervisor gave up (so that systemd restarts it).
 * @example await runAgentProcess({ stateDir, spec: buildAgentTreeSpec(), logger });
 */
export async function runAgentProcess(options: AgentOptions): Promise<never> {
  process.on('uncaughtExceptionMonitor', (error, origin) => {
    options.logger.fatal({ err: error, origin }, 'uncaught exception in the agent');
  });
  const agent = await runAgent({ ...options, handleSignals: true });
  const exit = await agent.done;
  options.logger.info({ exitCode: exit.exitCode, reason: exit.reason }, 'agent exiting');
  process.exit(exit.exitCode);
}
