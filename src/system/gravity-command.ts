// How to run this very gravity again from somewhere else (a systemd unit, a transient unit, a detached
// process): the absolute node binary, the TypeScript loader when gravity runs from its sources, and the
// CLI's main script. Paths are absolute and nothing depends on the working directory or on PATH, since
// systemd looks nothing up and a detached process starts in `/`.

import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GravityError } from '../errors.ts';

export interface GravityCommandSource {
  /** The node binary (process.execPath). */
  execPath: string;
  /** The URL of a module next to the CLI (this file's import.meta.url). */
  moduleUrl: string;
}

const here: GravityCommandSource = { execPath: process.execPath, moduleUrl: import.meta.url };

/**
 * `[node, ...loader, main]`: run from the built JavaScript (dist/src/cli/main.js) it is node and that
 * script; run from the sources (src/cli/main.ts) it adds `--import <tsx's loader>`, by absolute path.
 * @example gravityCommand() // ['/usr/bin/node', '/opt/gravity/dist/src/cli/main.js']
 */
export function gravityCommand(source: GravityCommandSource = here): string[] {
  const fromSources = source.moduleUrl.endsWith('.ts');
  const main = fileURLToPath(new URL(`../cli/main.${fromSources ? 'ts' : 'js'}`, source.moduleUrl));
  if (!existsSync(main)) {
    throw new GravityError('E_INTERNAL', `cannot find gravity's main script at ${main}`);
  }
  const node = source.execPath;
  if (!fromSources) return [node, realpathSync(main)];
  const loader = createRequire(source.moduleUrl).resolve('tsx');
  return [node, '--import', loader, realpathSync(main)];
}
