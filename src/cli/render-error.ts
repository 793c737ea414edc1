// How the CLI reports an error that ends a command: a user's mistake is one line, its details and a
// hint, never a stack trace; a fault of gravity says so and shows its stack only with --debug. The
// exit code comes from the error catalogue, and commander's own usage errors exit 2.

import { CommanderError } from 'commander';
import { ExitCode, isGravityError } from '../errors.ts';

export interface RenderOptions {
  /** `--debug`: add stack traces and causes. */
  debug: boolean;
}

export interface RenderedError {
  /** What to write to stderr (empty when commander has already written it). */
  text: string;
  exitCode: number;
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error && error.stack !== undefined ? error.stack : undefined;
}

function causeChain(error: unknown): string[] {
  const lines: string[] = [];
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    lines.push(`caused by: ${stackOf(cause) ?? JSON.stringify(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines;
}

/**
 * Turns an error into the text and exit code the CLI ends with.
 * @example const { text, exitCode } = renderError(error, { debug: false }); process.stderr.write(text); process.exitCode = exitCode;
 */
export function renderError(error: unknown, options: RenderOptions): RenderedError {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already; only the exit code is ours.
    return { text: '', exitCode: error.exitCode === 0 ? ExitCode.ok : ExitCode.usage };
  }
  const lines: string[] = [];
  let exitCode: number;
  if (isGravityError(error)) {
    lines.push(`error: ${error.message}`);
    for (const detail of error.details) lines.push(`  ${detail}`);
    if (error.hint !== undefined) lines.push(`hint: ${error.hint}`);
    else if (!error.userError && !options.debug) lines.push('hint: run again with --debug to see where it failed');
    exitCode = error.exitCode;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`error: internal error: ${message}`);
    if (!options.debug) lines.push('hint: run again with --debug to see where it failed');
    exitCode = ExitCode.internal;
  }
  if (options.debug) {
    const stack = stackOf(error);
    if (stack !== undefined) lines.push(stack);
    lines.push(...causeChain(error));
  }
  return { text: `${lines.join('\n')}\n`, exitCode };
}
