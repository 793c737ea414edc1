// Control characters from the outside world, end to end: a real agent whose probe and status hook
// print escape sequences, a carriage return and a C1 CSI, and a plan whose description and failing
// phase do the same. Everything the CLI prints shows them as \uXXXX; JSON output keeps the data.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterReport } from '../../src/health/types.ts';
import type { HistoryEvent } from '../../src/store/types.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { killAgent, runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitForValue } from '../helpers/wait.ts';

/** Every control character a terminal could act on (newline and tab are layout). */
// eslint-disable-next-line no-control-regex -- the point of the test
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** What the programs print: red, a window title, a carriage return, and CSI as one C1 character. */
const printf = String.raw`printf '\033[31mred\033]0;title\007\rover\302\2332J\n'`;
const raw = '\u001b[31mred\u001b]0;title\u0007\rover\u009b2J';
const shown = String.raw`\u001b[31mred\u001b]0;title\u0007\u000dover\u009b2J`;

describe('integration: control characters in what the CLI prints (real processes)', function () {
  this.timeout(90_000);
  let dir: string;
  let agent: Spawned | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-ctl-'));
  });
  afterEach(async () => {
    await killAgent(agent);
    agent = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('status and status history show a probe error and hook output escaped; JSON keeps them as they are', async () => {
    const stateDir = dir;
    writeFileSync(
      join(dir, 'app.yaml'),
      ['name: shop', 'hooks:', '  status:', '    job:', `      command: ["sh", "-c", ${JSON.stringify(`${printf}; exit 3`)}]`, ''].join('\n'),
    );
    agent = await startConfiguredAgent(dir, [
      'cluster: { name: prod }',
      'node: { name: node-1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { enabled: false }',
      'app: ./app.yaml',
      'statusHook: { interval: 1s }',
      'probes:',
      '  - checker: command',
      '    name: evil',
      `    argv: ["sh", "-c", ${JSON.stringify(`${printf}; exit 2`)}]`,
      '    interval: 1s',
    ]);
    const report = await waitForValue(
      async () => {
        const json = await runCli(['status', '--state-dir', stateDir, '--format', 'json']);
        const parsed = JSON.parse(json.stdout) as ClusterReport;
        const failed = parsed.nodes[0]?.probes.find((probe) => probe.name === 'evil' && probe.status === 'failed');
        return failed !== undefined && parsed.statusHook?.result === 'failed' ? { json, parsed } : undefined;
      },
      30_000,
      'the probe and the hook to fail',
      200,
    );
    assert.doesNotMatch(report.json.stdout, rawControl, 'JSON output is escaped JSON');
    assert.ok(report.parsed.nodes[0]?.probes.find((probe) => probe.name === 'evil')?.error?.includes(raw), 'JSON keeps the data');
    assert.ok(report.parsed.statusHook?.output?.includes(raw));

    const text = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(text.code, 5, text.stderr);
    assert.doesNotMatch(text.stdout, rawControl);
    assert.match(text.stdout, new RegExp(`\\[×\\]\\s+evil \\(.*${escapeRegExp(shown)}`));
    assert.match(text.stdout, new RegExp(`^\\s+${escapeRegExp(shown)}$`, 'm'), 'the hook output line');

    const history = await runCli(['status', 'history', '--state-dir', stateDir]);
    assert.equal(history.code, 0, history.stderr);
    assert.doesNotMatch(history.stdout, rawControl);
    assert.match(history.stdout, /\[Probe Failed\]\s+node=node-1 checker=evil error=".*\\u001b\[31mred\\u001b\]0;title\\u0007\\rover\\u009b2J/);
    const events = JSON.parse((await runCli(['status', 'history', '--state-dir', stateDir, '--format', 'json'])).stdout) as HistoryEvent[];
    assert.ok(events.some((event) => event.detail?.includes(raw)));
  });

  it('plan, its progress and its JSON: a description and a phase error with escape sequences', async () => {
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    const base = ['--state-dir', join(dir, 'state'), '--config', join(dir, 'gravity.yaml')];
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: hostile',
        'phases:',
        '  - id: evil',
        `    description: ${JSON.stringify(`d${raw}`)}`,
        `    run: [sh, -c, ${JSON.stringify(`${printf} >&2; exit 7`)}]`,
        '',
      ].join('\n'),
    );
    const created = await runCli([...base, 'plan', 'create', '-f', planFile, '--execute']);
    assert.equal(created.code, 4, created.stderr);
    assert.doesNotMatch(created.stdout + created.stderr, rawControl);
    assert.ok(created.stderr.includes(`Failed "/evil"`), created.stderr);
    assert.ok(created.stderr.includes(shown), 'the progress line shows the error escaped');

    const shownPlan = await runCli([...base, 'plan']);
    assert.equal(shownPlan.code, 0, shownPlan.stderr);
    assert.doesNotMatch(shownPlan.stdout, rawControl);
    assert.ok(shownPlan.stdout.includes(`d${shown}`), shownPlan.stdout);
    assert.ok(shownPlan.stdout.includes(`\texit code 7: ${shown}`), shownPlan.stdout);

    const json = await runCli([...base, 'plan', '--format', 'json']);
    assert.doesNotMatch(json.stdout, rawControl);
    const parsed = JSON.parse(json.stdout) as { phases: { description: string }[] };
    assert.equal(parsed.phases[0]?.description, `d${raw}`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
