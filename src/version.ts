// The version gravity reports (`gravity --version`, the agent's ping), read from package.json so
// there is one place to bump it. The file is found by walking up from this module, which works both
// from src/ under tsx and from dist/src/ when compiled.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (parsed.name === 'gravity-ts' && typeof parsed.version === 'string') return parsed.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json of gravity-ts not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/**
 * @example console.log(`gravity ${gravityVersion()}`);
 */
export function gravityVersion(): string {
  cached ??= readPackageVersion();
  return cached;
}
