// `gravity status` and `gravity status history`: the cluster's health now, and every status transition
// before it. Both ask the agent of the state dir over its control socket; the history is also read
// straight from the store in the state dir when no agent runs, so it stays available while the agent
// is down (which is when an operator needs it most).

import { Command, InvalidArgumentError, Option } from 'commander';
import { callAgent, connectControl } from '../api/control-client.ts';
import type { ControlClient } from '../api/control-client.ts';
import type { SystemFactsResult } from '../api/control-protocol.ts';
import { parseDuration } from '../duration.ts';
import { GravityError, isGravityError } from '../errors.ts';
import { openStoreReadOnly } from '../store/index.ts';
import type { HistoryEvent, HistoryQuery } from '../store/types.ts';
import { gravityVersion } from '../version.ts';
import { formatHistory } from './format-history.ts';
import type { HistoryFormat } from './format-history.ts';
import { degradedReason, formatStatus } from './format-status.ts';
import type { StatusFormat } from './format-status.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';

interface StatusOptions {
  format: StatusFormat;
}

interface HistoryOptions {
  /** Milliseconds back from now. */
  since?: number;
  node?: string;
  format?: HistoryFormat;
}

function parseSince(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 90s, 30m, 2h or 7d');
  return ms;
}

function parseNode(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a node name');
  return value;
}

/**
 * The history of a state dir: from its agent when one runs, else from the store on disk.
 * @example const events = await readHistory('/var/lib/gravity', { node: 'node-1' });
 */
export async function readHistory(stateDir: string, query: HistoryQuery): Promise<HistoryEvent[]> {
  try {
    return (await callAgent({ stateDir }, 'history', query)).events;
  } catch (error) {
    // Only a missing agent sends us to the file; an agent that runs but fails must be heard.
    if (!isGravityError(error, 'E_AGENT_NOT_RUNNING')) throw error;
  }
  const store = openStoreReadOnly({ stateDir });
  try {
    return await store.history.list(query);
  } finally {
    await store.close();
  }
}

/**
 * The agent's system facts for the `System:` section; undefined (the section is left out) when the
 * agent does not serve them, with a warning on stderr when it serves them but could not read them.
 * @example const system = await readSystemFacts(client, output);
 */
export async function readSystemFacts(client: Pick<ControlClient, 'call'>, output: CliOutput): Promise<SystemFactsResult | undefined> {
  try {
    return await client.call('system');
  } catch (error) {
    // An agent without a task pool does not serve `system`: its status is shown without the section.
    if (isGravityError(error, 'E_CONTROL_REQUEST')) return undefined;
    output.err(`warning: no system facts from the agent: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}

/**
 * @example program.addCommand(makeStatusCommand()); // gravity status --format json; gravity status history --since 1h
 */
export function makeStatusCommand(output: CliOutput = processOutput): Command {
  const status = new Command('status')
    .description("show the cluster's health: its status, the nodes and their failed probes (exits 5 while degraded)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: StatusOptions, command: Command) => {
      const client = await connectControl({ stateDir: globalOptions(command).stateDir });
      let report;
      let server: string;
      let system: SystemFactsResult | undefined;
      try {
        const [ping, snapshot, facts] = await Promise.all([client.call('ping'), client.call('status'), readSystemFacts(client, output)]);
        report = snapshot;
        server = ping.version;
        system = facts;
      } finally {
        client.close();
      }
      output.out(formatStatus(report, { client: gravityVersion(), server }, options.format, system));
      if (report.status === 'degraded') {
        const reason = degradedReason(report);
        throw new GravityError('E_CLUSTER_DEGRADED', reason === undefined ? 'the cluster is degraded' : `the cluster is degraded: ${reason}`);
      }
    });

  status
    .command('history')
    .description('show the status history: every probe, node and cluster status transition, oldest first')
    .addOption(new Option('--since <duration>', 'only the events of this last period (e.g. 30m, 2h, 7d)').argParser(parseSince))
    .addOption(new Option('--node <name>', "only this node's events").argParser(parseNode))
    .addOption(new Option('--format <format>', 'output format (default: "text")').choices(['text', 'json']))
    .action(async (options: HistoryOptions, command: Command) => {
      // Commander hands `--format` to `status` wherever it appears (the global options must be accepted
      // after a subcommand too, so options are not positional): the value may be on either command.
      const format = options.format ?? command.parent?.opts<StatusOptions>().format ?? 'text';
      const query: HistoryQuery = {};
      if (options.since !== undefined) query.since = Date.now() - options.since;
      if (options.node !== undefined) query.node = options.node;
      const events = await readHistory(globalOptions(command).stateDir, query);
      output.out(formatHistory(events, format));
    });

  return status;
}
