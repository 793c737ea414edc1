// Logging for the agent and the CLI: JSON lines on stdout, which is what journald stores and what
// tools parse, or pretty lines when a person watches a terminal. Every supervisor decision becomes
// one structured record, read from the inspection bus like every other consumer of actor events.

import pino from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import pretty from 'pino-pretty';
import { GravityError } from './errors.ts';
import type { InspectionBus, InspectionRecord, SupervisorAction } from './actors/inspection.ts';

export type { Logger } from 'pino';

export const logLevels: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface LoggerOptions {
  /** `--debug`: level `debug`, whatever GRAVITY_LOG_LEVEL says. */
  debug?: boolean;
  /** `-q/--quiet`: level `warn` unless GRAVITY_LOG_LEVEL or --debug say otherwise. */
  quiet?: boolean;
  /** Where GRAVITY_LOG_LEVEL is read from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Pretty output instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where records go; defaults to stdout, written synchronously so nothing is lost at exit. */
  destination?: DestinationStream;
  /** Fields on every record. */
  base?: Record<string, string | number>;
}

/** The level the options and the environment select; an unknown GRAVITY_LOG_LEVEL is a usage error. */
export function resolveLogLevel(options: Pick<LoggerOptions, 'debug' | 'quiet' | 'env'> = {}): Level {
  if (options.debug === true) return 'debug';
  const fromEnv = (options.env ?? process.env).GRAVITY_LOG_LEVEL?.trim().toLowerCase();
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!(logLevels as readonly string[]).includes(fromEnv)) {
      throw new GravityError('E_USAGE', `GRAVITY_LOG_LEVEL must be one of ${logLevels.join(', ')}, got ${JSON.stringify(fromEnv)}`, {
        hint: 'unset GRAVITY_LOG_LEVEL or give it one of the levels above',
      });
    }
    return fromEnv as Level;
  }
  return options.quiet === true ? 'warn' : 'info';
}

/**
 * Creates the process logger.
 * @example const logger = createLogger({ debug: opts.debug }); logger.info({ stateDir }, 'agent starting');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLogLevel(options);
  const usePretty = options.pretty ?? process.stdout.isTTY;
  const destination =
    options.destination ??
    (usePretty
      ? pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than numbers: readable in journalctl and in tests, and pino-pretty accepts both.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

type SupervisorRecord = Extract<InspectionRecord, { kind: 'supervisor' }>;

const decisionLevel: Record<SupervisorAction, Level> = {
  escalate: 'error',
  give_up: 'error',
  restart: 'warn',
  kill: 'warn',
  start: 'info',
  stop: 'info',
  remove: 'info',
  ignore: 'info',
};

const decisionMessage: Record<SupervisorAction, string> = {
  escalate: 'supervisor failed and escalates to its parent',
  give_up: 'supervisor gives up: restart intensity exceeded',
  restart: 'child exited, restarting',
  kill: 'child killed',
  start: 'child started',
  stop: 'child stopped',
  remove: 'child removed',
  ignore: 'child exited, not restarted',
};

/** The level at which a supervisor decision is logged. */
export function supervisorDecisionLevel(action: SupervisorAction): Level {
  return decisionLevel[action];
}

/**
 * Writes one structured record per supervisor decision; returns the unsubscribe function.
 * @example const off = logSupervisorDecisions(bus, logger);
 */
export function logSupervisorDecisions(bus: InspectionBus, logger: Logger): () => void {
  return bus.subscribe(
    (record) => {
      if (record.kind !== 'supervisor') return;
      const decision: SupervisorRecord = record;
      const fields = {
        supervisor: decision.path,
        child: decision.child,
        reason: decision.reason,
        action: decision.action,
        ...(decision.delayMs === undefined ? {} : { delayMs: decision.delayMs }),
        ...(decision.restarts === undefined ? {} : { restarts: decision.restarts }),
      };
      logger[decisionLevel[decision.action]](fields, decisionMessage[decision.action]);
    },
    { kinds: ['supervisor'] },
  );
}
