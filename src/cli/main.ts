#!/usr/bin/env node
// The `gravity` executable: runs the program and turns whatever fails into one rendered error and an
// exit code (see render-error.ts and docs/errors.md). Nothing else happens here.

import { makeProgram, processOutput } from './program.ts';
import { renderError } from './render-error.ts';

const program = makeProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  // --debug may not have been parsed yet when the command line itself was wrong.
  const debug = program.opts<{ debug?: boolean }>().debug === true || process.argv.includes('--debug');
  const { text, exitCode } = renderError(error, { debug });
  // Through the program's output, like everything else it prints: a message may quote remote data.
  if (text !== '') processOutput.err(text);
  process.exitCode = exitCode;
}
