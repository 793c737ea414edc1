// `gravity debug statechart`: draws one of gravity's machines from its definition (Mermaid, DOT, SVG
// through Graphviz, JSON or SCXML), optionally with the states a running actor is in marked, read
// from the agent's live supervision tree.

import { Command, Option } from 'commander';
import { callAgent } from '../api/control-client.ts';
import { GravityError } from '../errors.ts';
import type { TreeNodeInfo } from '../supervisor/child.ts';
import { activeStateIds, machineModel } from '../statechart/graph.ts';
import { drawableMachineNames, drawableMachines, findDrawableMachine } from '../statechart/registry.ts';
import { renderStatechart, statechartFormats } from '../statechart/render.ts';
import type { StatechartFormat } from '../statechart/render.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';
import { findTreeNode } from '../supervisor/find-tree-node.ts';

interface StatechartOptions {
  list?: boolean;
  format: StatechartFormat;
  actor?: string;
}


function treePaths(root: TreeNodeInfo): string[] {
  return [root.path, ...(root.children ?? []).flatMap(treePaths)];
}

/** `--list`: one line per machine, the names aligned. */
function formatList(): string {
  const width = Math.max(...drawableMachines.map((entry) => entry.name.length));
  return drawableMachines.map((entry) => `${entry.name.padEnd(width)}  ${entry.description}\n`).join('');
}

/**
 * The current state value to mark, from the running agent: the actor's machine state, or for the
 * `supervisor` chart the child's own state under its supervisor (every child has one).
 */
async function actorStateOf(stateDir: string, path: string, machine: string): Promise<unknown> {
  const { root } = await callAgent({ stateDir }, 'tree');
  const node = findTreeNode(root, path);
  if (node === undefined) {
    throw new GravityError('E_CHILD_NOT_FOUND', `no actor at path '${path}' in the agent's supervision tree`, {
      hint: `'gravity debug tree' shows the paths; this agent has: ${treePaths(root).join(', ')}`,
    });
  }
  if (machine === 'supervisor') return node.state;
  if (node.actorState === undefined) {
    const why = node.type === 'supervisor' ? 'it is a supervisor, not an actor' : `it is ${node.state}`;
    throw new GravityError('E_STATECHART_MISMATCH', `'${path}' has no machine state to mark: ${why}`, {
      hint: "give the path of an actor: the lines of 'gravity debug tree' that show actor=",
    });
  }
  return node.actorState;
}

/**
 * @example debug.addCommand(makeStatechartCommand(output)); // gravity debug statechart probe --format dot
 */
export function makeStatechartCommand(output: CliOutput = processOutput): Command {
  return new Command('statechart')
    .description("draw a machine's statechart from its definition (Mermaid, DOT, SVG, JSON or SCXML)")
    .argument('[name]', `the machine: ${drawableMachineNames().join(', ')}`)
    .option('--list', 'list the machines that can be drawn')
    .addOption(new Option('--format <format>', 'output format').choices([...statechartFormats]).default('mermaid'))
    .option('--actor <path>', "mark the states the running agent's actor at this path is in (see 'gravity debug tree'); for the supervisor chart, the state of any child")
    .action(async (name: string | undefined, options: StatechartOptions, command: Command) => {
      if (options.list === true) {
        output.out(formatList());
        return;
      }
      if (name === undefined) {
        throw new GravityError('E_USAGE', 'give the name of a machine to draw, or --list', {
          hint: `machines: ${drawableMachineNames().join(', ')}`,
        });
      }
      const drawable = findDrawableMachine(name);
      if (drawable === undefined) {
        throw new GravityError('E_STATECHART_UNKNOWN', `no machine named '${name}': choose one of ${drawableMachineNames().join(', ')}`);
      }
      const model = machineModel(drawable.machine);
      const active =
        options.actor === undefined
          ? undefined
          : activeStateIds(model, await actorStateOf(globalOptions(command).stateDir, options.actor, drawable.name));
      output.out(renderStatechart(model, options.format, active === undefined ? {} : { active }));
    });
}
