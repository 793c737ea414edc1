// The agent's config file: defaults without one, every key of a full file, every mistake of a bad
// one listed with its line and column, the app manifest found relative to the file, and --state-dir
// winning over the file.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defaultConfigPath, defaultStateDir, loadConfig, parseListen } from '../../src/config/load.ts';
import { failure } from '../helpers/failure.ts';


describe('config/load', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  describe('without a file', () => {
    it('runs a single master named after the host with the default probes', () => {
      const config = loadConfig({ configPath: join(dir, 'absent.yaml'), explicit: false, hostname: 'box-1' });
      assert.equal(config.source, undefined);
      assert.deepEqual(config.cluster, { name: 'box-1' });
      assert.deepEqual(config.node, { name: 'box-1', role: 'master', advertiseAddr: '127.0.0.1' });
      assert.deepEqual(config.health, { host: '0.0.0.0', port: 7575 });
      assert.equal(config.stateDir, defaultStateDir);
      assert.equal(config.statusHookIntervalMs, 60_000);
      assert.equal(config.historyRetentionMs, 7 * 24 * 3600 * 1000);
      assert.equal(config.app, undefined);
      assert.ok(config.probes.length > 0);
      assert.ok(config.probes.some((probe) => probe.checker === 'disk-space' && probe.source.path === defaultStateDir));
    });

    it('uses the default path when none is given (skipped when this host has one)', function () {
      if (existsSync(defaultConfigPath)) this.skip();
      const config = loadConfig({ explicit: false, hostname: 'box-2', stateDirFlag: dir });
      assert.equal(config.cluster.name, 'box-2');
      assert.equal(config.stateDir, dir);
    });

    it('refuses a missing file named with --config', () => {
      const error = failure(() => loadConfig({ configPath: join(dir, 'absent.yaml'), explicit: true }));
      assert.equal(error.code, 'E_FILE_UNREADABLE');
      assert.match(error.message, /absent\.yaml: no such file/);
    });

    it('refuses an unreadable default file instead of silently using defaults', () => {
      const error = failure(() => loadConfig({ configPath: dir, explicit: false }));
      assert.equal(error.code, 'E_FILE_UNREADABLE');
      assert.match(error.message, /is a directory/);
    });
  });

  it('reads every key of a full file', () => {
    file('apps/app.yaml', 'name: shop\nversion: "1.2.0"\nhooks:\n  status:\n    job:\n      command: ["/bin/true"]\n');
    const path = file(
      'etc/gravity.yaml',
      [
        'cluster: { name: prod }',
        'node: { name: node-1, role: node, advertiseAddr: 10.0.0.5 }',
        'stateDir: ../state',
        'health: { listen: "127.0.0.1:7676" }',
        'panel: { listen: "127.0.0.1:3010", enabled: false }',
        'app: ../apps/app.yaml',
        'statusHook: { interval: 30s }',
        'history: { retention: 2d }',
        'probes:',
        '  - checker: tcp',
        '    name: web',
        '    address: 127.0.0.1:8080',
        '    interval: 1s',
        '    timeout: 500ms',
        '    failuresBeforeFailed: 2',
        '    successesBeforeRunning: 3',
        '    severity: warning',
        '  - checker: disk-space',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ configPath: path, explicit: true, hostname: 'ignored' });
    assert.equal(config.source, path);
    assert.deepEqual(config.cluster, { name: 'prod' });
    assert.deepEqual(config.node, { name: 'node-1', role: 'node', advertiseAddr: '10.0.0.5' });
    assert.equal(config.stateDir, join(dir, 'state'));
    assert.deepEqual(config.health, { host: '127.0.0.1', port: 7676 });
    assert.deepEqual(config.panel, { enabled: false, host: '127.0.0.1', port: 3010 });
    assert.equal(config.statusHookIntervalMs, 30_000);
    assert.equal(config.historyRetentionMs, 2 * 24 * 3600 * 1000);
    assert.equal(config.app?.path, join(dir, 'apps/app.yaml'));
    assert.equal(config.app?.name, 'shop');
    assert.deepEqual(config.app?.hooks.status?.command, ['/bin/true']);
    assert.equal(config.probes.length, 2);
    const [web, disk] = config.probes;
    assert.deepEqual(
      { ...web, config: undefined, source: undefined },
      {
        name: 'web',
        checker: 'tcp',
        intervalMs: 1000,
        timeoutMs: 500,
        failuresBeforeFailed: 2,
        successesBeforeRunning: 3,
        severity: 'warning',
        config: undefined,
        source: undefined,
      },
    );
    assert.equal(disk?.name, 'disk-space');
    assert.equal(disk?.intervalMs, 10_000);
  });

  it('takes the defaults of every key a file leaves out, and the default probes when it has no probes key', () => {
    const config = loadConfig({ configPath: file('empty.yaml', ''), explicit: true, hostname: 'box-3' });
    assert.equal(config.cluster.name, 'box-3');
    assert.equal(config.node.role, configDefaults.role);
    assert.ok(config.probes.length > 0);
    const none = loadConfig({ configPath: file('none.yaml', 'probes: []\n'), explicit: true, hostname: 'box-3' });
    assert.deepEqual(none.probes, []);
  });

  it('lists every mistake at once, each with its line and column', () => {
    const path = file(
      'bad.yaml',
      [
        'cluster:', //                        1
        '  name: prod', //                    2
        '  colour: blue', //                  3  unknown key
        'node:', //                           4
        '  name: node-1', //                  5
        '  role: worker', //                  6  not master|node
        'probes:', //                         7
        '  - checker: nosuch', //             8  unknown checker
        '  - checker: tcp', //                9
        '    address: 127.0.0.1:80', //       10
        '    interval: 0s', //                11 below 1s
        '  - checker: tcp', //                12 no address
        '    name: other', //                 13
        'extra: true', //                     14 unknown key
        'health: { listen: nowhere }', //     15 not host:port
        'panel: { listen: ":99999", enabled: yes-please }', // 16 port too big, not a boolean
        '',
      ].join('\n'),
    );
    const error = failure(() => loadConfig({ configPath: path, explicit: true }));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.equal(error.exitCode, 2);
    const at = (place: string, pathInFile: string): void => {
      assert.ok(
        error.details.some((line) => line.startsWith(`${path}:${place}: ${pathInFile}:`)),
        `expected ${path}:${place}: ${pathInFile}: in\n${error.details.join('\n')}`,
      );
    };
    at('3:3', 'cluster.colour');
    at('6:9', 'node.role');
    at('8:14', 'probes[0].checker');
    at('11:15', 'probes[1].interval');
    at('12:5', 'probes[2].address');
    at('14:1', 'extra');
    at('15:19', 'health.listen');
    at('16:18', 'panel.listen');
    at('16:37', 'panel.enabled');
    // (A missing timeout defaults to the interval when that is shorter: compileProbe also reports it.)
    const others = error.details.filter((line) => !line.includes('probes[1].timeout'));
    assert.equal(others.length, 9, error.details.join('\n'));
    const lines = error.details.map((line) => Number(line.slice(path.length + 1).split(':')[0]));
    assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'listed in the order of the file');
    assert.ok(error.details.includes(`${path}:11:15: probes[1].interval: must be a duration from 1s to 24h, got "0s"`), error.details.join('\n'));
    assert.match(error.message, /\d+ problem/);
  });

  it('lists every YAML syntax error with its line and column', () => {
    const path = file('syntax.yaml', 'cluster: { name: prod\nnode:\n  name: a\n  name: b\n');
    const error = failure(() => loadConfig({ configPath: path, explicit: true }));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.ok(error.details.length >= 1);
    for (const line of error.details) assert.match(line, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('reports a duplicate key as a syntax error at the second one', () => {
    const path = file('dup.yaml', 'cluster: { name: a }\ncluster: { name: b }\n');
    const error = failure(() => loadConfig({ configPath: path, explicit: true }));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.ok(error.details.some((line) => line.startsWith(`${path}:2:1: `)), error.details.join('\n'));
  });

  it('refuses a file that is not a mapping', () => {
    const error = failure(() => loadConfig({ configPath: file('list.yaml', '- a\n- b\n'), explicit: true }));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.match(error.details[0] ?? '', /:1:1: \(top level\): must be a mapping/);
  });

  describe('the app manifest', () => {
    it('is found relative to the config file, and its workingDir relative to itself', () => {
      file('conf/apps/app.yaml', 'hooks:\n  status:\n    job:\n      command: [check]\n      workingDir: scripts\n');
      const path = file('conf/gravity.yaml', 'app: apps/app.yaml\n');
      const config = loadConfig({ configPath: path, explicit: true });
      assert.equal(config.app?.path, join(dir, 'conf/apps/app.yaml'));
      assert.equal(config.app?.hooks.status?.workingDir, join(dir, 'conf/apps/scripts'));
    });

    it("reports a missing manifest at the config's app key", () => {
      const path = file('gravity.yaml', 'cluster: { name: a }\napp: ./nope.yaml\n');
      const error = failure(() => loadConfig({ configPath: path, explicit: true }));
      assert.equal(error.code, 'E_CONFIG_INVALID');
      assert.deepEqual(error.details, [`${path}:2:6: app: cannot read application manifest ${join(dir, 'nope.yaml')}: no such file`]);
    });

    it("reports the manifest's mistakes in the manifest, together with the config's", () => {
      file('app.yaml', 'name: shop\nhooks:\n  status:\n    job:\n      command: []\n      restartPolicy: Always\n');
      const path = file('gravity.yaml', 'app: app.yaml\nnode: { role: boss }\n');
      const error = failure(() => loadConfig({ configPath: path, explicit: true }));
      const manifest = join(dir, 'app.yaml');
      assert.ok(error.details.some((line) => line.startsWith(`${path}:2:15: node.role:`)), error.details.join('\n'));
      assert.ok(error.details.some((line) => line.startsWith(`${manifest}:5:16: hooks.status.job.command:`)), error.details.join('\n'));
      assert.ok(error.details.some((line) => line.startsWith(`${manifest}:6:22: hooks.status.job.restartPolicy:`)), error.details.join('\n'));
    });
  });

  describe('--state-dir', () => {
    it("wins over the file's stateDir, also for the default probes' disk", () => {
      const path = file('gravity.yaml', 'stateDir: /srv/gravity\n');
      const flag = join(dir, 'flag-state');
      const config = loadConfig({ configPath: path, explicit: true, stateDirFlag: flag });
      assert.equal(config.stateDir, flag);
      assert.ok(config.probes.some((probe) => probe.checker === 'disk-space' && probe.source.path === flag));
      assert.equal(loadConfig({ configPath: path, explicit: true }).stateDir, '/srv/gravity');
    });

    it('is made absolute', () => {
      const config = loadConfig({ configPath: join(dir, 'absent.yaml'), explicit: false, stateDirFlag: 'relative/state' });
      assert.equal(config.stateDir, join(process.cwd(), 'relative/state'));
    });
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListen('0.0.0.0:7575'), { host: '0.0.0.0', port: 7575 });
    assert.deepEqual(parseListen(':7575'), { host: '0.0.0.0', port: 7575 });
    assert.deepEqual(parseListen('[::]:7575'), { host: '::', port: 7575 });
    assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.equal(parseListen('127.0.0.1'), undefined);
    assert.equal(parseListen('127.0.0.1:70000'), undefined);
    assert.equal(parseListen('[nope]:1'), undefined);
  });
});
