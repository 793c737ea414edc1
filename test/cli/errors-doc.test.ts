// docs/errors.md is the user's reference for error codes: it must list every code of the catalogue
// with the exit code the CLI uses for it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorCatalogue } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';

describe('docs/errors.md', () => {
  it('lists every catalogue code with its exit code and kind', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      const { exitCode, kind } = errorCatalogue[code];
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row !== undefined, `${code} is missing from docs/errors.md`);
      const cells = row.split('|').map((cell) => cell.trim());
      assert.equal(cells[2], String(exitCode), `${code}: exit code`);
      assert.equal(cells[3], kind, `${code}: kind`);
    }
  });
});
