// The `command` checker: a program run without a shell exits 0 (Consul's script check, Nagios-style
// plugins, an application's own health script). Its output (stdout and stderr, the last 4 KiB) goes
// into the error on failure; at the probe's deadline its whole process group is killed, so a hanging
// check leaves nothing behind.

import { runProcess } from '../actors/run-process.ts';
import { oneLine } from './support/describe-error.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const commandCheckerId = 'command';

export interface CommandConfig {
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
}

/** Output kept for the error, as Consul truncates check output at 4 KB. */
export const commandMaxOutputBytes = 4096;

/** The command as an operator would type it (arguments quoted where needed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * @example probes: [{ checker: command, name: app, argv: ['/usr/local/bin/app-health', '--quick'], timeout: 5s }]
 */
export const commandChecker: Checker<CommandConfig> = {
  id: commandCheckerId,
  description: 'a command (argv, no shell) exits 0; its output is kept to 4 KiB and its process group is killed at the deadline',
  keys: ['argv', 'env', 'workingDir'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const argv = keys.list('argv', { required: true, what: 'a list: the program and its arguments, e.g. [/usr/bin/test, -f, /run/app.pid]' }, (value, elementAt) =>
      typeof value === 'string' && !value.includes('\0') && (value !== '' || elementAt !== 'argv[0]')
        ? value
        : keys.wrongElement(elementAt, elementAt === 'argv[0]' ? 'the program to run (a non-empty string)' : 'a string', value),
    );
    const env: Record<string, string> = {};
    let envOk = true;
    if (raw.env !== undefined) {
      if (typeof raw.env !== 'object' || raw.env === null || Array.isArray(raw.env)) {
        keys.problem('env', `must be a mapping of variable names to strings, got ${JSON.stringify(raw.env)}`);
        envOk = false;
      } else {
        for (const [name, value] of Object.entries(raw.env as Record<string, unknown>)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== 'string') {
            keys.problem(`env.${name}`, `must be a variable name (letters, digits, _) with a string value, got ${JSON.stringify(value)}`);
            envOk = false;
          } else env[name] = value;
        }
      }
    }
    const workingDir = keys.string('workingDir', { what: 'a directory path' });
    if (argv === undefined || !envOk || (keys.has('workingDir') && workingDir === undefined)) return undefined;
    return { argv, env, ...(workingDir === undefined ? {} : { workingDir }) };
  },
  async check(config: CommandConfig, context: CheckContext): Promise<CheckResult> {
    const outcome = await runProcess({
      argv: config.argv,
      env: config.env,
      ...(config.workingDir === undefined ? {} : { cwd: config.workingDir }),
      timeoutMs: context.timeoutMs,
      signal: context.signal,
      maxOutputBytes: commandMaxOutputBytes,
    });
    if (outcome.error !== undefined) return { status: 'failed', error: outcome.error };
    const command = formatArgv(config.argv);
    const output = oneLine(outcome.output);
    const suffix = output === '' ? '' : `: ${output}`;
    if (outcome.timedOut || outcome.aborted) {
      return { status: 'failed', error: `${command} timed out after ${context.timeoutMs}ms and its process group was killed${suffix}` };
    }
    if (outcome.exitCode === 0) return { status: 'running' };
    if (outcome.exitCode === null) return { status: 'failed', error: `${command} was killed by ${outcome.signal ?? 'a signal'}${suffix}` };
    return { status: 'failed', error: `${command} exited with code ${outcome.exitCode}${suffix}` };
  },
};
