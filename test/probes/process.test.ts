// The process checker against this host's real /proc: a process started by the test is found by its
// command name (also past the kernel's 15-character cut) and by the file name of its argv[0]; once it
// has exited it is not.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { processChecker } from '../../src/probes/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertProblems, mustCompile, runCheck, tempDir } from './helpers.ts';
import type { BadConfig, TempDir } from './helpers.ts';

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function statusOf(processName: string): Promise<string> {
  return (await runCheck(processChecker, mustCompile(processChecker, { processName }))).status;
}

describe('process checker', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('process');
  });
  after(() => dir.remove());

  it('finds a running process by its command name, including names longer than 15 characters', async () => {
    const name = `gravity-probe-test-${process.pid}`;
    const program = join(dir.path, name);
    copyFileSync('/bin/sleep', program);
    chmodSync(program, 0o755);
    const child = spawn(program, ['30'], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await statusOf(name)) === 'running', 3000, 'the process to be found');
      // /proc/<pid>/comm holds only the first 15 characters.
      assert.equal(await statusOf(name.slice(0, 15)), 'running');
    } finally {
      await stop(child);
    }
    const gone = await runCheck(processChecker, mustCompile(processChecker, { processName: name }));
    assert.equal(gone.status, 'failed');
    assert.match(gone.error ?? '', new RegExp(`^no process named "${name}" is running \\(\\d+ processes looked at\\)$`));
  });

  it('finds a process by the file name of its argv[0]', async () => {
    const name = `custom-argv0-${process.pid}`;
    const child = spawn('sleep', ['30'], { argv0: `/opt/bin/${name}`, stdio: 'ignore' });
    try {
      await waitFor(async () => (await statusOf(name)) === 'running', 3000, 'the process to be found');
    } finally {
      await stop(child);
    }
  });

  it('fails for a name no process has', async () => {
    const result = await runCheck(processChecker, mustCompile(processChecker, { processName: 'no-such-daemon-xyz' }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^no process named "no-such-daemon-xyz" is running/);
  });

  it('answers by its deadline', async () => {
    const controller = new AbortController();
    controller.abort();
    const config = mustCompile(processChecker, { processName: 'no-such-daemon-xyz' });
    const result = await processChecker.check(config, { signal: controller.signal, timeoutMs: 20, stateDir: dir.path });
    assert.match(result.error ?? '', /^process check failed: timed out after 20ms scanning \/proc/);
  });

  const bad: BadConfig[] = [
    { name: 'a missing processName', raw: {}, problems: [/^probes\[0\]\.processName: required: a process name/] },
    { name: 'a path', raw: { processName: '/usr/sbin/sshd' }, problems: [/^probes\[0\]\.processName: must be a process name without slashes/] },
    { name: 'a list', raw: { processName: ['sshd'] }, problems: [/^probes\[0\]\.processName: must be/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(processChecker, entry));
});
