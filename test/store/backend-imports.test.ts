// Only src/store/ knows the store's backends: every other module opens its store through openStore
// and sees the `Store` interface, so that a second backend changes nothing outside src/store/. This
// scans the sources for imports of a backend module (store/sqlite*, store/etcd/*) or of its driver
// (better-sqlite3, etcd3 and the fault-handling library it is configured with).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { repoRoot } from '../cli/run-cli.ts';

const sourceExtensions = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Every module specifier a source imports, re-exports or loads (static, dynamic or require). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
}

const drivers = ['better-sqlite3', 'etcd3', 'cockatiel'];

function isBackendModule(specifier: string): boolean {
  if (drivers.some((driver) => specifier === driver || specifier.startsWith(`${driver}/`))) return true;
  return /(^|\/)store\/sqlite[^/]*$/.test(specifier) || /(^|\/)store\/etcd(\/|$)/.test(specifier);
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') files.push(...sourceFiles(path));
    } else if (sourceExtensions.some((extension) => entry.name.endsWith(extension))) {
      files.push(path);
    }
  }
  return files;
}

describe('store backends stay in src/store/', () => {
  it('no module outside src/store/ imports a store backend or its driver', () => {
    const srcDir = join(repoRoot, 'src');
    const storeDir = join(srcDir, 'store') + sep;
    const offenders: string[] = [];
    for (const file of sourceFiles(srcDir)) {
      if (file.startsWith(storeDir)) continue;
      const imported = specifiers(readFileSync(file, 'utf8')).filter(isBackendModule);
      if (imported.length > 0) offenders.push(`${relative(repoRoot, file)} (${imported.join(', ')})`);
    }
    assert.deepEqual(offenders, [], `these modules import a store backend; open the store through src/store/index.ts instead:\n  ${offenders.join('\n  ')}`);
  });

  it('recognizes a backend import in every form it can take', () => {
    const text = [
      "import { openSqliteStore } from '../store/sqlite.ts';",
      "import type { Guard } from '../store/sqlite-operations.ts';",
      "import Database from 'better-sqlite3';",
      "const m = await import('./store/sqlite-users.ts');",
      "export { storePath } from '../../store/sqlite.ts';",
      "import { openStore } from '../store/index.ts';",
      "import { openEtcdStore } from '../store/etcd/store.ts';",
      "import { Etcd3 } from 'etcd3';",
      "import type { IPolicy } from 'cockatiel';",
    ].join('\n');
    assert.deepEqual(specifiers(text).filter(isBackendModule), [
      '../store/sqlite.ts',
      '../store/sqlite-operations.ts',
      'better-sqlite3',
      '../../store/sqlite.ts',
      '../store/etcd/store.ts',
      'etcd3',
      'cockatiel',
      './store/sqlite-users.ts',
    ]);
  });
});
