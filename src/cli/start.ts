// `gravity start`: runs the agent in the foreground (the supervision tree with this node's probes,
// the health endpoint and the control socket) until a signal stops it. Under systemd this is the
// service's main process. Where the agent is installed as gravity-agent.service for this state dir
// and systemd runs, it starts the service instead (`systemctl enable --now`), unless --foreground.

import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

/**
 * @example program.addCommand(makeStartCommand()); // gravity start --state-dir ./state
 */
export function makeStartCommand(output: CliOutput = processOutput): Command {
  return new Command('start')
    .description('run the agent in the foreground; SIGTERM or SIGINT stop it (or start its systemd service where installed)')
    .addOption(new Option('--foreground', 'run the agent in this process even where gravity-agent.service is installed'))
    .addHelpText(
      'after',
      '\nWith no config file the agent runs a single-node cluster named after the host, with default\n' +
        'probes (disk space of the state dir, memory, load) and the health endpoint on :7575.\n' +
        'Logs are JSON lines on stdout (pretty on a terminal); GRAVITY_LOG_LEVEL sets the level.\n' +
        'Exit codes: 0 after a signal, 2 for a bad config, 3 if an agent already runs on the state dir,\n' +
        '70 if the supervision tree gave up.\n' +
        "Where 'gravity system install' installed gravity-agent.service for this state dir and systemd\n" +
        "runs, this is 'systemctl enable --now gravity-agent.service' instead (docs/systemd.md).",
    )
    .action(async (options: { foreground?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const config = loadConfig({
        configPath: globals.config,
        explicit: globals.configGiven,
        ...(globals.stateDirGiven ? { stateDirFlag: globals.stateDir } : {}),
      });
      if (options.foreground !== true) {
        const { startAgentService } = await import('../system/start-service.ts');
        const service = await startAgentService(config.stateDir);
        if (service !== undefined) {
          output.out(`started ${service.unit} through systemd ('${service.command}'); 'journalctl -u gravity-agent -f' follows its log\n`);
          return;
        }
      }
      // The agent's modules (supervision, workers, the endpoint, metrics, logging) load only when the
      // agent starts: every other command starts faster without them.
      const [{ createLogger }, { runAgentProcess }, { buildAgentTreeSpec }, { healthExtension }, { panelExtension }, { TaskPoolSlot }, { systemFactsExtension }] =
        await Promise.all([
          import('../log.ts'),
          import('../supervisor/agent.ts'),
          import('../supervisor/agent-tree.ts'),
          import('../health/health-extension.ts'),
          import('../api/panel-extension.ts'),
          import('../actors/task-pool-actor.ts'),
          import('../actors/system-facts.ts'),
        ]);
      const tasks = new TaskPoolSlot();
      const logger = createLogger({ debug: globals.debug, quiet: globals.quiet });
      const { systemExtensions } = await import('../system/system-extensions.ts');
      const { operationsExtension } = await import('../operations/operations-extension.ts');
      const { rpcExtension } = await import('../cluster/rpc-extension.ts');
      await runAgentProcess({
        stateDir: config.stateDir,
        ...(config.source === undefined ? {} : { configFile: config.source }),
        spec: buildAgentTreeSpec({ config, tasks, logger }),
        logger,
        // The systemd extensions come last: their READY=1 says everything before them is up.
        extensions: [systemFactsExtension(tasks), healthExtension(config), panelExtension(config), operationsExtension(config), rpcExtension(config), ...systemExtensions(process.env, logger)],
      });
    });
}
