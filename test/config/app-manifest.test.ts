// The application manifest: hooks as jobs with the Kubernetes Job fields, their defaults, and every
// mistake listed with its line and column.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hookJobDefaults, loadAppManifest } from '../../src/config/app-manifest.ts';
import { failure } from '../helpers/failure.ts';


describe('config/app-manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-app-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('defaults a job to one run with a 20-minute deadline', () => {
    const app = loadAppManifest(file('app.yaml', 'hooks:\n  status:\n    job:\n      command: [/bin/true]\n'));
    assert.equal(app.path, join(dir, 'app.yaml'));
    assert.equal(app.name, undefined);
    assert.deepEqual(app.hooks.status, { command: ['/bin/true'], env: {}, ...hookJobDefaults });
    assert.equal(app.hooks.status?.activeDeadlineSeconds, 1200);
    assert.equal(app.hooks.status?.restartPolicy, 'Never');
    assert.equal(app.hooks.status?.backoffLimit, 0);
  });

  it('reads every field of a job', () => {
    const app = loadAppManifest(
      file(
        'app.yaml',
        [
          'name: shop',
          'version: "2.1.0"',
          'hooks:',
          '  status:',
          '    job:',
          '      command: ["/bin/sh", "-c", "curl -sf http://127.0.0.1:8080/health"]',
          '      env: { MODE: quick, PORT: 8080, VERBOSE: true }',
          '      workingDir: /tmp',
          '      activeDeadlineSeconds: 30',
          '      restartPolicy: OnFailure',
          '      backoffLimit: 2',
          '  backup:',
          '    job:',
          '      command: [tar, czf, /backup/data.tgz, /data]',
          '',
        ].join('\n'),
      ),
    );
    assert.equal(app.name, 'shop');
    assert.equal(app.version, '2.1.0');
    assert.deepEqual(app.hooks.status, {
      command: ['/bin/sh', '-c', 'curl -sf http://127.0.0.1:8080/health'],
      env: { MODE: 'quick', PORT: '8080', VERBOSE: 'true' },
      workingDir: '/tmp',
      activeDeadlineSeconds: 30,
      restartPolicy: 'OnFailure',
      backoffLimit: 2,
    });
    assert.deepEqual(app.hooks.backup?.command, ['tar', 'czf', '/backup/data.tgz', '/data']);
  });

  it('lists every mistake with its line and column', () => {
    const path = file(
      'bad.yaml',
      [
        'name: shop', //                       1
        'version: 1.0', //                     2  a number
        'hooks:', //                           3
        '  status:', //                        4
        '    job:', //                         5
        '      command: /bin/check', //        6  not a list
        '      env: { 1BAD: x }', //           7  bad variable name
        '      activeDeadlineSeconds: 0', //   8  below 1
        '      restartPolicy: Always', //      9  not Never|OnFailure
        '      backoffLimit: -1', //          10 below 0
        '      image: busybox', //            11 unknown key
        '  onFire:', //                       12 unknown hook
        '    job: { command: [x] }', //       13
        '  install: {}', //                   14 no job
        '',
      ].join('\n'),
    );
    const error = failure(() => loadAppManifest(path));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    const expected = [
      ['2:10', 'version'],
      ['6:16', 'hooks.status.job.command'],
      ['7:14', 'hooks.status.job.env.1BAD'],
      ['8:30', 'hooks.status.job.activeDeadlineSeconds'],
      ['9:22', 'hooks.status.job.restartPolicy'],
      ['10:21', 'hooks.status.job.backoffLimit'],
      ['11:7', 'hooks.status.job.image'],
      ['12:3', 'hooks.onFire'],
      ['14:12', 'hooks.install.job'],
    ];
    assert.deepEqual(
      error.details.map((line) => line.slice(path.length + 1).split(': ')[0]),
      expected.map(([place]) => place),
      error.details.join('\n'),
    );
    for (const [index, [place, key]] of expected.entries()) {
      assert.ok(error.details[index]?.startsWith(`${path}:${place}: ${key}:`), `${place} ${key}:\n${error.details.join('\n')}`);
    }
  });

  it('refuses a missing manifest', () => {
    const error = failure(() => loadAppManifest(join(dir, 'nope.yaml')));
    assert.equal(error.code, 'E_FILE_UNREADABLE');
  });

  it('refuses bad YAML with the place of each error', () => {
    const path = file('syntax.yaml', 'hooks:\n  status: [\n');
    const error = failure(() => loadAppManifest(path));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.ok(error.details.every((line) => /:\d+:\d+: /.test(line.slice(path.length))), error.details.join('\n'));
  });
});
