// The README's first command is what a new node runs, as root, on a fresh Debian machine: it has to
// fetch the package lists, install what `npm ci` needs to build the native modules (better-sqlite3,
// unix-dgram) and what the agent needs, build, and leave `gravity` on PATH before it starts the agent.
// CI runs its install part for real (.ci/run); this test keeps its shape.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cli/run-cli.ts';

const script = join(repoRoot, 'scripts/readme/first-command.mjs');
const run = (...args: string[]): string => execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' }).trim();

describe("docs: the README's first command", () => {
  let full = '';
  let install = '';
  let steps: string[] = [];
  before(() => {
    full = run('--full');
    install = run();
    steps = full.split(' && ');
  });

  it('is its install part followed by the agent started in the foreground', () => {
    assert.equal(full, `${install} && gravity start`);
  });

  it('fetches the package lists, then installs g++, make, python3 and openssl in one apt-get install', () => {
    assert.equal(steps[0], 'apt-get update');
    const apt = steps[1]?.split(/\s+/) ?? [];
    assert.deepEqual(apt.slice(0, 3), ['apt-get', 'install', '-y']);
    for (const name of ['g++', 'make', 'python3', 'openssl']) assert.ok(apt.includes(name), `apt-get install names ${name}`);
  });

  it('installs from the lock file, builds, then links the gravity command before starting it', () => {
    assert.deepEqual(steps.slice(2), ['npm ci', 'npm run build', 'npm link', 'gravity start']);
  });

  // Whether dist/ is executable now depends on who built it last (a plain tsc leaves it 0644); CI runs
  // the README's install part and then `gravity --version` from PATH, which is the real check of it.
  it('links a bin whose file starts with a node shebang, and the build makes it executable', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(pkg.bin.gravity, 'dist/src/cli/main.js');
    assert.match(readFileSync(join(repoRoot, 'src/cli/main.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.match(pkg.scripts.build ?? '', /chmod \+x dist\/src\/cli\/main\.js/);
    const built = join(repoRoot, pkg.bin.gravity);
    if (existsSync(built)) {
      assert.match(readFileSync(built, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    }
  });
});
