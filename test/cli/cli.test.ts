// The CLI as a real process: help and version, usage errors, the one-line error when no agent runs,
// and `debug tree --spec` on good and bad spec files. No agent is started here.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import { repoRoot, runCli } from './run-cli.ts';

const stackLine = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('gravity CLI (real process)', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help lists the global options and the commands, exit 0', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0, result.stderr);
    for (const text of ['--state-dir <dir>', '/var/lib/gravity', '--config <file>', '/etc/gravity/gravity.yaml', '--debug', '-q, --quiet', '--insecure', 'start', 'debug']) {
      assert.ok(result.stdout.includes(text), `help should mention ${text}:\n${result.stdout}`);
    }
  });

  it('--version prints the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), version);
  });

  it('global options are accepted after the subcommand too, and shown in its help', async () => {
    const result = await runCli(['debug', 'tree', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Global Options:[\s\S]*--state-dir/);
  });

  it('usage errors (unknown command, unknown option, bad choice) exit 2 without a stack', async () => {
    for (const args of [['no-such-command'], ['--no-such-option'], ['debug', 'tree', '--format', 'xml']]) {
      const result = await runCli(args);
      assert.equal(result.code, ExitCode.usage, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /m);
      assert.doesNotMatch(result.stderr, stackLine);
    }
  });

  it('debug tree with no agent: the one-line not-running error, exit 3', async () => {
    const stateDir = join(dir, 'no-agent');
    const result = await runCli(['debug', 'tree', '--state-dir', stateDir]);
    assert.equal(result.code, ExitCode.agentState);
    assert.equal(result.stdout, '');
    const [first] = result.stderr.split('\n');
    assert.equal(first, `error: no agent is running for state dir ${stateDir}: start it with 'gravity start'`);
    assert.doesNotMatch(result.stderr, stackLine);
  });

  it('debug tree --spec prints a valid spec offline, every child not started', async () => {
    const file = join(dir, 'tree.yaml');
    writeFileSync(
      file,
      [
        'strategy: one_for_all',
        'children:',
        '  - id: first',
        '    start: { actor: idle }',
        '  - id: pool',
        '    thread: worker',
        '    start:',
        '      supervisor:',
        '        children:',
        '          - { id: inner, start: { actor: idle } }',
        '  - id: last',
        '    restart: temporary',
        '    start: { actor: idle }',
        '',
      ].join('\n'),
    );
    const result = await runCli(['debug', 'tree', '--spec', file]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0] ?? '', /^agent\s+not started\s+main\s+restarts=0\s+one_for_all$/);
    assert.match(lines[1] ?? '', /^├── first\s+not started\s+main\s+restarts=0$/);
    assert.match(lines[2] ?? '', /^├── pool\s+not started\s+worker\s+restarts=0\s+one_for_one$/);
    assert.match(lines[3] ?? '', /^│ {3}└── inner\s+not started\s+worker\s+restarts=0$/);
    assert.match(lines[4] ?? '', /^└── last\s+not started\s+main\s+restarts=0$/);

    const json = await runCli(['debug', 'tree', '--spec', file, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout) as { source: string; root: { children: { id: string; state: string }[] } };
    assert.equal(view.source, 'spec');
    assert.deepEqual(
      view.root.children.map((child) => [child.id, child.state]),
      [['first', 'not started'], ['pool', 'not started'], ['last', 'not started']],
    );
  });

  it('debug tree --spec on a bad spec reports every problem at once, exit 2, no stack', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        strategy: 'one_for_none',
        intensity: -1,
        children: [
          { id: 'a', start: { actor: 'idle' }, restart: 'sometimes' },
          { id: 'a', start: { actor: 'idle' } },
          { id: 'bad/id', start: {} },
        ],
      }),
    );
    const result = await runCli(['debug', 'tree', '--spec', file]);
    assert.equal(result.code, ExitCode.usage);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^error: /);
    const details = lines.filter((line) => line.startsWith('  '));
    for (const fragment of ['spec.strategy', 'spec.intensity', 'restart', 'duplicate id', 'spec.children[2]']) {
      assert.ok(details.some((line) => line.includes(fragment)), `missing a problem about ${fragment}:\n${result.stderr}`);
    }
    assert.ok(details.length >= 6, result.stderr);
    assert.match(lines.at(-1) ?? '', /^hint: /);
    assert.doesNotMatch(result.stderr, stackLine);
  });

  it('debug tree --spec on a file that is not YAML, or missing: exit 2, no stack', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'children: [\n  - id: a\n  key: : :\n');
    const broken = await runCli(['debug', 'tree', '--spec', file]);
    assert.equal(broken.code, ExitCode.usage);
    assert.match(broken.stderr, /^error: cannot parse /);
    assert.doesNotMatch(broken.stderr, stackLine);

    const missing = await runCli(['debug', 'tree', '--spec', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, ExitCode.usage);
    assert.match(missing.stderr, /^error: cannot read .*no such file/);
  });

  it('--debug adds the stack trace to an error', async () => {
    const result = await runCli(['--debug', 'debug', 'tree', '--spec', join(dir, 'nope.yaml')]);
    assert.equal(result.code, ExitCode.usage);
    assert.match(result.stderr, stackLine);
  });
});
