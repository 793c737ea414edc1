// Operation plans through the real CLI on a real store: a plan file whose leaves write marker files,
// a phase that fails, `gravity plan` showing it, `gravity rollback` undoing exactly the executed
// leaves in reverse order (and `--dry-run` changing nothing), crash safety under `kill -9` (and
// `--force` refused on a group, accepted on its leaf), two terminals racing for the operation lock
// (whose holder is recorded with its process start time), `--follow`, and bad input.

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawned } from '../cli/run-cli.ts';
import { processStartTime } from '../../src/processes.ts';
import { openSqliteStoreReadOnly } from '../../src/store/sqlite.ts';
import { cliMain, runCli, spawnTs } from '../cli/run-cli.ts';
import { aliasBomb, deepFlow, garbage } from '../helpers/hostile-yaml.ts';
import { waitFor } from '../helpers/wait.ts';

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((line) => line !== '') : [];
}

describe('integration: operation plans through the CLI (real processes, real store)', function () {
  this.timeout(90_000);
  let dir: string;
  let base: string[];
  const spawned: Spawned[] = [];
  const gravity = (...args: string[]) => runCli([...base, ...args]);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-plans-'));
    mkdirSync(join(dir, 'markers'));
    writeFileSync(join(dir, 'gravity.yaml'), 'node: { name: n1 }\nhealth: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    base = ['--state-dir', join(dir, 'state'), '--config', join(dir, 'gravity.yaml')];
  });
  afterEach(async () => {
    writeFileSync(join(dir, 'release'), '');
    for (const child of spawned.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.finished;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** A leaf that creates its marker (and logs it), and whose rollback removes it (and logs that). */
  const markerLeaf = (id: string): string[] => [
    `      - id: ${id}`,
    `        description: marker ${id}`,
    `        run: [sh, -c, "touch ${dir}/markers/${id} && echo ${id} >> ${dir}/created"]`,
    `        rollback: [sh, -c, "rm ${dir}/markers/${id} && echo ${id} >> ${dir}/removed"]`,
    '        shell: false',
  ];

  it('a failing phase shows Failed with its error; rollback undoes the executed leaves in exact reverse order; --dry-run changes nothing', async () => {
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: three groups',
        'phases:',
        '  - id: init',
        '    description: prepare',
        '    phases:',
        ...markerLeaf('a'),
        ...markerLeaf('b'),
        '  - id: masters',
        '    description: masters',
        '    requires: [/init]',
        '    phases:',
        ...markerLeaf('c'),
        ...markerLeaf('d'),
        '  - id: finish',
        '    description: finish',
        '    requires: [/masters]',
        '    phases:',
        ...markerLeaf('e'),
        '      - id: broken',
        '        description: this one fails',
        '        run: [sh, -c, "echo cannot reach the registry >&2; exit 7"]',
        ...markerLeaf('f'),
        '',
      ].join('\n'),
    );
    const created = await gravity('plan', 'create', '-f', planFile, '--execute');
    assert.equal(created.code, 4, created.stderr);
    assert.deepEqual(lines(join(dir, 'created')), ['a', 'b', 'c', 'd', 'e']);

    const shown = await gravity('plan');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^\s+× broken\s+this one fails\s+Failed\s/m);
    assert.match(shown.stdout, /^\s+\* f\s+marker f\s+Unstarted\s/m);
    assert.match(shown.stdout, /The \/finish\/broken phase \("this one fails"\) has failed\n\texit code 7: cannot reach the registry/);

    const dry = await gravity('rollback', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      dry.stdout.trim().split('\n'),
      ['/finish/broken', '/finish/e', '/masters/d', '/masters/c', '/init/b', '/init/a'].map((id) => `[DRY-RUN] Rolling back "${id}" locally`),
    );
    assert.deepEqual(lines(join(dir, 'removed')), [], 'a dry run changes nothing');
    assert.equal((await gravity('plan', '--format', 'json')).stdout.includes('"rolled_back": true'), false);

    const rolled = await gravity('rollback', '--confirm');
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.deepEqual(lines(join(dir, 'removed')), ['e', 'd', 'c', 'b', 'a'], 'markers removed in exact reverse order');
    const printed = rolled.stdout.split('\n').filter((line) => line.startsWith('Rolling back'));
    assert.deepEqual(printed, ['/finish/broken', '/finish/e', '/masters/d', '/masters/c', '/init/b', '/init/a'].map((id) => `Rolling back "${id}" locally`));
    const json = JSON.parse((await gravity('plan', '--format', 'json')).stdout) as { state: string; rolled_back?: boolean };
    assert.equal(json.state, 'failed');
    assert.equal(json.rolled_back, true);
  });

  it('kill -9 mid-phase: the phase reads In Progress, execute without --force is refused, resume finishes and nothing completed runs twice', async () => {
    const planFile = join(dir, 'plan.yaml');
    const counts = join(dir, 'counts');
    writeFileSync(
      planFile,
      [
        'description: crash safety',
        'phases:',
        '  - id: work',
        '    description: work',
        '    phases:',
        '      - id: first',
        '        description: quick',
        `        run: [sh, -c, "echo run >> ${counts}-first"]`,
        '      - id: long',
        '        description: long',
        `        run: [sh, -c, "echo run >> ${counts}-long; while [ ! -f ${dir}/release ]; do sleep 0.1; done"]`,
        '      - id: third',
        '        description: last',
        `        run: [sh, -c, "echo run >> ${counts}-third"]`,
        '',
      ].join('\n'),
    );
    assert.equal((await gravity('plan', 'create', '-f', planFile)).code, 0);
    const runner = spawnTs(cliMain, [...base, 'plan', 'resume']);
    spawned.push(runner);
    await waitFor(() => lines(`${counts}-long`).length === 1, 20_000, 'the long phase to start');
    runner.child.kill('SIGKILL');
    await runner.finished;

    const shown = await gravity('plan');
    assert.match(shown.stdout, /^\s+→ long\s+long\s+In Progress\s/m);
    assert.match(shown.stdout, /^\s+✓ first\s+quick\s+Completed\s/m);
    const refused = await gravity('plan', 'execute', '--phase', '/work/long');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /phase "\/work\/long" is in progress, use --force flag to force execution/);
    const forcedGroup = await gravity('plan', 'execute', '--phase', '/work', '--force');
    assert.equal(forcedGroup.code, 2, forcedGroup.stderr);
    assert.match(forcedGroup.stderr, /cannot use --force with group phase "\/work"/);
    assert.match(forcedGroup.stderr, /gravity plan execute --phase \/work\/long --force/, 'it names the leaf to force');
    assert.deepEqual(lines(`${counts}-first`), ['run'], 'the refused group ran nothing');

    writeFileSync(join(dir, 'release'), '');
    const resumed = await gravity('plan', 'resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(lines(`${counts}-first`), ['run'], 'the completed phase did not run again');
    assert.equal(lines(`${counts}-long`).length, 2, 'the interrupted phase ran again');
    assert.deepEqual(lines(`${counts}-third`), ['run']);
    const json = JSON.parse((await gravity('plan', '--format', 'json')).stdout) as { state: string };
    assert.equal(json.state, 'completed');
  });

  it('two terminals: a second run is refused while the first holds the lock; after kill -9 of the first, the lock is taken over; --follow follows to the end', async () => {
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: two terminals',
        'phases:',
        '  - id: slow',
        '    description: waits for release',
        `    run: [sh, -c, "echo started >> ${dir}/slow; while [ ! -f ${dir}/release ]; do sleep 0.1; done"]`,
        '  - id: after',
        '    description: after it',
        '    requires: [/slow]',
        `    run: [touch, ${dir}/markers/after]`,
        '',
      ].join('\n'),
    );
    assert.equal((await gravity('plan', 'create', '-f', planFile)).code, 0);
    const first = spawnTs(cliMain, [...base, 'plan', 'resume']);
    spawned.push(first);
    await waitFor(() => lines(join(dir, 'slow')).length === 1, 20_000, 'the first terminal to start the slow phase');
    const second = await gravity('plan', 'execute', '--phase', '/slow', '--force');
    assert.equal(second.code, 3, second.stderr);
    assert.match(second.stderr, new RegExp(`is being run by pid ${String(first.child.pid)}`));
    if (process.platform === 'linux') {
      const view = openSqliteStoreReadOnly(join(dir, 'state'));
      try {
        const holder = await view.operations.lockHolder();
        assert.ok(holder !== undefined && holder.pid === first.child.pid, JSON.stringify(holder));
        assert.ok(holder.startTime !== undefined, "the holder's start time is recorded with its pid");
        assert.equal(holder.startTime, processStartTime(holder.pid));
      } finally {
        await view.close();
      }
    }

    first.child.kill('SIGKILL');
    await first.finished;
    const follower = spawnTs(cliMain, [...base, 'plan', '--follow']);
    spawned.push(follower);
    appendFileSync(join(dir, 'release'), '');
    const taken = await gravity('plan', 'resume');
    assert.equal(taken.code, 0, taken.stderr);
    assert.ok(existsSync(join(dir, 'markers', 'after')));
    const followed = await follower.finished;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /\[\s*2\/\s*2\] Phase \/after is completed/);
    assert.match(followed.stdout, /Operation plan is completed/);
  });

  it('rollback without an answer to its prompt fails and changes nothing; a failed operation is followed to an error, not "completed"', async () => {
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(planFile, ['description: prompt and follow', 'phases:', ...markerLeaf('a').map((line) => line.slice(4)), ...markerLeaf('b').map((line) => line.slice(4)), ''].join('\n'));
    assert.equal((await gravity('plan', 'create', '-f', planFile)).code, 0);
    assert.equal((await gravity('plan', 'execute', '--phase', '/a')).code, 0);

    // The test's stdin is /dev/null: the prompt's input ends at once.
    const unanswered = await gravity('rollback');
    assert.equal(unanswered.code, 2, unanswered.stderr);
    assert.match(unanswered.stderr, /no answer to the confirmation prompt/);
    assert.deepEqual(lines(join(dir, 'removed')), [], 'nothing rolled back');
    assert.equal((JSON.parse((await gravity('plan', '--format', 'json')).stdout) as { state: string }).state, 'in_progress');

    const completed = await gravity('plan', 'complete');
    assert.equal(completed.code, 0, completed.stderr);
    assert.match(completed.stdout, /is failed/);
    const followed = await gravity('plan', '--follow');
    assert.equal(followed.code, 4, followed.stderr);
    assert.doesNotMatch(followed.stdout, /Operation plan is completed/);
    assert.match(followed.stderr, /ended failed/);
    const again = await gravity('plan', 'complete');
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /cannot change any more/);
  });

  it('bad input: an unknown phase, a path with .., and a bad plan file are refused and create nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, ['description: bad', 'phases:', '  - id: a', '    description: no executor', '  - id: a', '    run: [true]', ''].join('\n'));
    const refused = await gravity('plan', 'create', '-f', bad);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /bad\.yaml:\d+:\d+: /);
    const none = await gravity('plan');
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /there is no operation/);

    const good = join(dir, 'good.yaml');
    writeFileSync(good, ['description: good', 'phases:', '  - id: a', '    description: a', '    run: ["true"]', ''].join('\n'));
    assert.equal((await gravity('plan', 'create', '-f', good)).code, 0);
    const second = await gravity('plan', 'create', '-f', good);
    assert.equal(second.code, 2, 'one operation at a time: a second is refused while the first is in progress');
    assert.match(second.stderr, /is still in progress/);
    const unknown = await gravity('plan', 'execute', '--phase', '/nope');
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /phase "\/nope" not found/);
    const sneaky = await gravity('plan', 'execute', '--phase', '/../a');
    assert.equal(sneaky.code, 2, sneaky.stderr);
    assert.doesNotMatch(sneaky.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  });

  it('hostile plan files are refused as user errors, in a screenful, without a stack: /dev/zero, 2 MiB, an alias bomb, 100,000 nested [ and binary garbage', async () => {
    const files: [string, string | Buffer, RegExp][] = [
      ['big.yaml', `description: big\nphases: []\n# ${'x'.repeat(2 * 1024 * 1024)}\n`, /plan file .*big\.yaml is larger than 1 MiB/u],
      ['bomb.yaml', aliasBomb('description'), /bomb\.yaml:2:10: too many aliases/u],
      ['deep.yaml', deepFlow('phases', 100_000, false), /deep\.yaml:1:\d+: nested too deeply/u],
      ['garbage.yaml', Buffer.from(garbage(11, 400_000), 'latin1'), /garbage\.yaml:\d+:\d+: /u],
    ];
    const cases: [string, RegExp][] = [['/dev/zero', /plan file \/dev\/zero: not a regular file/u]];
    for (const [name, text, expected] of files) {
      writeFileSync(join(dir, name), text);
      cases.push([join(dir, name), expected]);
    }
    for (const [file, expected] of cases) {
      const refused = await gravity('plan', 'create', '-f', file);
      assert.equal(refused.code, 2, refused.stderr.slice(0, 2000));
      assert.match(refused.stderr, expected);
      assert.doesNotMatch(refused.stderr, /internal error|call stack|^\s+at .+:\d+:\d+\)?$/mu);
      assert.ok(refused.stderr.split('\n').length <= 25 && refused.stderr.length < 20_000, `${refused.stderr.length} characters of stderr`);
    }
    const none = await gravity('plan');
    assert.match(none.stderr, /there is no operation/);
  });
});
