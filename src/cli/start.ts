// `gravity start`: runs the agent in the foreground (the supervision tree and its control socket)
// until a signal stops it. Under systemd this is the service's main process.

import { Command } from 'commander';
import { createLogger } from '../log.ts';
import { runAgentProcess } from '../supervisor/agent.ts';
import { buildAgentTreeSpec } from '../supervisor/agent-tree.ts';
import { globalOptions } from './program.ts';

/**
 * @example program.addCommand(makeStartCommand()); // gravity start --state-dir ./state
 */
export function makeStartCommand(): Command {
  return new Command('start')
    .description('run the agent in the foreground; SIGTERM or SIGINT stop it')
    .addHelpText(
      'after',
      '\nLogs are JSON lines on stdout (pretty on a terminal); GRAVITY_LOG_LEVEL sets the level.\n' +
        'Exit codes: 0 after a signal, 3 if an agent already runs on the state dir, 70 if the supervision tree gave up.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const logger = createLogger({ debug: globals.debug, quiet: globals.quiet });
      await runAgentProcess({ stateDir: globals.stateDir, configFile: globals.config, spec: buildAgentTreeSpec(), logger });
    });
}
