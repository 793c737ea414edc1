// Starting a command only once its caller has recorded it. A plan phase's command must be on disk
// (its process group and start time) before it does anything, so that whoever runs the plan next can
// find it if the process that started it dies. A pid exists only once the process does, so the
// command is started behind a gate: `sh` reads one line from a pipe and only then `exec`s the command
// (same pid, same process group, same start time). The caller writes the line after recording the
// pid; if the caller dies first, the pipe closes unanswered and the gate exits without running
// anything. Since the gate hides the program from spawn, the program is looked up here first, so
// that a missing or non-executable program fails as it would without a gate.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The line that opens the gate. */
export const gateOpenLine = 'go\n';

/** Exit code of a gate that was never opened (its caller died before it recorded the command). */
export const gateClosedExitCode = 125;

const gateScript = `IFS= read -r gate || exit ${gateClosedExitCode}; [ "$gate" = go ] || exit ${gateClosedExitCode}; exec "$@"`;

/**
 * The program and arguments that run `argv` behind the gate: `sh -c SCRIPT gravity-gate ...argv`.
 * @example spawn(...gatedCommand(['sleep', '5'])) // sleeps once 'go\n' is written to its stdin
 */
export function gatedCommand(argv: readonly string[]): [string, string[]] {
  return ['/bin/sh', ['-c', gateScript, 'gravity-gate', ...argv]];
}

function executableFile(path: string): 'ok' | 'ENOENT' | 'EACCES' {
  try {
    if (!statSync(path).isFile()) return 'EACCES';
  } catch {
    return 'ENOENT';
  }
  try {
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'EACCES';
  }
}

/**
 * Whether `program` can be run as spawn would find it: a path (with a `/`) relative to `cwd`, else a
 * name looked up in `PATH` (of the environment the command gets). Returns the errno spawn would
 * give when it cannot: ENOENT (nowhere) or EACCES (found, not executable).
 * @example findProgram('sh', process.env.PATH, undefined) // 'ok'
 */
export function findProgram(program: string, path: string | undefined, cwd: string | undefined): 'ok' | 'ENOENT' | 'EACCES' {
  const base = cwd ?? process.cwd();
  if (program.includes('/')) return executableFile(isAbsolute(program) ? program : resolve(base, program));
  let denied = false;
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const found = executableFile(join(resolve(base, dir === '' ? '.' : dir), program));
    if (found === 'ok') return 'ok';
    if (found === 'EACCES') denied = true;
  }
  return denied ? 'EACCES' : 'ENOENT';
}
