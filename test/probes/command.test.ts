// The command checker with real processes: exit 0 is running; a failing exit code, a signal or a
// program that cannot be run is failed with the output (one line, at most 4 KiB kept); a command that
// hangs is killed with its whole process group at the deadline (asserted from /proc).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { commandChecker, formatArgv } from '../../src/probes/command.ts';
import { liveGroupMembers } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertProblems, mustCompile, runCheck, tempDir } from './helpers.ts';
import type { BadConfig, TempDir } from './helpers.ts';

describe('command checker', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('command');
  });
  after(() => dir.remove());

  const check = async (raw: Record<string, unknown>, timeoutMs = 5000): Promise<{ status: string; error?: string; elapsedMs: number }> =>
    runCheck(commandChecker, mustCompile(commandChecker, raw), timeoutMs);

  it('is running when the command exits 0', async () => {
    const result = await check({ argv: ['true'] });
    assert.deepEqual({ status: result.status, error: result.error }, { status: 'running', error: undefined });
  });

  it('fails with the exit code and the output on one line', async () => {
    const result = await check({ argv: ['sh', '-c', 'echo "disk /data is read-only"; echo "see dmesg" >&2; exit 3'] });
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `sh -c 'echo "disk /data is read-only"; echo "see dmesg" >&2; exit 3' exited with code 3: disk /data is read-only | see dmesg`);
  });

  it('keeps only the last 4 KiB of a long output', async () => {
    const result = await check({ argv: ['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x; echo; echo the-end; exit 1'] });
    assert.equal(result.status, 'failed');
    const error = result.error ?? '';
    assert.ok(error.endsWith('the-end'), error.slice(-50));
    assert.match(error, /exited with code 1: …\(truncated\) \| x+/);
    assert.ok(error.length < 4096 + 200, `error is ${error.length} characters`);
  });

  it('passes env and workingDir to the command', async () => {
    const result = await check({ argv: ['sh', '-c', 'test "$PROBE_MODE" = strict && test "$(pwd)" = "$EXPECTED"'], env: { PROBE_MODE: 'strict', EXPECTED: dir.path }, workingDir: dir.path });
    assert.equal(result.status, 'running', result.error);
  });

  it('fails clearly when the program does not exist', async () => {
    const result = await check({ argv: ['/nonexistent/health-check', '--quick'] });
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^cannot run \/nonexistent\/health-check: no such file or directory/);
  });

  it('fails when the command is killed by a signal', async () => {
    const result = await check({ argv: ['sh', '-c', 'kill -KILL $$'] });
    assert.equal(result.error, `sh -c 'kill -KILL $$' was killed by SIGKILL`);
  });

  it('kills the whole process group at the deadline and leaves nothing behind', async () => {
    const pidFile = `${dir.path}/group.pid`;
    const script = `echo $$ > ${pidFile}; echo started; sleep 30 & sleep 31`;
    const result = await check({ argv: ['sh', '-c', script] }, 400);
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `sh -c '${script}' timed out after 400ms and its process group was killed: started`);
    assert.ok(result.elapsedMs >= 350 && result.elapsedMs < 2000, `took ${result.elapsedMs} ms`);
    // sh -c runs as the group leader: its pid is the group id.
    const pgid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(pgid > 1);
    await waitFor(() => liveGroupMembers(pgid).length === 0, 3000, `process group ${pgid} to be gone`);
  });

  it('formats argv as an operator would type it', () => {
    assert.equal(formatArgv(['/usr/bin/check', '--flag=1', 'two words', "it's"]), `/usr/bin/check --flag=1 'two words' 'it'\\''s'`);
  });

  const bad: BadConfig[] = [
    { name: 'a missing argv', raw: {}, problems: [/^probes\[0\]\.argv: required: a list: the program and its arguments/] },
    { name: 'a string argv', raw: { argv: 'true' }, problems: [/^probes\[0\]\.argv: must be a list/] },
    { name: 'an empty argv', raw: { argv: [] }, problems: [/^probes\[0\]\.argv: must be a list/] },
    { name: 'an empty program', raw: { argv: [''] }, problems: [/^probes\[0\]\.argv\[0\]: must be the program to run/] },
    { name: 'a number argument', raw: { argv: ['echo', 3] }, problems: [/^probes\[0\]\.argv\[1\]: must be a string, got 3$/] },
    { name: 'env as a list', raw: { argv: ['true'], env: ['A=1'] }, problems: [/^probes\[0\]\.env: must be a mapping/] },
    { name: 'a bad env name', raw: { argv: ['true'], env: { 'A-B': '1', C: 2 } }, problems: [/^probes\[0\]\.env\.A-B: /, /^probes\[0\]\.env\.C: .*got 2$/] },
    { name: 'an empty workingDir', raw: { argv: ['true'], workingDir: '' }, problems: [/^probes\[0\]\.workingDir: must be a directory path/] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(commandChecker, entry));
});
