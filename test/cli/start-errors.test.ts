// `gravity start` refuses bad input before anything starts: a config with several mistakes lists
// every one with its line and column, and a corrupt store gets a clear one-line error with a hint;
// neither prints a stack trace nor leaves a socket or lock behind.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('gravity start: bad input (real process)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-bad-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a config with several mistakes: every one listed with line:column, exit 2, nothing started', async () => {
    const config = join(dir, 'gravity.yaml');
    writeFileSync(
      config,
      [
        'cluster: { name: prod }',
        'node: { name: node-1, role: boss }',
        'probes:',
        '  - checker: tcp',
        '    name: web',
        '    interval: 0s',
        '  - checker: nosuch',
        '  - checker: http',
        '    url: http://127.0.0.1/',
        '    colour: blue',
        '',
      ].join('\n'),
    );
    const stateDir = join(dir, 'state');
    const result = await runCli(['start', '--state-dir', stateDir, '--config', config]);
    assert.equal(result.code, 2, result.stderr);
    const expected = [
      /gravity\.yaml:2:\d+: node\.role: must be one of master, node/,
      /gravity\.yaml:4:\d+: probes\[0\]\.address: required/,
      /gravity\.yaml:6:\d+: probes\[0\]\.interval: must be a duration from 1s to 24h, got "0s"/,
      /gravity\.yaml:7:\d+: probes\[1\]\.checker: unknown checker "nosuch"/,
      /gravity\.yaml:10:\d+: probes\[2\]\.colour: unknown key/,
    ];
    for (const line of expected) assert.match(result.stderr, line);
    assert.doesNotMatch(result.stderr, stackLine);
    assert.ok(!existsSync(stateDir), 'nothing was created');
  });

  it('bad YAML is reported with its line and column', async () => {
    const config = join(dir, 'gravity.yaml');
    writeFileSync(config, 'probes: [\n  - checker: tcp\n');
    const result = await runCli(['start', '--state-dir', join(dir, 'state'), '--config', config]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /gravity\.yaml:\d+:\d+: /);
    assert.doesNotMatch(result.stderr, stackLine);
  });

  it('a missing config file given with --config is an error, not the defaults', async () => {
    const result = await runCli(['start', '--state-dir', join(dir, 'state'), '--config', join(dir, 'nope.yaml')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^error: .*nope\.yaml/m);
  });

  it('a corrupt store: a clear error and a hint, exit 2, no socket or lock left', async () => {
    writeFileSync(join(dir, 'gravity.db'), 'this is not a database, not even close to one');
    writeFileSync(join(dir, 'gravity.yaml'), 'health: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
    const result = await runCli(['start', '--state-dir', dir, '--config', join(dir, 'gravity.yaml')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^error: .*gravity\.db is not a usable SQLite database/m);
    assert.match(result.stderr, /^hint: /m);
    assert.doesNotMatch(result.stderr, stackLine);
    assert.ok(!existsSync(join(dir, 'agent.sock')));
    assert.ok(!existsSync(join(dir, 'agent.pid')));
  });

  it('a full disk: E_STATE_DIR says so and names the file system to free, not "run as root" (a real 64 KiB tmpfs)', async function () {
    if (process.getuid?.() !== 0) {
      // Mounting a small file system to fill needs root.
      this.skip();
    }
    const mountPoint = join(dir, 'small');
    mkdirSync(mountPoint);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      // A container without CAP_SYS_ADMIN cannot mount: nothing to fill.
      this.skip();
    }
    try {
      const stateDir = join(mountPoint, 'state');
      mkdirSync(stateDir, { mode: 0o700 });
      fill(join(mountPoint, 'filler'));
      writeFileSync(join(dir, 'gravity.yaml'), 'health: { listen: "127.0.0.1:0" }\npanel: { enabled: false }\n');
      const result = await runCli(['start', '--foreground', '--state-dir', stateDir, '--config', join(dir, 'gravity.yaml')]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^error: cannot lock state dir .*: no space left on the device$/m);
      assert.match(result.stderr, new RegExp(`^hint: free disk space on the file system that holds ${stateDir} \\('df -h ${stateDir}' shows it\\)`, 'm'));
      assert.doesNotMatch(result.stderr, /root/);
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  });
});

/** Writes into `file` until the file system is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}
