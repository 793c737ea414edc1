// systemd unit files as data: sections of key/value settings rendered to the ini text systemd reads,
// with command lines quoted and `%` specifiers and `$` variables escaped the way systemd.service(5)
// and systemd.unit(5) say, so that a path with a space or a percent sign means what it says. Pure:
// the agent's unit and the transient units of background operations are both built from it.

import { GravityError } from '../errors.ts';

export interface UnitSection {
  name: 'Unit' | 'Service' | 'Install';
  /** Settings in order; a key may repeat. */
  settings: readonly (readonly [key: string, value: string])[];
}

/** Characters an ExecStart argument may hold unquoted (besides `%` and `$`, which are escaped). */
const plainArgument = /^[A-Za-z0-9_@%$+=:,./-]+$/;

/** Refuses what no unit file can hold: line breaks and other control characters. */
function assertPrintable(value: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new GravityError('E_USAGE', `${what} ${JSON.stringify(value)} holds a control character, which a systemd unit cannot hold`, {
      hint: 'use paths without line breaks or control characters',
    });
  }
}

/** `%` starts a specifier in almost every setting: `%%` is a literal percent sign. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

/**
 * One argument of ExecStart: as is when plain, else double-quoted with C-style escapes; `%` and `$`
 * are doubled so that systemd expands neither.
 * @example quoteExecArgument('/opt/my app/main.js') // '"/opt/my app/main.js"'
 */
export function quoteExecArgument(argument: string): string {
  assertPrintable(argument, 'the argument');
  const escaped = escapeSpecifiers(argument).replace(/\$/g, '$$$$');
  if (plainArgument.test(argument)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A command line for ExecStart: the first word must be an absolute path (systemd looks nothing up).
 * @example execCommandLine(['/usr/bin/node', '/opt/gravity/main.js', 'start']) // '/usr/bin/node /opt/gravity/main.js start'
 */
export function execCommandLine(argv: readonly string[]): string {
  const [program] = argv;
  if (program === undefined || !program.startsWith('/')) {
    throw new GravityError('E_USAGE', `a unit's command must start with an absolute path, got ${JSON.stringify(program ?? '')}`);
  }
  return argv.map(quoteExecArgument).join(' ');
}

/**
 * A path for settings such as ReadWritePaths= or StateDirectory=, which are space-separated lists:
 * whitespace and quotes are refused rather than guessed at.
 * @example unitPath('/var/lib/gravity', 'the state dir') // '/var/lib/gravity'
 */
export function unitPath(path: string, what: string): string {
  assertPrintable(path, what);
  if (/[\s"'\\]/.test(path)) {
    throw new GravityError('E_USAGE', `${what} ${JSON.stringify(path)} holds whitespace, a quote or a backslash, which this systemd setting cannot hold`, {
      hint: 'use a path without spaces, quotes or backslashes',
    });
  }
  return escapeSpecifiers(path);
}

/**
 * The unit file's text: an optional leading comment, then each section with its settings.
 * @example renderUnit([{ name: 'Service', settings: [['Type', 'exec'], ['ExecStart', '/bin/true']] }])
 */
export function renderUnit(sections: readonly UnitSection[], comment: readonly string[] = []): string {
  const blocks: string[] = [];
  if (comment.length > 0) blocks.push(comment.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n'));
  for (const section of sections) {
    const lines = [`[${section.name}]`];
    for (const [key, value] of section.settings) {
      assertPrintable(value, `the value of ${key}=`);
      lines.push(`${key}=${value}`);
    }
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
