// The diagrams in the docs are drawn by the real Mermaid CLI (with Debian's chromium), so that a
// diagram that no longer parses fails the build instead of showing an error box to the reader.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const docs = ['docs/architecture.md', 'README.md'].filter((file) => readFileSync(join(repoRoot, file), 'utf8').includes('```mermaid'));

describe('docs: Mermaid diagrams', function () {
  this.timeout(180_000);
  for (const file of docs) {
    it(`every diagram in ${file} renders`, function () {
      const mmdc = join(repoRoot, 'node_modules', '.bin', 'mmdc');
      const puppeteerConfig = join(repoRoot, 'scripts', 'mermaid', 'puppeteer-config.json');
      const { executablePath } = JSON.parse(readFileSync(puppeteerConfig, 'utf8')) as { executablePath: string };
      if (!existsSync(mmdc) || !existsSync(executablePath)) {
        console.log(`      (skipped: needs ${mmdc} and ${executablePath}; apt-get install chromium)`);
        this.skip();
      }
      const expected = readFileSync(join(repoRoot, file), 'utf8').split('```mermaid').length - 1;
      const dir = mkdtempSync(join(tmpdir(), 'gravity-docs-mermaid-'));
      try {
        mkdirSync(join(dir, 'out'));
        const result = spawnSync(
          mmdc,
          ['--quiet', '--puppeteerConfigFile', puppeteerConfig, '--input', join(repoRoot, file), '--output', join(dir, 'out', 'doc.md')],
          { encoding: 'utf8', timeout: 170_000 },
        );
        assert.equal(result.status, 0, `mmdc failed on ${file}: ${result.stderr}${result.stdout}`);
        const svgs = readdirSync(join(dir, 'out')).filter((name) => name.endsWith('.svg'));
        assert.equal(svgs.length, expected, `one drawing per diagram in ${file}`);
        for (const svg of svgs) assert.doesNotMatch(readFileSync(join(dir, 'out', svg), 'utf8'), /Syntax error/i);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
