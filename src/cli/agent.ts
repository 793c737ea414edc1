// `gravity agent deploy|shutdown|status`: the operation agents of Gravity's automatic upgrades, in
// their single-node form: deploy starts this node's agent in the background (its systemd service
// where installed, else a detached `gravity start`) and waits until it answers; shutdown stops it;
// status asks it over the control socket.

import { Command, Option } from 'commander';
import { callAgent } from '../api/control-client.ts';
import type { PingResult } from '../api/control-protocol.ts';
import { managedBySystemd } from '../system/agent-service.ts';
import { deployAgent } from '../system/deploy-agent.ts';
import type { DeployOutcome } from '../system/deploy-agent.ts';
import { unitActiveState } from '../system/systemctl.ts';
import { formatUptime } from './format-tree.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';
import { defaultStopTimeout, runStop, timeoutOption } from './stop.ts';
import { loadServiceConfig } from './system.ts';

/** What `gravity agent status --format json` prints. */
export interface AgentStatusJson {
  pid: number;
  version: string;
  state: PingResult['state'];
  stateDir: string;
  /** Epoch ms. */
  startedAt: number;
  uptimeMs: number;
  /** The systemd service, when the agent is one. */
  service: { unit: string; activeState: string } | null;
}

/**
 * The status lines of `gravity agent status`.
 * @example formatAgentStatus(json) // 'agent:      running (pid 4242)\n...'
 */
export function formatAgentStatus(status: AgentStatusJson): string {
  const rows: [string, string][] = [
    ['agent', `${status.state} (pid ${status.pid})`],
    ['version', status.version],
    ['state dir', status.stateDir],
    ['uptime', formatUptime(status.uptimeMs)],
    ['service', status.service === null ? 'none: not run by systemd' : `${status.service.unit} (systemd, ${status.service.activeState})`],
  ];
  return rows.map(([key, value]) => `${`${key}:`.padEnd(11)}${value}\n`).join('');
}

function describeDeploy(outcome: DeployOutcome): string[] {
  const pid = outcome.ping.pid;
  switch (outcome.via) {
    case 'already':
      return [`the agent is already running (pid ${pid})`];
    case 'systemd':
      return [`started ${outcome.unit} through systemd (pid ${pid})`, "'journalctl -u gravity-agent -f' follows its log"];
    case 'detached':
      return [`the agent runs in the background (pid ${pid})`, `log: ${outcome.logFile}`, "'gravity agent shutdown' stops it"];
  }
}

/**
 * @example program.addCommand(makeAgentCommand()); // gravity agent status --format json
 */
export function makeAgentCommand(output: CliOutput = processOutput): Command {
  const agent = new Command('agent').description("this node's agent as an operation agent: start it in the background, stop it, ask how it is");

  agent
    .command('deploy')
    .description('start the agent in the background (its systemd service where installed) and wait until it answers')
    .addOption(timeoutOption('how long to wait for the agent to answer', '60s'))
    .addHelpText(
      'after',
      "\nWhere gravity-agent.service is installed for this state dir and systemd runs: 'systemctl start\n" +
        "gravity-agent.service'. Elsewhere 'gravity start --foreground' as a detached process, its log in\n" +
        '<state-dir>/logs/agent.log. An agent that already runs is left alone. Exit code 3 if the agent\n' +
        'does not come up (the last lines of its log are shown).',
    )
    .action(async (options: { timeout: number }, command: Command) => {
      const globals = globalOptions(command);
      const { stateDir, configFile } = loadServiceConfig(globals);
      const outcome = await deployAgent({
        stateDir,
        ...(configFile === undefined ? {} : { configFile }),
        timeoutMs: options.timeout,
        progress: (line) => {
          if (!globals.quiet) output.err(`${line}\n`);
        },
      });
      output.out(describeDeploy(outcome).map((line) => `${line}\n`).join(''));
    });

  agent
    .command('shutdown')
    .description('stop the agent (its systemd service where installed, left enabled)')
    .addOption(timeoutOption('how long the agent gets to stop before the command gives up', defaultStopTimeout))
    .addHelpText('after', "\nLike 'gravity stop', except that an installed service is only stopped, not disabled.")
    .action(async (options: { timeout: number }, command: Command) => {
      await runStop(command, output, { disable: false, timeoutMs: options.timeout });
    });

  agent
    .command('status')
    .description("whether the agent runs: its pid, version, state and uptime (over its control socket)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit code 3 when no agent runs for the state dir.')
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const globals = globalOptions(command);
      const { stateDir } = loadServiceConfig(globals);
      const ping = await callAgent({ stateDir }, 'ping');
      const service = await managedBySystemd(stateDir);
      const status: AgentStatusJson = {
        pid: ping.pid,
        version: ping.version,
        state: ping.state,
        stateDir: ping.stateDir,
        startedAt: ping.startedAt,
        uptimeMs: Math.max(0, Date.now() - ping.startedAt),
        service: service === undefined ? null : { unit: service.unit, activeState: await unitActiveState(service.unit) },
      };
      output.out(options.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatAgentStatus(status));
    });

  return agent;
}
