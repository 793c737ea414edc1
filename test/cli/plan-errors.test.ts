// A plan command that fails before it changes anything prints its error and hint on stderr only:
// no plan table on stdout. Through the real CLI, on a real store.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';

describe('plan subcommands that fail before changing anything (real process)', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];
  const gravity = (...args: string[]) => runCli([...base, ...args]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-plan-errors-'));
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    base = ['--state-dir', join(dir, 'state'), '--config', join(dir, 'gravity.yaml')];
    writeFileSync(join(dir, 'plan.yaml'), ['description: errors', 'phases:', '  - id: a', '    description: a', '    run: ["true"]', '  - id: b', '    description: b', '    requires: [/a]', '    run: ["true"]', ''].join('\n'));
    const created = await gravity('plan', 'create', '-f', join(dir, 'plan.yaml'));
    assert.equal(created.code, 0, created.stderr);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { args: string[]; error: RegExp }[] = [
    { args: ['plan', 'execute', '--phase', '/nosuch'], error: /^error: phase "\/nosuch" not found$/ },
    { args: ['plan', 'rollback', '--phase', '/nosuch'], error: /^error: phase "\/nosuch" not found$/ },
    { args: ['plan', 'rollback', '--phase', '/nosuch', '--dry-run'], error: /^error: phase "\/nosuch" not found$/ },
    { args: ['plan', 'execute', '--phase', '/../a'], error: /^error: .*\/\.\.\/a/ },
    { args: ['plan', 'execute', '--phase', '/b'], error: /^error: required phase "\/a" is not completed/ },
    { args: ['plan', 'rollback', '--phase', '/a'], error: /^error: / },
    { args: ['plan', 'execute', '--phase', '/a', '--operation-id', 'nosuch'], error: /^error: no operation nosuch$/ },
    { args: ['plan', 'resume', '--operation-id', 'nosuch'], error: /^error: no operation nosuch$/ },
    { args: ['plan', 'complete', '--operation-id', 'nosuch'], error: /^error: no operation nosuch$/ },
    { args: ['plan', '--operation-id', 'nosuch'], error: /^error: no operation nosuch$/ },
  ];
  for (const { args, error } of cases) {
    it(`${args.join(' ')}: the error and a hint on stderr, nothing on stdout`, async () => {
      const result = await gravity(...args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '', 'no plan table before the error');
      const lines = result.stderr.split('\n').filter((line) => line !== '');
      assert.match(lines[0] ?? '', error);
      assert.ok(lines.every((line) => /^(error|hint): |^ {2}\S/.test(line)), `only the error, its details and its hint:\n${result.stderr}`);
    });
  }

  it('the operation is as it was: nothing ran', async () => {
    const plan = JSON.parse((await gravity('plan', '--format', 'json')).stdout) as { state: string };
    assert.equal(plan.state, 'in_progress');
    const shown = await gravity('plan', '--format', 'short');
    assert.doesNotMatch(shown.stdout, /Completed|Failed|Rolled Back/);
  });
});
