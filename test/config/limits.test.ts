// The bounds of the config file and the application manifest, through the loaders: every duration
// and count has a range (refused with its place), files and strings have a size, hostile YAML (alias
// bombs, deep nesting, garbage) is a user's mistake with a place, a long value is never echoed in
// full, at most 20 problems are listed, and a large config compiles in linear time.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppManifest } from '../../src/config/app-manifest.ts';
import { compileConfigText, loadConfig } from '../../src/config/load.ts';
import type { GravityError } from '../../src/errors.ts';
import { failure } from '../helpers/failure.ts';
import { aliasBomb, deepFlow, garbage } from '../helpers/hostile-yaml.ts';

describe('config limits', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-limits-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string | Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  function configFailure(text: string): { error: GravityError; path: string } {
    const path = file('gravity.yaml', text);
    return { error: failure(() => loadConfig({ configPath: path, explicit: true, hostname: 'h' })), path };
  }

  /** Asserts a user error whose every detail is placed in `path` (file:line:col:). */
  function assertPlaced(error: GravityError, path: string, code = 'E_CONFIG_INVALID'): void {
    assert.equal(error.code, code, error.message);
    assert.equal(error.userError, true);
    assert.ok(error.details.length > 0);
    for (const line of error.details.filter((detail) => !detail.startsWith('…'))) {
      assert.ok(line.startsWith(`${path}:`) && /^:\d+:\d+: /u.test(line.slice(path.length)), `not placed: ${line}`);
    }
  }

  describe('durations and counts past their range', () => {
    const rows: { name: string; text: string; place: string; message: RegExp }[] = [
      { name: 'a 30-day probe interval', text: 'probes:\n  - checker: load\n    interval: 30d\n', place: '3:15', message: /probes\[0\]\.interval: must be a duration from 1s to 24h, got "30d"/u },
      {
        name: 'a 25-day probe timeout',
        text: 'probes:\n  - checker: load\n    interval: 30d\n    timeout: 25d\n',
        place: '4:14',
        message: /probes\[0\]\.timeout: must be a duration from 1ms to 24h, got "25d"/u,
      },
      { name: 'a 30-day status hook interval', text: 'statusHook:\n  interval: 30d\n', place: '2:13', message: /statusHook\.interval: must be a duration from 1s to 24h/u },
      { name: 'a history kept 3651 days', text: 'history: { retention: 3651d }\n', place: '1:23', message: /history\.retention: must be a duration from 1m to 3650d/u },
      { name: 'an interval of 9007199254740993s', text: 'probes:\n  - checker: load\n    interval: 9007199254740993s\n', place: '3:15', message: /probes\[0\]\.interval: must be a duration from 1s to 24h/u },
      { name: 'failuresBeforeFailed: 1e308', text: 'probes:\n  - checker: load\n    failuresBeforeFailed: 1e308\n', place: '3:27', message: /failuresBeforeFailed: must be a whole number from 1 to 100/u },
      { name: 'successesBeforeRunning: 101', text: 'probes:\n  - checker: load\n    successesBeforeRunning: 101\n', place: '3:29', message: /successesBeforeRunning: must be a whole number from 1 to 100/u },
      { name: "time-drift's maxDrift of 2h", text: 'probes:\n  - checker: time-drift\n    maxDrift: 2h\n', place: '3:15', message: /maxDrift: must be a duration from 1ms to 1h/u },
    ];
    for (const row of rows) {
      it(`refuses ${row.name} at its place`, () => {
        const { error, path } = configFailure(row.text);
        assertPlaced(error, path);
        const line = error.details.find((detail) => row.message.test(detail));
        assert.ok(line !== undefined, error.details.join('\n'));
        assert.ok(line.startsWith(`${path}:${row.place}: `), line);
      });
    }

    it("refuses a hook's activeDeadlineSeconds past 7 days in the manifest", () => {
      const path = file('app.yaml', 'hooks:\n  status:\n    job:\n      command: ["true"]\n      activeDeadlineSeconds: 1e308\n');
      const error = failure(() => loadAppManifest(path));
      assertPlaced(error, path);
      assert.match(error.details[0] ?? '', /:5:30: hooks\.status\.job\.activeDeadlineSeconds: must be a whole number from 1 to 604800/u);
    });
  });

  describe('sizes', () => {
    it('refuses a config file over 1 MiB, naming the limit', () => {
      const path = file('gravity.yaml', `cluster: { name: a }\n#${'x'.repeat(1024 * 1024)}\n`);
      const error = failure(() => loadConfig({ configPath: path, explicit: true, hostname: 'h' }));
      assert.equal(error.code, 'E_FILE_TOO_LARGE');
      assert.equal(error.userError, true);
      assert.match(error.message, /config file .* is larger than 1 MiB/u);
    });

    it('refuses an application manifest over 1 MiB at the config\'s app key, and on its own', () => {
      const app = file('app.yaml', `name: shop\n#${'x'.repeat(1024 * 1024)}\n`);
      const { error, path } = configFailure('app: app.yaml\n');
      assertPlaced(error, path);
      assert.match(error.details[0] ?? '', /:1:6: app: application manifest .*app\.yaml is larger than 1 MiB/u);
      assert.equal(failure(() => loadAppManifest(app)).code, 'E_FILE_TOO_LARGE');
    });

    it('refuses a device or a directory as the config without reading it', () => {
      for (const path of ['/dev/zero', dir]) {
        const error = failure(() => loadConfig({ configPath: path, explicit: true, hostname: 'h' }));
        assert.equal(error.code, 'E_FILE_UNREADABLE');
        assert.match(error.message, /not a regular file|is a directory/u);
      }
    });

    it('refuses a string over 4096 characters, showing only its start and length', () => {
      const { error, path } = configFailure(`stateDir: /${'d'.repeat(100_000)}\n`);
      assertPlaced(error, path);
      assert.equal(error.details.length, 1);
      assert.match(error.details[0] ?? '', /:1:11: stateDir: must be at most 4096 characters long, got "\/ddd+…" \(100001 chars\)$/u);
      assert.ok((error.details[0]?.length ?? 0) < path.length + 200);
    });

    it('refuses a hook command argument or env value over 4096 characters', () => {
      const long = 'v'.repeat(5000);
      const path = file('app.yaml', `hooks:\n  status:\n    job:\n      command: ["true", ${long}]\n      env: { A: ${long} }\n`);
      const error = failure(() => loadAppManifest(path));
      assertPlaced(error, path);
      assert.deepEqual(
        error.details.map((line) => line.slice(path.length).replace(/got .*/u, '')),
        [':4:25: hooks.status.job.command[1]: must be at most 4096 characters long, ', ':5:17: hooks.status.job.env.A: must be at most 4096 characters long, '],
      );
    });

    it('never echoes a long value in full', () => {
      const { error } = configFailure(`node: { role: ${'r'.repeat(3000)} }\n`);
      assert.ok(error.details.every((line) => line.length < 400), error.details.join('\n'));
      assert.match(error.details[0] ?? '', /\(3000 chars\)$/u);
    });
  });

  describe('hostile YAML', () => {
    it('refuses an alias bomb as a user error at its first alias, in the config and the manifest', () => {
      const { error, path } = configFailure(aliasBomb('cluster'));
      assertPlaced(error, path);
      assert.match(error.details[0] ?? '', /:2:10: too many aliases/u);
      const app = file('app.yaml', aliasBomb('hooks'));
      const manifestError = failure(() => loadAppManifest(app));
      assertPlaced(manifestError, app);
      assert.match(manifestError.details[0] ?? '', /too many aliases/u);
    });

    for (const closed of [true, false]) {
      it(`refuses 100,000 nested ${closed ? 'closed' : 'unclosed'} [ as too deep, with a place`, () => {
        const { error, path } = configFailure(deepFlow('cluster', 100_000, closed));
        assertPlaced(error, path);
        assert.ok(error.details.some((line) => /nested too deeply: at most 64 levels/u.test(line)), error.details.join('\n'));
        assert.ok(error.details.every((line) => !/call stack/iu.test(line)));
      });
    }

    it('refuses 65 levels of nesting and accepts 64', () => {
      // The top-level mapping is the first level.
      const { error, path } = configFailure(deepFlow('probes', 64, true));
      assertPlaced(error, path);
      assert.match(error.details[0] ?? '', /:1:\d+: nested too deeply/u);
      const ok = compileConfigText(deepFlow('probes', 63, true), { file: '/x/gravity.yaml', shown: 'gravity.yaml', hostname: 'h' });
      assert.ok('problems' in ok && ok.problems.every((line) => !/nested too deeply/u.test(line)));
    });

    it('lists at most 20 problems, and counts the rest in one line', () => {
      const { error, path } = configFailure(Array.from({ length: 150 }, (_, index) => `k${index}: 1`).join('\n'));
      assertPlaced(error, path);
      assert.match(error.message, /150 problem/u);
      assert.equal(error.details.length, 21, error.details.join('\n'));
      assert.match(error.details[20] ?? '', /^… and \d+ more problems/u);
      const total = Number(/(\d+) problem/u.exec(error.message)?.[1]);
      assert.equal(total, 20 + Number(/and (\d+) more/u.exec(error.details[20] ?? '')?.[1]));
    });

    for (const seed of [1, 7, 42]) {
      it(`refuses binary garbage (seed ${seed}) in a screenful of short, placed lines`, () => {
        const { error, path } = configFailure(garbage(seed, 200_000));
        assertPlaced(error, path);
        assert.ok(error.details.length <= 21, `${error.details.length} lines`);
        assert.ok(error.details.every((line) => line.length < path.length + 400), error.details.join('\n'));
      });
    }

    it('reports a duplicate key at its second place', () => {
      const { error, path } = configFailure('cluster: { name: a }\nnode: {}\ncluster: { name: b }\n');
      assertPlaced(error, path);
      assert.deepEqual(error.details, [`${path}:3:1: cluster: duplicate key (first at line 1): map keys must be unique`]);
    });
  });

  it('compiles a config of unknown keys in time linear in their number (4 times the keys, well under 16 times the time)', function () {
    this.timeout(120_000);
    // Measured against itself in the same run, so that a slow or busy machine does not decide: the
    // fastest of three compilations of 10,000 keys against the fastest of three of 40,000.
    const fastest = (keys: number): number => {
      const text = Array.from({ length: keys }, (_, index) => `k${index}: 1`).join('\n');
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        const result = compileConfigText(text, { file: '/x/gravity.yaml', shown: 'gravity.yaml', hostname: 'h' });
        best = Math.min(best, performance.now() - started);
        assert.ok('problems' in result && result.problems.length === keys);
      }
      return best;
    };
    const small = fastest(10_000);
    const large = fastest(40_000);
    assert.ok(large / small < 8, `10,000 keys took ${Math.round(small)} ms, 40,000 took ${Math.round(large)} ms`);
  });
});
