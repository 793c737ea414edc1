// How operation plans and their progress are printed: the `gravity plan` table (and its short form,
// JSON and YAML), the `--follow` lines, the `gravity rollback` confirmation table and the
// `Executing`/`Rolling back` lines. Operators compare this output with Gravity's documentation and
// scripts grep it, so the layout is Gravity's to the character: Go's tabwriter with padding 5,
// Gravity's markers, labels and date formats. Pure: an Operation in, text out.

import { stringify } from 'yaml';
import type { SurvivorEnd } from '../plan/survivors.ts';
import type { Operation, OperationState, OperationType, Phase, PhaseExecutor, PhaseState } from '../plan/types.ts';
import { tabwrite } from './format-status.ts';
import { terminalLine } from './terminal-text.ts';

/** `gravity plan --format`. */
export type PlanFormat = 'text' | 'short' | 'json' | 'yaml';

export interface PlanTableOptions {
  /**
   * The caller's clock, in epoch ms. Gravity's table shows absolute times only, so it does not change
   * the output; it is accepted so that every plan view can be called the same way.
   */
  now?: number;
  /** Red for failed phases and the failure footer (a terminal); plain text otherwise. */
  color: boolean;
}

/** Gravity's tabwriter settings for plan tables: minwidth 0, tabwidth 10, padding 5, spaces. */
export const planTablePadding = 5;

/** The marker before a phase's name in the table. */
export const phaseMarkers: Readonly<Record<PhaseState, string>> = {
  unstarted: '*',
  in_progress: '→',
  completed: '✓',
  failed: '×',
  rolled_back: '⤺',
};

/** A phase state as the table labels it. */
export const phaseStateLabels: Readonly<Record<PhaseState, string>> = {
  unstarted: 'Unstarted',
  in_progress: 'In Progress',
  completed: 'Completed',
  failed: 'Failed',
  rolled_back: 'Rolled Back',
};

const ansi = { red: '\u001b[31m', green: '\u001b[32m', blue: '\u001b[34m', reset: '\u001b[0m' };

function paint(text: string, code: string, color: boolean): string {
  return color ? `${code}${text}${ansi.reset}` : text;
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * Gravity's human date, `Mon Jan _2 15:04 UTC` (the day padded with a space), with seconds when asked
 * (`Mon Jan _2 15:04:05 UTC`, the follow and progress lines).
 * @example formatHumanDate(Date.UTC(2020, 5, 2, 9, 5)) // 'Tue Jun  2 09:05 UTC'
 */
export function formatHumanDate(epochMs: number, seconds = false): string {
  const date = new Date(epochMs);
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}${seconds ? `:${two(date.getUTCSeconds())}` : ''}`;
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${weekdays[date.getUTCDay()] ?? ''} ${months[date.getUTCMonth()] ?? ''} ${day} ${time} UTC`;
}

/**
 * Gravity's short date, `2006-01-02 15:04`, in UTC: the `Created` column of operation tables.
 * @example formatShortDate(Date.UTC(2020, 4, 27, 21, 27)) // '2020-05-27 21:27'
 */
export function formatShortDate(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`;
}

function isPrintable(char: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char);
}

const goEscapes: Readonly<Record<string, string>> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/**
 * A string as Go's `%q` quotes it: printable characters as they are, the rest escaped.
 * @example goQuote('Drain node "node-1"') // '"Drain node \\"node-1\\""'
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const escape = goEscapes[char];
    if (escape !== undefined) out += escape;
    else if (isPrintable(char)) out += char;
    else {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += `\\U${code.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

function headerLines(columns: readonly string[]): string[] {
  return [columns.join('\t'), columns.map((column) => '-'.repeat(column.length)).join('\t')];
}

interface Row {
  line: string;
  state: PhaseState;
}

function collectRows(phases: readonly Phase[], depth: number, cells: (phase: Phase) => string[], marker: (state: PhaseState) => string, rows: Row[]): Row[] {
  for (const phase of phases) {
    const name = `${'  '.repeat(depth)}${marker(phase.state)} ${terminalLine(lastSegment(phase.id))}`;
    // A cell is one line of the table: a newline, tab or escape sequence in the plan's data is shown, not obeyed.
    rows.push({ line: [name, ...cells(phase).map(terminalLine)].join('\t'), state: phase.state });
    collectRows(phase.phases, depth + 1, cells, marker, rows);
  }
  return rows;
}

function updatedCell(phase: Phase): string {
  return phase.updated === undefined ? '-' : formatHumanDate(phase.updated);
}

/**
 * The first failed leaf, depth first, as Gravity looks for it: only a leaf's failure is stored, so a
 * group failed because of one of its leaves points at that leaf.
 * @example firstFailedPhase(operation.plan)?.id // '/masters/node-1/drain'
 */
export function firstFailedPhase(phase: Phase): Phase | undefined {
  if (phase.phases.length === 0) return phase.state === 'failed' ? phase : undefined;
  for (const child of phase.phases) {
    const failed = firstFailedPhase(child);
    if (failed !== undefined) return failed;
  }
  return undefined;
}

/**
 * What follows the table when a phase has failed: `The <id> phase ("<description>") has failed` and
 * its error on the next line after a tab (each line of a multi-line error indented the same way).
 * Empty when no phase has failed.
 * @example formatFailureFooter(operation, { color: false })
 * // 'The /init/mkdir phase ("Create directories") has failed\n\tmkdir /var/x: permission denied\n'
 */
export function formatFailureFooter(operation: Operation, options: { color: boolean }): string {
  const failed = firstFailedPhase(operation.plan);
  if (failed === undefined) return '';
  const lines = [`The ${failed.id} phase (${goQuote(failed.description)}) has failed`];
  if (failed.error !== undefined && failed.error !== '') lines.push(...failed.error.split('\n').map((line) => `\t${terminalLine(line)}`));
  return lines.map((line) => `${paint(line, ansi.red, options.color)}\n`).join('');
}

function renderTable(header: readonly string[], rows: readonly Row[], color: boolean): string {
  const aligned = tabwrite([...headerLines(header), ...rows.map((row) => row.line)], planTablePadding);
  return aligned
    .map((line, index) => {
      const row = index < 2 ? undefined : rows[index - 2];
      return `${row?.state === 'failed' ? paint(line, ansi.red, color) : line}\n`;
    })
    .join('');
}

/**
 * `gravity plan`: the table `Phase Description State Node Requires Updated`, two spaces of indent per
 * depth, then the first failed phase and its error.
 * @example
 * formatPlanTable(operation, { color: false })
 * // Phase            Description                State         Node     Requires     Updated
 * // -----            -----------                -----         ----     --------     -------
 * // ✓ init           Initialize the operation   Completed     -        -            Wed May 27 21:27 UTC
 * // × mkdir          Create directories         Failed        -        /init        Wed May 27 21:28 UTC
 * // The /mkdir phase ("Create directories") has failed
 * //         mkdir /var/x: permission denied
 */
export function formatPlanTable(operation: Operation, options: PlanTableOptions): string {
  const rows = collectRows(
    operation.plan.phases,
    0,
    (phase) => [
      phase.description,
      phaseStateLabels[phase.state],
      phase.node === undefined || phase.node === '' ? '-' : phase.node,
      phase.requires.length === 0 ? '-' : phase.requires.join(','),
      updatedCell(phase),
    ],
    (state) => phaseMarkers[state],
    [],
  );
  const table = renderTable(['Phase', 'Description', 'State', 'Node', 'Requires', 'Updated'], rows, options.color);
  return table + formatFailureFooter(operation, options);
}

/**
 * `gravity plan --format short`: Phase, State and Updated only (a rolled-back phase marked `×`, as
 * Gravity's short form does), then the failure footer.
 * @example formatPlanShort(operation, { color: false })
 * // Phase       State         Updated
 * // -----       -----         -------
 * // ✓ init      Completed     Wed May 27 21:27 UTC
 */
export function formatPlanShort(operation: Operation, options: PlanTableOptions): string {
  const rows = collectRows(
    operation.plan.phases,
    0,
    (phase) => [phaseStateLabels[phase.state], updatedCell(phase)],
    (state) => (state === 'rolled_back' ? phaseMarkers.failed : phaseMarkers[state]),
    [],
  );
  return renderTable(['Phase', 'State', 'Updated'], rows, options.color) + formatFailureFooter(operation, options);
}

/** A leaf's executor as the JSON and YAML views show it. */
export type ExecutorDocument =
  | {
      kind: 'run';
      argv: string[];
      rollback?: string[];
      env: Record<string, string>;
      working_dir?: string;
      shell: boolean;
      timeout_ms: number;
      retries: number;
      retry_backoff_ms: number;
    }
  | { kind: 'hook'; hook: string }
  | { kind: 'waitHealthy'; timeout_ms: number };

/** One phase in the JSON and YAML views: Gravity's key names, times as RFC 3339 in UTC. */
export interface PhaseDocument {
  id: string;
  description: string;
  state: PhaseState;
  node?: string;
  requires: string[];
  parallel?: number;
  executor?: ExecutorDocument;
  updated?: string;
  error?: string;
  phases: PhaseDocument[];
}

/** The plan in the JSON and YAML views: Gravity's `operation_id`, `operation_type`, `created_at`, `phases`. */
export interface PlanDocument {
  operation_id: string;
  operation_type: OperationType;
  description: string;
  state: OperationState;
  rolled_back?: boolean;
  created_at: string;
  updated: string;
  phases: PhaseDocument[];
}

function executorDocument(executor: PhaseExecutor): ExecutorDocument {
  switch (executor.kind) {
    case 'run':
      return {
        kind: 'run',
        argv: executor.argv,
        ...(executor.rollback === undefined ? {} : { rollback: executor.rollback }),
        env: executor.env,
        ...(executor.workingDir === undefined ? {} : { working_dir: executor.workingDir }),
        shell: executor.shell,
        timeout_ms: executor.timeoutMs,
        retries: executor.retries,
        retry_backoff_ms: executor.retryBackoffMs,
      };
    case 'hook':
      return { kind: 'hook', hook: executor.hook };
    case 'waitHealthy':
      return { kind: 'waitHealthy', timeout_ms: executor.timeoutMs };
  }
}

function phaseDocument(phase: Phase): PhaseDocument {
  return {
    id: phase.id,
    description: phase.description,
    state: phase.state,
    ...(phase.node === undefined ? {} : { node: phase.node }),
    requires: phase.requires,
    ...(phase.parallel === undefined ? {} : { parallel: phase.parallel }),
    ...(phase.executor === undefined ? {} : { executor: executorDocument(phase.executor) }),
    ...(phase.updated === undefined ? {} : { updated: new Date(phase.updated).toISOString() }),
    ...(phase.error === undefined ? {} : { error: phase.error }),
    phases: phase.phases.map(phaseDocument),
  };
}

/**
 * The plan as plain data, as `--format json` and `--format yaml` print it.
 * @example planDocument(operation).phases[0]?.state // 'completed'
 */
export function planDocument(operation: Operation): PlanDocument {
  return {
    operation_id: operation.id,
    operation_type: operation.type,
    description: operation.description,
    state: operation.state,
    ...(operation.rolledBack === true ? { rolled_back: true } : {}),
    created_at: new Date(operation.created).toISOString(),
    updated: new Date(operation.updated).toISOString(),
    phases: operation.plan.phases.map(phaseDocument),
  };
}

/**
 * `gravity plan --format json`: the plan indented by two spaces, ending with a newline.
 * @example JSON.parse(formatPlanJson(operation)).operation_id === operation.id
 */
export function formatPlanJson(operation: Operation): string {
  return `${JSON.stringify(planDocument(operation), null, 2)}\n`;
}

/**
 * `gravity plan --format yaml`: the same document as the JSON, as YAML (long strings never folded).
 * @example parse(formatPlanYaml(operation)).operation_id === operation.id
 */
export function formatPlanYaml(operation: Operation): string {
  return stringify(planDocument(operation), { lineWidth: 0 });
}

/**
 * `gravity plan` in a format.
 * @example output.out(formatPlan(operation, options.format, { color: process.stdout.isTTY }));
 */
export function formatPlan(operation: Operation, format: PlanFormat, options: PlanTableOptions): string {
  switch (format) {
    case 'text':
      return formatPlanTable(operation, options);
    case 'short':
      return formatPlanShort(operation, options);
    case 'json':
      return formatPlanJson(operation);
    case 'yaml':
      return formatPlanYaml(operation);
  }
}

/**
 * One `gravity plan --follow` line (no newline): the change's time, the leaf's 1-based position among
 * the plan's leaves, the phase and its new state.
 * @example formatFollowLine(Date.UTC(2020, 4, 27, 21, 27, 5), 3, 12, '/masters/node-1/drain', 'completed')
 * // 'Wed May 27 21:27:05 UTC\t[  3/ 12] Phase /masters/node-1/drain is completed'
 */
export function formatFollowLine(time: number, position: number, total: number, phaseId: string, state: PhaseState, options: { color?: boolean } = {}): string {
  const stamp = paint(formatHumanDate(time, true), ansi.blue, options.color ?? false);
  return `${stamp}\t[${String(position).padStart(3)}/${String(total).padStart(3)}] Phase ${terminalLine(phaseId)} is ${state}`;
}

/**
 * The line that ends `gravity plan --follow` when the operation has ended well (no newline).
 * @example formatFollowEndLine(Date.UTC(2020, 4, 27, 21, 30), 'completed') // 'Wed May 27 21:30:00 UTC\tOperation plan is completed'
 */
export function formatFollowEndLine(time: number, outcome: 'completed' | 'rolled back', options: { color?: boolean } = {}): string {
  const color = options.color ?? false;
  return `${paint(formatHumanDate(time, true), ansi.blue, color)}\t${paint(`Operation plan is ${outcome}`, ansi.green, color)}`;
}

/**
 * The line `gravity plan --follow` prints when a phase has failed and the operation waits for a resume
 * or a rollback (no newline).
 * @example formatFollowWaitingLine(Date.UTC(2020, 4, 27, 21, 30), 'op-1', '/finish/check')
 * // "Wed May 27 21:30:00 UTC\toperation op-1 is waiting on the failed phase /finish/check: run 'gravity plan resume' or 'gravity rollback'"
 */
export function formatFollowWaitingLine(time: number, operationId: string, phaseId: string, options: { color?: boolean } = {}): string {
  const color = options.color ?? false;
  const text = `operation ${terminalLine(operationId)} is waiting on the failed phase ${terminalLine(phaseId)}: run 'gravity plan resume' or 'gravity rollback'`;
  return `${paint(formatHumanDate(time, true), ansi.blue, color)}\t${paint(text, ansi.red, color)}`;
}

/**
 * An operation type as Gravity names it: `operation_update`.
 * @example gravityOperationType('update') // 'operation_update'
 */
export function gravityOperationType(type: OperationType): string {
  return `operation_${type}`;
}

/**
 * An operation state as Gravity names it: in progress is per type (`update_in_progress`); completed
 * and failed are common to all.
 * @example gravityOperationState('update', 'in_progress') // 'update_in_progress'
 */
export function gravityOperationState(type: OperationType, state: OperationState): string {
  return state === 'in_progress' ? `${type}_in_progress` : state;
}

/** What the operation table shows of an operation. */
export type OperationSummary = Pick<Operation, 'id' | 'type' | 'state' | 'created'>;

/**
 * The `Type ID State Created` table of `gravity rollback`'s confirmation, in Gravity's names.
 * @example formatOperationTable([operation])
 * // Type                 ID                                       State                  Created
 * // ----                 --                                       -----                  -------
 * // operation_update     30c5d94c-1fbc-48eb-a952-a8632d519891     update_in_progress     2020-05-27 21:27
 */
export function formatOperationTable(operations: readonly OperationSummary[]): string {
  const rows = operations.map((operation) =>
    [gravityOperationType(operation.type), operation.id, gravityOperationState(operation.type, operation.state), formatShortDate(operation.created)].join('\t'),
  );
  return tabwrite([...headerLines(['Type', 'ID', 'State', 'Created']), ...rows], planTablePadding)
    .map((line) => `${line}\n`)
    .join('');
}

/** The question `gravity rollback` asks before it starts, the answer typed after it. */
export const rollbackQuestion = 'Proceed? (yes/no): ';

/**
 * The warning `gravity rollback` prints before asking (without `--confirm` or `--dry-run`).
 * @example output.out(formatRollbackWarning(operation)); const answer = await ask(rollbackQuestion);
 */
export function formatRollbackWarning(operation: OperationSummary): string {
  return (
    'You are about to rollback the following operation:\n' +
    formatOperationTable([operation]) +
    '\n' +
    'Consider checking the operation plan and using --dry-run flag first to see which actions will be performed.\n' +
    'You can suppress this warning in future by providing --confirm flag.\n'
  );
}

function where(node: string | undefined, remote: string): string {
  return node === undefined || node === '' ? 'locally' : `${remote} ${terminalLine(node)}`;
}

/**
 * The line printed when a phase's process group from an earlier run (whose runner died) still runs:
 * while it is waited for, and how it ended before the phase runs again.
 * @example formatSurvivorLine('/x', 1234, 'killed') // 'phase /x: killed survivor process group 1234 from an earlier run (SIGKILL after the grace period)'
 */
export function formatSurvivorLine(phaseId: string, pgid: number, what: 'waiting' | SurvivorEnd): string {
  const group = `survivor process group ${pgid} from an earlier run`;
  switch (what) {
    case 'waiting':
      return `phase ${phaseId}: waiting for ${group} to end (onSurvivor: wait)`;
    case 'ended':
      return `phase ${phaseId}: ${group} has ended`;
    case 'terminated':
      return `phase ${phaseId}: killed ${group} (it ended on SIGTERM)`;
    case 'killed':
      return `phase ${phaseId}: killed ${group} (SIGKILL after the grace period)`;
    case 'survived':
      return `phase ${phaseId}: ${group} is still alive after SIGKILL`;
  }
}

/**
 * The line printed as a phase starts to roll back (no newline); `[DRY-RUN] ` first when nothing is done.
 * @example formatRollbackLine('/masters/node-2/health', 'node-2', false) // 'Rolling back "/masters/node-2/health" on node node-2'
 */
export function formatRollbackLine(phaseId: string, node: string | undefined, dryRun: boolean): string {
  return `${dryRun ? '[DRY-RUN] ' : ''}Rolling back ${goQuote(phaseId)} ${where(node, 'on node')}`;
}

/**
 * The line printed as a leaf starts to execute (no newline).
 * @example formatExecuteLine('/init/mkdir', undefined) // 'Executing "/init/mkdir" locally'
 */
export function formatExecuteLine(phaseId: string, node: string | undefined): string {
  return `Executing ${goQuote(phaseId)} ${where(node, 'on remote node')}`;
}

/**
 * A duration for progress lines: `350ms`, `1.2s` (tenths under 10 s), `42s`, `2m13s`, `1h02m`.
 * Truncated, never rounded up, so a phase is never shown as having run longer than it did.
 * @example formatElapsed(1234) // '1.2s'
 */
export function formatElapsed(ms: number): string {
  const value = Math.max(0, Math.floor(ms));
  if (value < 1000) return `${value}ms`;
  const tenths = Math.floor(value / 100);
  if (tenths < 100) return `${Math.floor(tenths / 10)}.${tenths % 10}s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${two(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}h${two(minutes % 60)}m`;
}

/** Whether a phase was being executed or rolled back. */
export type PhaseAction = 'execute' | 'rollback';

/**
 * The line printed when a phase has finished well (no newline).
 * @example formatFinishedLine('execute', '/init/mkdir', 1234) // 'Completed "/init/mkdir" in 1.2s'
 */
export function formatFinishedLine(action: PhaseAction, phaseId: string, elapsedMs?: number): string {
  const took = elapsedMs === undefined ? '' : ` in ${formatElapsed(elapsedMs)}`;
  return `${action === 'execute' ? 'Completed' : 'Rolled back'} ${goQuote(phaseId)}${took}`;
}

/**
 * The line printed when a phase has failed (no newline); a multi-line error keeps its first line.
 * @example formatFailedLine('execute', '/init/mkdir', 1234, 'permission denied') // 'Failed "/init/mkdir" after 1.2s: permission denied'
 */
export function formatFailedLine(action: PhaseAction, phaseId: string, elapsedMs: number | undefined, error: string): string {
  const took = elapsedMs === undefined ? '' : ` after ${formatElapsed(elapsedMs)}`;
  const head = action === 'execute' ? `Failed ${goQuote(phaseId)}` : `Rollback of ${goQuote(phaseId)} failed`;
  const message = terminalLine(error.split('\n', 1)[0] ?? '');
  return `${head}${took}${message === '' ? '' : `: ${message}`}`;
}
