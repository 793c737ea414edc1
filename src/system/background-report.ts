// What `--no-block` prints once the operation runs in the background: where it runs (a pid or a
// transient unit), where its output goes, and the commands that follow it (`gravity plan --follow`,
// and `journalctl -u <unit> -f` under systemd), as text for people or JSON for scripts.

import type { BackgroundStart } from './background-operation.ts';

/** What `--no-block --format json` prints. */
export interface BackgroundReportJson {
  operation: string;
  via: 'systemd' | 'detached';
  pid: number | null;
  unit: string | null;
  log: string | null;
  /** The command that follows the operation to its end. */
  follow: string;
  /** The command that follows its output (systemd only). */
  journal: string | null;
  /** Set when the operation had already ended when the command returned. */
  exitCode: number | null;
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * @example backgroundReport(started, 'a1b2', ['--state-dir', './state'])
 */
export function backgroundReport(started: BackgroundStart, operationId: string, locationArgs: readonly string[]): BackgroundReportJson {
  const follow = ['gravity', 'plan', '--follow', '--operation-id', operationId, ...locationArgs].map(shellWord).join(' ');
  if (started.via === 'systemd') {
    const name = started.unit.replace(/\.service$/, '');
    return { operation: operationId, via: 'systemd', pid: null, unit: started.unit, log: null, follow, journal: `journalctl -u ${name} -f`, exitCode: null };
  }
  return {
    operation: operationId,
    via: 'detached',
    pid: started.pid,
    unit: null,
    log: started.logFile,
    follow,
    journal: null,
    exitCode: started.exitCode ?? null,
  };
}

/** The report as lines for a person. */
export function formatBackgroundReport(report: BackgroundReportJson): string {
  const lines: string[] = [];
  if (report.exitCode === 0) {
    lines.push(`operation ${report.operation} ran in the background and has already ended`);
  } else if (report.via === 'systemd') {
    lines.push(`operation ${report.operation} runs in the background as ${report.unit ?? ''}`);
  } else {
    lines.push(`operation ${report.operation} runs in the background (pid ${report.pid ?? '?'})`);
  }
  if (report.log !== null) lines.push(`log:     ${report.log}`);
  lines.push(`follow:  ${report.follow}`);
  if (report.journal !== null) lines.push(`journal: ${report.journal}`);
  return lines.map((line) => `${line}\n`).join('');
}
