// The small environment readers of the systemd support: GRAVITY_SYSTEMD and sd_booted(), the debug
// hooks' switch, the extensions `gravity start` adds from the environment (and the notify variables
// it takes out of it), and how gravity finds the command that runs itself again.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isGravityError } from '../../src/errors.ts';
import { debugHooksSettings, defaultBlockMs } from '../../src/system/debug-hooks.ts';
import { gravityCommand } from '../../src/system/gravity-command.ts';
import { systemExtensions } from '../../src/system/system-extensions.ts';
import { systemdMode, systemdRunning } from '../../src/system/systemd-env.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { repoRoot } from '../cli/run-cli.ts';

describe('system: environment', () => {
  describe('GRAVITY_SYSTEMD and sd_booted()', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'gravity-booted-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('auto: systemd runs when its runtime directory exists', () => {
      const booted = join(dir, 'run-systemd-system');
      assert.equal(systemdRunning({}, booted), false);
      mkdirSync(booted);
      assert.equal(systemdRunning({}, booted), true);
      assert.equal(systemdRunning({ GRAVITY_SYSTEMD: 'auto' }, booted), true);
    });

    it('on and off override the guess; anything else is a usage error', () => {
      assert.equal(systemdRunning({ GRAVITY_SYSTEMD: 'on' }, join(dir, 'missing')), true);
      assert.equal(systemdRunning({ GRAVITY_SYSTEMD: 'OFF' }, dir), false);
      assert.equal(systemdMode({ GRAVITY_SYSTEMD: '' }), 'auto');
      assert.throws(() => systemdMode({ GRAVITY_SYSTEMD: 'yes' }), (error) => isGravityError(error, 'E_USAGE'));
    });
  });

  it('debug hooks are off unless GRAVITY_DEBUG_HOOKS=1; the block time is validated', () => {
    assert.equal(debugHooksSettings({}), undefined);
    assert.equal(debugHooksSettings({ GRAVITY_DEBUG_HOOKS: 'yes' }), undefined);
    assert.deepEqual(debugHooksSettings({ GRAVITY_DEBUG_HOOKS: '1' }), { blockMs: defaultBlockMs });
    assert.deepEqual(debugHooksSettings({ GRAVITY_DEBUG_HOOKS: '1', GRAVITY_DEBUG_BLOCK_MS: '2500' }), { blockMs: 2500 });
    assert.throws(() => debugHooksSettings({ GRAVITY_DEBUG_HOOKS: '1', GRAVITY_DEBUG_BLOCK_MS: '2s' }), (error) => isGravityError(error, 'E_USAGE'));
  });

  it('start adds the notify extension only with NOTIFY_SOCKET, and takes the notify variables out of the environment', () => {
    const { logger, records } = captureLog();
    assert.deepEqual(systemExtensions({}, logger, 42), []);

    const env: Record<string, string | undefined> = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42', GRAVITY_DEBUG_HOOKS: '1', PATH: '/bin' };
    const extensions = systemExtensions(env, logger, 42);
    assert.deepEqual(extensions.map((extension) => extension.name), ['debug-hooks', 'systemd-notify'], 'notify last');
    assert.deepEqual(env, { GRAVITY_DEBUG_HOOKS: '1', PATH: '/bin' }, 'children do not inherit the notify variables');

    assert.deepEqual(systemExtensions({ NOTIFY_SOCKET: 'notify' }, logger, 42), []);
    assert.ok(records.some((record) => record.level === 'warn' && String(record.msg).startsWith('NOTIFY_SOCKET must be an absolute path')));
  });

  it('runs itself again with absolute paths: from the sources through the tsx loader, from the build as node and main.js', () => {
    const fromSources = gravityCommand({ execPath: '/usr/bin/node', moduleUrl: pathToFileURL(join(repoRoot, 'src/system/gravity-command.ts')).href });
    assert.deepEqual(fromSources, ['/usr/bin/node', '--import', join(repoRoot, 'node_modules/tsx/dist/loader.mjs'), join(repoRoot, 'src/cli/main.ts')]);
    const built = join(repoRoot, 'dist/src/cli/main.js');
    if (existsSync(built)) {
      assert.deepEqual(gravityCommand({ execPath: '/usr/bin/node', moduleUrl: pathToFileURL(join(repoRoot, 'dist/src/system/gravity-command.js')).href }), ['/usr/bin/node', built]);
    }
    assert.throws(() => gravityCommand({ execPath: '/usr/bin/node', moduleUrl: 'file:///nowhere/src/system/gravity-command.js' }), (error) => isGravityError(error, 'E_INTERNAL'));
  });
});
