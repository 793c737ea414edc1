// `gravity debug inspect`: the agent's inspection records (actors created and stopped, events
// received, snapshots, supervisor decisions) as JSON lines, for a developer or an operator who wants
// to see what an actor did. Without --follow it prints what the agent has kept and ends; with it, it
// goes on until Ctrl-C or SIGTERM, which end it cleanly (exit 0).

import { Command, InvalidArgumentError } from 'commander';
import { streamAgent } from '../api/control-client.ts';
import { defaultControlTimeoutMs } from '../api/control-client.ts';
import type { InspectParams } from '../api/control-protocol.ts';
import type { InspectionKind } from '../actors/inspection.ts';
import { inspectionKinds } from '../actors/inspection.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

interface InspectOptions {
  actor?: string;
  kinds?: InspectionKind[];
  follow?: boolean;
  backlog?: number;
}

/**
 * Parses `--kinds snapshot,event`; an unknown kind is a usage error.
 * @example parseKinds('snapshot,event'); // ['snapshot', 'event']
 */
export function parseKinds(value: string): InspectionKind[] {
  const kinds = value
    .split(',')
    .map((kind) => kind.trim())
    .filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !(inspectionKinds as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${inspectionKinds.join(', ')}`);
  }
  return kinds as InspectionKind[];
}

function parseBacklog(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) throw new InvalidArgumentError('expected a non-negative integer');
  return count;
}

/**
 * The `debug inspect` subcommand.
 * @example debug.addCommand(makeInspectCommand(output)); // gravity debug inspect --actor agent/probes --follow
 */
export function makeInspectCommand(output: CliOutput = processOutput): Command {
  return new Command('inspect')
    .description("print the agent's inspection records (actors created and stopped, events, snapshots, supervisor decisions) as JSON lines")
    .option('--actor <path>', 'only this actor and the actors below it (a path as `debug tree --format json` shows it, e.g. agent/probes)')
    .option('--kinds <kinds>', `only these kinds, comma-separated: ${inspectionKinds.join(', ')}`, parseKinds)
    .option('--backlog <n>', 'print at most the last n kept records first (default: all the agent kept)', parseBacklog)
    .option('-f, --follow', 'go on with each new record until interrupted (Ctrl-C or SIGTERM end it with exit 0)')
    .action(async (options: InspectOptions, command: Command) => {
      const follow = options.follow === true;
      const params: InspectParams = {
        follow,
        ...(options.actor === undefined ? {} : { pathPrefix: options.actor }),
        ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
        ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      };
      const interrupted = new AbortController();
      const interrupt = (): void => interrupted.abort();
      let stdoutError: NodeJS.ErrnoException | undefined;
      // A reader that went away (`| head`) ends the command like an interrupt; another error is reported.
      const onStdoutError = (error: NodeJS.ErrnoException): void => {
        stdoutError = error;
        interrupted.abort();
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      if (output === processOutput) process.stdout.on('error', onStdoutError);
      try {
        const records = streamAgent({ stateDir: globalOptions(command).stateDir }, 'inspect', params, {
          signal: interrupted.signal,
          // A follow may rightly stay quiet; a one-off reading must not hang on an agent that does not answer.
          ...(follow ? {} : { idleTimeoutMs: defaultControlTimeoutMs }),
        });
        let next = await records.next();
        while (next.done !== true) {
          output.out(`${JSON.stringify(next.value)}\n`);
          next = await records.next();
        }
        if (follow && next.value !== undefined) output.err('the agent ended the stream: it is stopping\n');
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        process.stdout.off('error', onStdoutError);
      }
      if (stdoutError !== undefined && stdoutError.code !== 'EPIPE') throw stdoutError;
    });
}
