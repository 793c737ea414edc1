// `gravity stop`: stops this node's agent. Where it is the systemd service, as the seed describes
// ("stop and disable"): `systemctl disable --now gravity-agent.service`, so that it stays down across a
// reboot until `gravity start`. Elsewhere: SIGTERM to the agent and a wait until it has stopped its tree.

import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../duration.ts';
import { stopAgent } from '../system/stop-agent.ts';
import type { StopOutcome } from '../system/stop-agent.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';
import { loadServiceConfig } from './system.ts';

/** Default for --timeout: the agent's own 30 s shutdown, and some. */
export const defaultStopTimeout = '45s';

/** The longest --timeout: a day. */
export const maxTimeoutMs = 86_400_000;

export function parseTimeout(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0 || ms > maxTimeoutMs) throw new InvalidArgumentError('expected a duration from 1ms to 24h, such as 45s or 2m');
  return ms;
}

export const timeoutOption = (what: string, fallback: string): Option =>
  new Option('--timeout <duration>', what).argParser(parseTimeout).default(parseTimeout(fallback), fallback);

/** What happened, in a line for the user. */
export function describeStop(outcome: StopOutcome, stateDir: string): string {
  switch (outcome.via) {
    case 'systemd':
      return outcome.disabled
        ? `stopped and disabled ${outcome.unit}: it stays down, also across a reboot, until 'gravity start'`
        : `stopped ${outcome.unit}`;
    case 'signal':
      return `the agent (pid ${outcome.pid}) has stopped`;
    case 'none':
      return `no agent is running for state dir ${stateDir}: nothing to stop`;
  }
}

/**
 * Stops the agent and prints what happened; shared with `gravity agent shutdown`.
 * @example await runStop(command, output, { disable: true, timeoutMs: 45_000 });
 */
export async function runStop(command: Command, output: CliOutput, options: { disable: boolean; timeoutMs: number }): Promise<void> {
  const globals = globalOptions(command);
  const { stateDir } = loadServiceConfig(globals);
  const outcome = await stopAgent({
    stateDir,
    timeoutMs: options.timeoutMs,
    disable: options.disable,
    progress: (line) => {
      if (!globals.quiet) output.err(`${line}\n`);
    },
  });
  const line = describeStop(outcome, stateDir);
  if (outcome.via === 'none') output.err(`${line}\n`);
  else output.out(`${line}\n`);
}

/**
 * @example program.addCommand(makeStopCommand()); // gravity stop --state-dir ./state
 */
export function makeStopCommand(output: CliOutput = processOutput): Command {
  return new Command('stop')
    .description("stop this node's agent (where it is the systemd service: stop and disable it)")
    .addOption(timeoutOption('how long the agent gets to stop before the command gives up', defaultStopTimeout))
    .addHelpText(
      'after',
      '\nWhere gravity-agent.service is installed for this state dir and systemd runs, this is\n' +
        "'systemctl disable --now gravity-agent.service': the agent stays down, also across a reboot,\n" +
        "until 'gravity start'. Elsewhere the agent gets SIGTERM, stops its tree in reverse order, and\n" +
        'the command waits until its process has ended (progress on stderr). With no agent running it\n' +
        'says so and exits 0. Exit code 3 if the agent is still running at --timeout.',
    )
    .action(async (options: { timeout: number }, command: Command) => {
      await runStop(command, output, { disable: true, timeoutMs: options.timeout });
    });
}
