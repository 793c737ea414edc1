// The `gravity` command line: the program, its global options (the ones every Gravity command
// shares), and the command groups, each built in its own file. Nothing here does the work of a
// command; main.ts runs the program and renders what fails.

import { Command, Option } from 'commander';
import { gravityVersion } from '../version.ts';
import { styledTerminalText, terminalText } from './terminal-text.ts';
import { makeDebugCommand } from './debug.ts';
import { makeStartCommand } from './start.ts';
import { makeStatusCommand } from './status.ts';
import { makePlanCommand } from './plan.ts';
import { makeRollbackCommand } from './rollback.ts';
import { makeSystemCommand } from './system.ts';
import { makeStopCommand } from './stop.ts';
import { makeAgentCommand } from './agent.ts';
import { makeUsersCommand } from './users.ts';
import { addNotProvidedCommands } from './not-provided.ts';

/** The global options, parsed. */
export interface GlobalOptions {
  stateDir: string;
  /** True when --state-dir was given (it then wins over the config file's stateDir). */
  stateDirGiven: boolean;
  config: string;
  /** True when --config was given (a missing file is then an error, not "use the defaults"). */
  configGiven: boolean;
  debug: boolean;
  quiet: boolean;
  insecure: boolean;
}

export const defaultStateDir = '/var/lib/gravity';
export const defaultConfigFile = '/etc/gravity/gravity.yaml';

export interface WriteOptions {
  /**
   * Text that gravity has coloured itself (on a terminal): its own styling sequences pass, every other
   * control character is still made visible (terminal-text.ts). Its data must be escaped before styling.
   */
  styled?: boolean;
}

/** Where commands write; the real streams by default, captured in tests. */
export interface CliOutput {
  out(text: string, options?: WriteOptions): void;
  err(text: string, options?: WriteOptions): void;
}

/** `text` as it may reach a terminal: control characters made visible, gravity's own styling kept when asked. */
export function safeForTerminal(text: string, options?: WriteOptions): string {
  return options?.styled === true ? styledTerminalText(text) : terminalText(text);
}

/**
 * An output that makes control characters visible in everything written through it (escaping twice
 * changes nothing). makeProgram puts every command's output behind it, so no command can forget it.
 * @example const output = terminalSafeOutput(captured); output.out('\u001b]0;x\u0007'); // captured gets '\\u001b]0;x\\u0007'
 */
export function terminalSafeOutput(output: CliOutput): CliOutput {
  return {
    out: (text, options) => output.out(safeForTerminal(text, options), options),
    err: (text, options) => output.err(safeForTerminal(text, options), options),
  };
}

export const processOutput: CliOutput = {
  out: (text, options) => {
    process.stdout.write(safeForTerminal(text, options));
  },
  err: (text, options) => {
    process.stderr.write(safeForTerminal(text, options));
  },
};

/** The global options as seen from any (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<Partial<GlobalOptions>>();
  const given = (name: string): boolean => {
    const source = command.getOptionValueSourceWithGlobals(name);
    return source !== undefined && source !== 'default';
  };
  return {
    stateDir: options.stateDir ?? defaultStateDir,
    stateDirGiven: given('stateDir'),
    config: options.config ?? defaultConfigFile,
    configGiven: given('config'),
    debug: options.debug === true,
    quiet: options.quiet === true,
    insecure: options.insecure === true,
  };
}

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

/**
 * Builds the whole program.
 * @example await makeProgram().parseAsync(['node', 'gravity', 'debug', 'tree', '--state-dir', '/tmp/g']);
 */
export function makeProgram(given: CliOutput = processOutput): Command {
  // processOutput escapes by itself (and commands compare against it to know they write to the real stdout).
  const output = given === processOutput ? processOutput : terminalSafeOutput(given);
  const program = new Command('gravity')
    .description('Cluster supervisor: node agent, health probes, operation plans with rollback, live statecharts')
    .version(gravityVersion(), '-V, --version', 'print the version and exit')
    .addOption(new Option('--state-dir <dir>', 'directory of the local state and the agent socket').default(defaultStateDir))
    .addOption(new Option('--config <file>', 'configuration file').default(defaultConfigFile))
    .option('--debug', 'verbose logs, and stack traces on errors')
    .option('-q, --quiet', 'print less: warnings and errors only')
    .option('--insecure', 'do not verify TLS certificates')
    .addHelpText('after', "\nRun 'gravity <command> --help' for a command's options.");

  program.addCommand(makeStartCommand(output));
  program.addCommand(makeDebugCommand(output));
  program.addCommand(makeStatusCommand(output));
  program.addCommand(makePlanCommand(output));
  program.addCommand(makeRollbackCommand(output));
  program.addCommand(makeStopCommand(output));
  program.addCommand(makeSystemCommand(output));
  program.addCommand(makeAgentCommand(output));
  program.addCommand(makeUsersCommand(output));
  addNotProvidedCommands(program);

  forEachCommand(program, (command) => {
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) })
      .configureHelp({ showGlobalOptions: true, sortSubcommands: true })
      .showHelpAfterError("(run with --help for usage)");
  });
  return program;
}
