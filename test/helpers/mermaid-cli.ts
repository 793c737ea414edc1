// The real Mermaid CLI (mmdc, driving Debian's chromium) for the tests that check diagrams render:
// the docs' diagrams and every machine's exported chart. Runs mmdc over a Markdown file and hands
// back the SVG drawings it wrote, one per diagram.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cli/run-cli.ts';

const mmdc = join(repoRoot, 'node_modules', '.bin', 'mmdc');
const puppeteerConfig = join(repoRoot, 'scripts', 'mermaid', 'puppeteer-config.json');

/** Why mmdc cannot run here, or undefined when it can. */
export function mermaidCliMissing(): string | undefined {
  const { executablePath } = JSON.parse(readFileSync(puppeteerConfig, 'utf8')) as { executablePath: string };
  return existsSync(mmdc) && existsSync(executablePath) ? undefined : `needs ${mmdc} and ${executablePath}; apt-get install chromium`;
}

/**
 * Draws every Mermaid block of the Markdown file `input`; asserts mmdc succeeded and returns the
 * drawings by file name (`<name>-1.svg`, `<name>-2.svg`, ... in the order of the blocks).
 */
export function drawMermaidMarkdown(input: string, name: string): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-mermaid-'));
  try {
    mkdirSync(join(dir, 'out'));
    const result = spawnSync(mmdc, ['--quiet', '--puppeteerConfigFile', puppeteerConfig, '--input', input, '--output', join(dir, 'out', `${name}.md`)], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(result.status, 0, `mmdc failed on ${input}: ${result.stderr}${result.stdout}`);
    const svgs = readdirSync(join(dir, 'out')).filter((file) => file.endsWith('.svg'));
    return new Map(svgs.map((file) => [file, readFileSync(join(dir, 'out', file), 'utf8')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
