// `gravity system install` and `gravity system uninstall`: put the agent under systemd as
// gravity-agent.service (Type=notify, watchdog, restart with a pause), or take it out again. The
// steps are in src/system/install.ts; this file parses, resolves paths and prints.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.ts';
import { defaultUnitDir } from '../system/agent-unit.ts';
import { gravityCommand } from '../system/gravity-command.ts';
import { agentUnitText, installAgentService, uninstallAgentService } from '../system/install.ts';
import type { CliOutput, GlobalOptions } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

/** The config file the service's agent is to read: the one given, or the default one when it exists. */
export function serviceConfigFile(globals: GlobalOptions): string | undefined {
  const file = resolve(globals.config);
  return globals.configGiven || existsSync(file) ? file : undefined;
}

/**
 * The state dir and config file of the agent the command is about, from the config loaded as
 * `gravity start` loads it (so a bad config fails here, not later in a service or a background agent).
 * @example const { stateDir, configFile } = loadServiceConfig(globalOptions(command));
 */
export function loadServiceConfig(globals: GlobalOptions): { stateDir: string; configFile?: string } {
  const config = loadConfig({
    configPath: globals.config,
    explicit: globals.configGiven,
    ...(globals.stateDirGiven ? { stateDirFlag: globals.stateDir } : {}),
  });
  const configFile = serviceConfigFile(globals);
  return { stateDir: config.stateDir, ...(configFile === undefined ? {} : { configFile }) };
}

const unitDirOption = (): Option =>
  new Option('--unit-dir <dir>', 'where the unit file goes').default(defaultUnitDir);

/**
 * @example program.addCommand(makeSystemCommand()); // gravity system install --dry-run
 */
export function makeSystemCommand(output: CliOutput = processOutput): Command {
  const system = new Command('system').description('install the agent as the systemd service gravity-agent.service, or remove it');

  system
    .command('install')
    .description('write gravity-agent.service and, where systemd runs, enable and start it')
    .addOption(new Option('--dry-run', 'print the unit and change nothing'))
    .addOption(unitDirOption())
    .addHelpText(
      'after',
      '\nThe unit runs this gravity (the same node binary and main script) as\n' +
        "'gravity start --foreground --state-dir DIR [--config FILE]' with Type=notify, a 30 s watchdog,\n" +
        'Restart=on-failure after 5 s, and hardening that leaves probes and hooks working (docs/systemd.md).\n' +
        "Where systemd runs (/run/systemd/system exists; GRAVITY_SYSTEMD=on|off overrides) it then runs\n" +
        "'systemctl daemon-reload' and 'systemctl enable --now gravity-agent.service'.\n" +
        "Afterwards 'gravity start' and 'gravity stop' go through systemctl for this state dir.",
    )
    .action(async (options: { dryRun?: boolean; unitDir: string }, command: Command) => {
      const globals = globalOptions(command);
      const { stateDir, configFile } = loadServiceConfig(globals);
      const base = { stateDir, ...(configFile === undefined ? {} : { configFile }), command: gravityCommand() };
      if (options.dryRun === true) {
        output.out(await agentUnitText(base));
        output.err(`dry run: nothing written; the unit would go to ${resolve(options.unitDir, 'gravity-agent.service')}\n`);
        return;
      }
      await installAgentService({ ...base, unitDir: options.unitDir, report: (line) => output.out(`${line}\n`) });
    });

  system
    .command('uninstall')
    .description('disable and stop gravity-agent.service, and remove its unit file')
    .addOption(unitDirOption())
    .addHelpText('after', '\nThe state dir (the store, the history, the certificate) is kept.')
    .action(async (options: { unitDir: string }, command: Command) => {
      const { stateDir } = loadServiceConfig(globalOptions(command));
      await uninstallAgentService({ stateDir, unitDir: options.unitDir, report: (line) => output.out(`${line}\n`) });
    });

  return system;
}
