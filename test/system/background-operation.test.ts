// The detached branch of a background operation, with real processes: a live lock holder refuses
// before anything starts; a process that ends before it takes the lock is reported with its exit
// code and the readable end of its log (only this run's part of it); one that ends at once with 0
// has simply finished.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGravityError } from '../../src/errors.ts';
import { operationLogFile, startBackgroundOperation } from '../../src/system/background-operation.ts';
import type { BackgroundOperationOptions } from '../../src/system/background-operation.ts';

describe('system/background-operation (detached)', function () {
  this.timeout(30_000);
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-background-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const options = (args: string[], overrides: Partial<BackgroundOperationOptions> = {}): BackgroundOperationOptions => ({
    unitName: 'gravity-resume',
    description: 'test',
    operationId: 'op-1',
    stateDir,
    args,
    lockHolder: () => undefined,
    env: { GRAVITY_SYSTEMD: 'off' },
    ...overrides,
  });

  it('refuses, without starting anything, while a live process holds the operation lock', async () => {
    const holder = { operationId: 'op-1', pid: process.pid, hostname: hostname(), since: 0 };
    await assert.rejects(startBackgroundOperation(options(['--version'], { lockHolder: () => holder })), (error) => {
      assert.ok(isGravityError(error, 'E_OPERATION_LOCKED'));
      assert.equal(error.message, `operation op-1 is already running (pid ${process.pid} on ${hostname()})`);
      return true;
    });
  });

  it('reports a process that ended before it took the lock, with the end of this run of its log', async () => {
    const first = startBackgroundOperation(options(['--no-such-flag']));
    await assert.rejects(first, (error) => isGravityError(error, 'E_BACKGROUND_FAILED'));
    await assert.rejects(startBackgroundOperation(options(['--no-such-flag'])), (error) => {
      assert.ok(isGravityError(error, 'E_BACKGROUND_FAILED'));
      assert.match(error.message, /^the background process \(pid \d+\) exited with code 2 before it took the operation lock$/);
      assert.deepEqual(error.details, ["error: unknown option '--no-such-flag'", '(run with --help for usage)']);
      return true;
    });
    assert.equal(readFileSync(operationLogFile(stateDir, 'op-1'), 'utf8').split('unknown option').length - 1, 2, 'the log keeps both runs');
  });

  it('a process that ends with 0 at once has finished', async () => {
    const started = await startBackgroundOperation(options(['--version']));
    assert.equal(started.via, 'detached');
    assert.ok(started.via === 'detached' && started.exitCode === 0 && !started.lockTaken);
  });
});
