// The diagrams in the docs are drawn by the real Mermaid CLI (with Debian's chromium), so that a
// diagram that no longer parses fails the build instead of showing an error box to the reader.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cli/run-cli.ts';
import { drawMermaidMarkdown, mermaidCliMissing } from '../helpers/mermaid-cli.ts';

const docs = ['docs/architecture.md', 'README.md'].filter((file) => readFileSync(join(repoRoot, file), 'utf8').includes('```mermaid'));

describe('docs: Mermaid diagrams', function () {
  this.timeout(180_000);
  for (const file of docs) {
    it(`every diagram in ${file} renders`, function () {
      const missing = mermaidCliMissing();
      if (missing !== undefined) {
        console.log(`      (skipped: ${missing})`);
        this.skip();
      }
      const expected = readFileSync(join(repoRoot, file), 'utf8').split('```mermaid').length - 1;
      const svgs = drawMermaidMarkdown(join(repoRoot, file), 'doc');
      assert.equal(svgs.size, expected, `one drawing per diagram in ${file}`);
      for (const svg of svgs.values()) assert.doesNotMatch(svg, /Syntax error/i);
    });
  }
});
