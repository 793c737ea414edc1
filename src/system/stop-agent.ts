// Stopping the agent of a state dir, whichever way it runs: through systemctl when it is the systemd
// service (`disable --now` for `gravity stop`, which the seed describes as "stop and disable", plain
// `stop` for `gravity agent shutdown`), else SIGTERM to its process (the same orderly, reverse-order
// stop that systemd would ask for) and a wait, with a deadline, until the process has ended.

import type { Clock } from '../clock.ts';
import { GravityError } from '../errors.ts';
import { managedBySystemd } from './agent-service.ts';
import { findLocalAgent, seconds, waitForExit } from './local-agent.ts';
import { describeCommand, systemdTool } from './systemctl.ts';

export interface StopAgentOptions {
  stateDir: string;
  /** How long the agent gets to stop after SIGTERM. */
  timeoutMs: number;
  /** Also keep the service from starting at boot (systemd only). */
  disable: boolean;
  /** Progress lines (stderr). */
  progress: (line: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
}

export type StopOutcome =
  | { via: 'systemd'; unit: string; command: string; disabled: boolean }
  | { via: 'signal'; pid: number; waitedMs: number }
  | { via: 'none' };

/**
 * @example const outcome = await stopAgent({ stateDir, timeoutMs: 45_000, disable: true, progress: (line) => process.stderr.write(`${line}\n`) });
 */
export async function stopAgent(options: StopAgentOptions): Promise<StopOutcome> {
  const { stateDir } = options;
  const service = await managedBySystemd(stateDir, options.env);
  if (service !== undefined) {
    const args = options.disable ? ['disable', '--now', service.unit] : ['stop', service.unit];
    options.progress(`running ${describeCommand('systemctl', args)}`);
    await systemdTool('systemctl', args);
    return { via: 'systemd', unit: service.unit, command: describeCommand('systemctl', args), disabled: options.disable };
  }

  const agent = await findLocalAgent(stateDir);
  if (agent === undefined) return { via: 'none' };
  const started = Date.now();
  try {
    process.kill(agent.pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { via: 'signal', pid: agent.pid, waitedMs: 0 };
    if (code === 'EPERM') {
      throw new GravityError('E_AGENT_ACCESS_DENIED', `not allowed to signal the agent (pid ${agent.pid})`, {
        hint: "run the command as the agent's user (root for the default --state-dir)",
        cause: error,
      });
    }
    throw error;
  }
  options.progress(`sent SIGTERM to the agent (pid ${agent.pid}); waiting for it to stop its tree`);
  const ended = await waitForExit(agent.pid, {
    timeoutMs: options.timeoutMs,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    onProgress: (waited) => options.progress(`still waiting for the agent (pid ${agent.pid}) to stop: ${Math.round(waited / 1000)}s`),
  });
  if (!ended) {
    throw new GravityError('E_AGENT_STOP_TIMEOUT', `the agent (pid ${agent.pid}) did not stop within ${seconds(options.timeoutMs)}`, {
      hint: `its log says what it waits for; a second 'kill -TERM ${agent.pid}' makes it exit at once, 'kill -KILL ${agent.pid}' ends it`,
    });
  }
  return { via: 'signal', pid: agent.pid, waitedMs: Date.now() - started };
}
