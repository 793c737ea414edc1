// `gravity start`: runs the agent in the foreground (the supervision tree with this node's probes,
// the health endpoint and the control socket) until a signal stops it. Under systemd this is the
// service's main process.

import { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { globalOptions } from './program.ts';

/**
 * @example program.addCommand(makeStartCommand()); // gravity start --state-dir ./state
 */
export function makeStartCommand(): Command {
  return new Command('start')
    .description('run the agent in the foreground; SIGTERM or SIGINT stop it')
    .addHelpText(
      'after',
      '\nWith no config file the agent runs a single-node cluster named after the host, with default\n' +
        'probes (disk space of the state dir, memory, load) and the health endpoint on :7575.\n' +
        'Logs are JSON lines on stdout (pretty on a terminal); GRAVITY_LOG_LEVEL sets the level.\n' +
        'Exit codes: 0 after a signal, 2 for a bad config, 3 if an agent already runs on the state dir,\n' +
        '70 if the supervision tree gave up.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const config = loadConfig({
        configPath: globals.config,
        explicit: globals.configGiven,
        ...(globals.stateDirGiven ? { stateDirFlag: globals.stateDir } : {}),
      });
      // The agent's modules (supervision, workers, the endpoint, metrics, logging) load only when the
      // agent starts: every other command starts faster without them.
      const [{ createLogger }, { runAgentProcess }, { buildAgentTreeSpec }, { healthExtension }, { panelExtension }] = await Promise.all([
        import('../log.ts'),
        import('../supervisor/agent.ts'),
        import('../supervisor/agent-tree.ts'),
        import('../health/health-extension.ts'),
        import('../api/panel-extension.ts'),
      ]);
      const logger = createLogger({ debug: globals.debug, quiet: globals.quiet });
      await runAgentProcess({
        stateDir: config.stateDir,
        ...(config.source === undefined ? {} : { configFile: config.source }),
        spec: buildAgentTreeSpec({ config }),
        logger,
        extensions: [healthExtension(config), panelExtension(config)],
      });
    });
}
