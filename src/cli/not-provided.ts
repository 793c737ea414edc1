// The commands of Gravity's CLI that users know but this version does not have yet. Each is listed
// in `gravity --help` under its own heading and answers, whatever its arguments, with one line saying
// what it will do and that it is not provided yet (E_NOT_PROVIDED, exit 2), instead of commander's
// "unknown command". When a command is built, its row goes from this table.

import { Command } from 'commander';
import { GravityError } from '../errors.ts';

export interface NotProvidedCommand {
  /** The command's words: `['join']`, `['system', 'report']` (its parent is an existing command). */
  readonly path: readonly string[];
  /** What it does, as the seed describes it. */
  readonly description: string;
}

/** The heading these commands are listed under in the help. */
export const notProvidedHeading = 'Not yet provided by this version:';

export const notProvidedCommands: readonly NotProvidedCommand[] = [
  { path: ['update'], description: 'manage application updates on a Gravity Cluster' },
  { path: ['upgrade'], description: 'manage the Cluster upgrade operation for a Gravity Cluster' },
  { path: ['join'], description: 'add a new node to the Cluster' },
  { path: ['autojoin'], description: 'join the Cluster using cloud provider for discovery' },
  { path: ['leave'], description: 'decommission a node: execute on a node being decommissioned' },
  { path: ['remove'], description: 'remove the specified node from the Cluster' },
  { path: ['backup'], description: 'perform a backup of the application data in a Cluster' },
  { path: ['restore'], description: 'restore the application data from a backup' },
  { path: ['tunnel'], description: 'manage the SSH tunnel used for the remote assistance' },
  { path: ['report'], description: 'collect Cluster diagnostics into an archive' },
  { path: ['resource'], description: 'manage Cluster resources' },
  { path: ['exec'], description: 'execute commands in the Master Container' },
  { path: ['shell'], description: 'launch an interactive shell in the Master Container' },
  { path: ['gc'], description: 'clean up unused Cluster resources' },
  { path: ['system', 'report'], description: 'collect system diagnostics and output as gzipped tarball to terminal' },
];

/**
 * The error a not-provided command ends with: one line, no hint.
 * @example notProvidedError({ path: ['join'], description: 'add a new node to the Cluster' }).message
 * // "'gravity join' (add a new node to the Cluster) is not provided by this version of gravity yet"
 */
export function notProvidedError(entry: NotProvidedCommand): GravityError {
  return new GravityError('E_NOT_PROVIDED', `'gravity ${entry.path.join(' ')}' (${entry.description}) is not provided by this version of gravity yet`);
}

function findCommand(parent: Command, name: string): Command | undefined {
  return parent.commands.find((command) => command.name() === name);
}

/**
 * Adds every command of the table under `program` (after the real commands, so that `system report`
 * joins the existing `system`). A parent that does not exist yet is added as a not-provided group too.
 * @example addNotProvidedCommands(program); // gravity join 10.0.0.1 --token x → one error line, exit 2
 */
export function addNotProvidedCommands(program: Command, table: readonly NotProvidedCommand[] = notProvidedCommands): void {
  for (const entry of table) {
    let parent = program;
    for (const word of entry.path.slice(0, -1)) {
      parent = findCommand(parent, word) ?? parent.command(word).helpGroup(notProvidedHeading);
    }
    const name = entry.path[entry.path.length - 1];
    if (name === undefined || findCommand(parent, name) !== undefined) continue;
    parent.addCommand(
      new Command(name)
        .description(`${entry.description} (not yet provided)`)
        .helpGroup(notProvidedHeading)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw notProvidedError(entry);
        }),
    );
  }
}
