// What an operator sees while `plan execute`, `plan resume` and `rollback` run: which phase runs, for
// how long, and which have finished. A phase can take minutes, and a silent terminal looks hung. On a
// terminal a one-line ticker under the finished phases is redrawn in place (at most every 100 ms, so
// a plan of a thousand quick phases does not flood the terminal); when the output is a file or a pipe
// only whole lines are written, with a reminder every so often that a long phase still runs; with
// --quiet nothing. The clock is injected so that tests drive time with fake timers.

import type { Clock, TimerHandle } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { formatElapsed, formatExecuteLine, formatFailedLine, formatFinishedLine, formatRollbackLine } from './format-plan.ts';
import type { PhaseAction } from './format-plan.ts';
import { terminalText } from './terminal-text.ts';

/** Where progress goes: process.stdout, or anything with `write` (and `columns` when it is a terminal). */
export interface ProgressStream {
  write(text: string): unknown;
  /** The terminal's width; the ticker is cut to fit so that it never wraps. */
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** A terminal: a ticker redrawn in place. Otherwise whole lines only. */
  tty: boolean;
  /** `--quiet`: nothing at all. */
  quiet?: boolean;
  clock?: Clock;
  /** Red for failures (a terminal that takes colours). */
  color?: boolean;
  /** How many leaves the run will touch, for a `[3/12]` count in the ticker. */
  total?: number;
  /** The ticker's redraw period, ms; never less than 100. */
  redrawMs?: number;
  /** Without a terminal: how often a phase that still runs is reported, ms. */
  stillRunningMs?: number;
}

/** A phase that starts to execute or to roll back. */
export interface PhaseStart {
  phaseId: string;
  /** The node it runs on; none = locally. */
  node?: string;
  /** Default: execute. */
  action?: PhaseAction;
  /** A dry-run rollback: the line is printed, nothing runs. */
  dryRun?: boolean;
}

export interface ProgressReporter {
  phaseStarted(start: PhaseStart): void;
  phaseCompleted(phaseId: string): void;
  phaseFailed(phaseId: string, error: string): void;
  /** Any other line, kept above the ticker. */
  print(line: string): void;
  /** Clears the ticker and stops every timer; later calls do nothing. */
  stop(): void;
}

/** The shortest time between two redraws of the ticker. */
export const minRedrawMs = 100;
/** Without a terminal, a phase still running is reported this often. */
export const defaultStillRunningMs = 10_000;

const clearLine = '\r\u001b[2K';
const red = '\u001b[31m';
const reset = '\u001b[0m';

interface Running {
  action: PhaseAction;
  startLine: string;
  started: number;
  stillTimer?: TimerHandle;
}

const quietReporter: ProgressReporter = {
  phaseStarted: () => undefined,
  phaseCompleted: () => undefined,
  phaseFailed: () => undefined,
  print: () => undefined,
  stop: () => undefined,
};

function cut(text: string, columns: number | undefined): string {
  if (columns === undefined || columns <= 1) return text;
  const chars = [...text];
  // One column short of the width: a line that fills the terminal exactly wraps on some terminals.
  return chars.length < columns ? text : `${chars.slice(0, columns - 2).join('')}…`;
}

function tickerElapsed(ms: number): string {
  return ms < 60_000 ? `${(Math.floor(ms / 100) / 10).toFixed(1)}s` : formatElapsed(ms);
}

class ConsoleProgress implements ProgressReporter {
  private readonly running = new Map<string, Running>();
  private readonly clock: Clock;
  private readonly redrawMs: number;
  private readonly stillRunningMs: number;
  private finished = 0;
  private ticker = '';
  private redrawTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressOptions) {
    this.clock = options.clock ?? systemClock;
    this.redrawMs = Math.max(minRedrawMs, options.redrawMs ?? minRedrawMs);
    this.stillRunningMs = options.stillRunningMs ?? defaultStillRunningMs;
  }

  phaseStarted(start: PhaseStart): void {
    if (this.stopped) return;
    const action = start.action ?? 'execute';
    const startLine = action === 'rollback' ? formatRollbackLine(start.phaseId, start.node, start.dryRun ?? false) : formatExecuteLine(start.phaseId, start.node);
    this.line(startLine);
    if (start.dryRun === true) return;
    this.clearStillTimer(this.running.get(start.phaseId));
    const run: Running = { action, startLine, started: this.clock.monotonic() };
    this.running.set(start.phaseId, run);
    if (this.options.tty) this.armRedraw();
    else this.armStillTimer(start.phaseId, run);
  }

  phaseCompleted(phaseId: string): void {
    if (this.stopped) return;
    const run = this.end(phaseId);
    this.line(formatFinishedLine(run?.action ?? 'execute', phaseId, run === undefined ? undefined : this.clock.monotonic() - run.started));
  }

  phaseFailed(phaseId: string, error: string): void {
    if (this.stopped) return;
    const run = this.end(phaseId);
    const text = formatFailedLine(run?.action ?? 'execute', phaseId, run === undefined ? undefined : this.clock.monotonic() - run.started, error);
    this.line(this.options.color === true ? `${red}${text}${reset}` : text);
  }

  print(line: string): void {
    // A line may quote a phase's message; on a terminal the stream lets styling through, so escape here.
    if (!this.stopped) this.line(terminalText(line));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.redrawTimer !== undefined) this.clock.clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    for (const run of this.running.values()) this.clearStillTimer(run);
    this.running.clear();
    this.eraseTicker();
  }

  private end(phaseId: string): Running | undefined {
    const run = this.running.get(phaseId);
    if (run === undefined) return undefined;
    this.running.delete(phaseId);
    this.clearStillTimer(run);
    this.finished += 1;
    return run;
  }

  /** A whole line. The ticker, if shown, is erased first and comes back at the next redraw. */
  private line(text: string): void {
    this.eraseTicker();
    this.options.stream.write(`${text}\n`);
  }

  private eraseTicker(): void {
    if (this.ticker === '') return;
    this.options.stream.write(clearLine);
    this.ticker = '';
  }

  private armRedraw(): void {
    if (this.redrawTimer !== undefined) return;
    this.redrawTimer = this.clock.setTimeout(() => this.redraw(), this.redrawMs);
  }

  private redraw(): void {
    this.redrawTimer = undefined;
    if (this.stopped) return;
    if (this.running.size === 0) {
      // Nothing runs: no ticker, and no timer to keep the process alive.
      this.eraseTicker();
      return;
    }
    const text = cut(this.tickerText(), this.options.stream.columns);
    if (text !== this.ticker) {
      this.options.stream.write(`${clearLine}${text}`);
      this.ticker = text;
    }
    this.armRedraw();
  }

  private tickerText(): string {
    const now = this.clock.monotonic();
    const total = this.options.total;
    const count = total === undefined ? '' : `[${String(this.finished).padStart(String(total).length)}/${total}] `;
    const runs = [...this.running.entries()];
    const first = runs[0];
    if (runs.length === 1 && first !== undefined) return `${count}→ ${first[1].startLine} (${tickerElapsed(now - first[1].started)})`;
    const list = runs.map(([phaseId, run]) => `${phaseId} (${tickerElapsed(now - run.started)})`).join(', ');
    return `${count}→ ${runs.length} phases running: ${list}`;
  }

  private armStillTimer(phaseId: string, run: Running): void {
    run.stillTimer = this.clock.setTimeout(() => {
      if (this.stopped || this.running.get(phaseId) !== run) return;
      const elapsed = formatElapsed(this.clock.monotonic() - run.started);
      this.line(`\tStill ${run.startLine.charAt(0).toLowerCase()}${run.startLine.slice(1)} (${elapsed} elapsed)`);
      this.armStillTimer(phaseId, run);
    }, this.stillRunningMs);
  }

  private clearStillTimer(run: Running | undefined): void {
    if (run?.stillTimer === undefined) return;
    this.clock.clearTimeout(run.stillTimer);
    run.stillTimer = undefined;
  }
}

/**
 * A progress reporter for a run of phases.
 * @example
 * const progress = createProgress({ stream: process.stdout, tty: process.stdout.isTTY, quiet: options.quiet });
 * progress.phaseStarted({ phaseId: '/init/mkdir' }); // Executing "/init/mkdir" locally
 * progress.phaseCompleted('/init/mkdir');           // Completed "/init/mkdir" in 1.2s
 * progress.stop();
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  return options.quiet === true ? quietReporter : new ConsoleProgress(options);
}
