// `gravity debug ...`: looking inside the agent. `debug tree` prints the live supervision tree (from
// the running agent, over the control socket) or the tree a spec file would start (offline).

import { Command, Option } from 'commander';
import { callAgent } from '../api/control-client.ts';
import { loadSupervisorSpecFile } from '../supervisor/spec-file.ts';
import { agentRootPath } from '../supervisor/agent-tree.ts';
import { formatTree, treeFromAgent, treeFromSpec } from './format-tree.ts';
import type { TreeView } from './format-tree.ts';
import { makeInspectCommand } from './inspect.ts';
import { makeStatechartCommand } from './statechart.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

export type TreeFormat = 'text' | 'json';

interface TreeOptions {
  spec?: string;
  format: TreeFormat;
}

/**
 * @example program.addCommand(makeDebugCommand()); // gravity debug tree --format json
 */
export function makeDebugCommand(output: CliOutput = processOutput): Command {
  const debug = new Command('debug').description("inspect the agent's supervision tree and actors");

  debug
    .command('tree')
    .description('print the supervision tree: each child with its state, thread, restart count and uptime')
    .option('--spec <file>', 'print the tree of a spec file (YAML or JSON) instead of the running agent')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: TreeOptions, command: Command) => {
      const view: TreeView =
        options.spec === undefined
          ? treeFromAgent(await callAgent({ stateDir: globalOptions(command).stateDir }, 'tree'))
          : treeFromSpec(loadSupervisorSpecFile(options.spec), agentRootPath);
      output.out(options.format === 'json' ? `${JSON.stringify(view, null, 2)}\n` : formatTree(view));
    });

  debug.addCommand(makeInspectCommand(output));

  debug.addCommand(makeStatechartCommand(output));

  return debug;
}
