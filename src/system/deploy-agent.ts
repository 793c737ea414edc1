// Starting the agent of a state dir in the background and waiting until it answers: `systemctl start
// gravity-agent.service` where the service is installed and systemd runs, else `gravity start
// --foreground` as a detached process logging to <state-dir>/logs/agent.log. An agent that already
// answers is left as it is.

import { join } from 'node:path';
import { callAgent } from '../api/control-client.ts';
import type { PingResult } from '../api/control-protocol.ts';
import type { Clock } from '../clock.ts';
import { delay, systemClock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import { managedBySystemd } from './agent-service.ts';
import { logsDir, logTail, spawnDetached } from './detached.ts';
import type { DetachedProcess } from './detached.ts';
import { gravityCommand } from './gravity-command.ts';
import { findLocalAgent, seconds } from './local-agent.ts';
import { describeCommand, systemdTool } from './systemctl.ts';

export interface DeployAgentOptions {
  stateDir: string;
  /** The config file to pass to `gravity start`, absolute, when one is used. */
  configFile?: string;
  /** How long to wait for the agent to answer. */
  timeoutMs: number;
  progress: (line: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
}

export type DeployOutcome =
  | { via: 'already'; ping: PingResult }
  | { via: 'systemd'; unit: string; command: string; ping: PingResult }
  | { via: 'detached'; logFile: string; ping: PingResult };

export function agentLogFile(stateDir: string): string {
  return join(logsDir(stateDir), 'agent.log');
}

/** Polls the control socket until the agent runs; gives up when `child` ends or at the deadline. */
async function waitUntilRunning(options: DeployAgentOptions, child?: DetachedProcess): Promise<PingResult> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.monotonic() + options.timeoutMs;
  for (;;) {
    try {
      const ping = await callAgent({ stateDir: options.stateDir, timeoutMs: 2000 }, 'ping');
      if (ping.state === 'running') return ping;
    } catch (error) {
      if (!isGravityError(error, 'E_AGENT_NOT_RUNNING') && !isGravityError(error, 'E_AGENT_UNREACHABLE')) throw error;
    }
    if (child?.ended === true) {
      const code = await child.exited;
      throw new GravityError('E_AGENT_START_FAILED', `the agent exited with ${code === null ? 'a signal' : `code ${code}`} before it answered`, {
        details: logTail(child.logFile, child.logStart),
        hint: `the whole log is ${child.logFile}`,
      });
    }
    if (clock.monotonic() >= deadline) {
      throw new GravityError('E_AGENT_START_FAILED', `the agent did not answer within ${seconds(options.timeoutMs)}`, {
        ...(child === undefined ? {} : { details: logTail(child.logFile, child.logStart) }),
        hint: child === undefined ? "'systemctl status gravity-agent' and 'journalctl -u gravity-agent' tell why" : `the whole log is ${child.logFile}`,
      });
    }
    await delay(clock, 100);
  }
}

/**
 * @example const outcome = await deployAgent({ stateDir: '/var/lib/gravity', timeoutMs: 60_000, progress: console.error });
 */
export async function deployAgent(options: DeployAgentOptions): Promise<DeployOutcome> {
  const { stateDir } = options;
  const service = await managedBySystemd(stateDir, options.env);
  if (service !== undefined) {
    const args = ['start', service.unit];
    options.progress(`running ${describeCommand('systemctl', args)}`);
    await systemdTool('systemctl', args);
    return { via: 'systemd', unit: service.unit, command: describeCommand('systemctl', args), ping: await waitUntilRunning(options) };
  }
  // An agent already holds the state dir (perhaps still starting): wait for it rather than start another.
  if ((await findLocalAgent(stateDir)) !== undefined) return { via: 'already', ping: await waitUntilRunning(options) };
  const args = ['start', '--foreground', '--state-dir', stateDir, ...(options.configFile === undefined ? [] : ['--config', options.configFile])];
  const child = spawnDetached([...gravityCommand(), ...args], agentLogFile(stateDir));
  options.progress(`started the agent in the background (pid ${child.pid}); waiting for it to answer`);
  try {
    return { via: 'detached', logFile: child.logFile, ping: await waitUntilRunning(options, child) };
  } finally {
    child.release();
  }
}
