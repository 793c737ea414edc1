// The gate a recorded command starts behind, with real processes: opened, it runs the command in its
// own pid; closed unanswered (its caller died), it exits without running anything. And the program
// lookup that lets a gated command fail as spawn would.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, gateClosedExitCode, gatedCommand, gateOpenLine } from '../../src/actors/command-gate.ts';

function run(argv: readonly string[], input: string | undefined): Promise<{ code: number | null; output: string }> {
  const [file, args] = gatedCommand(argv);
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  if (input === undefined) child.stdin.end();
  else child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

describe('command gate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-gate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opened, runs the command with its arguments as they are (no shell sees them), in the same process', async () => {
    const result = await run(['sh', '-c', 'echo "$0:$1" $$', 'a b', '$HOME;*'], gateOpenLine);
    assert.equal(result.code, 0);
    assert.match(result.output, /^a b:\$HOME;\* \d+\n$/);
  });

  it('closed unanswered (its caller died first), exits without running the command', async () => {
    const marker = join(dir, 'marker');
    const result = await run(['touch', marker], undefined);
    assert.equal(result.code, gateClosedExitCode);
    assert.equal(existsSync(marker), false);
  });

  it('finds programs as spawn would: in PATH, by a path relative to the working directory, and tells ENOENT from EACCES', () => {
    writeFileSync(join(dir, 'plain'), 'not executable');
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    assert.equal(findProgram('sh', process.env.PATH, undefined), 'ok');
    assert.equal(findProgram('tool', dir, undefined), 'ok');
    assert.equal(findProgram('./tool', undefined, dir), 'ok');
    assert.equal(findProgram('no-such-gravity-program', process.env.PATH, undefined), 'ENOENT');
    assert.equal(findProgram('./plain', undefined, dir), 'EACCES');
    assert.equal(findProgram('plain', dir, undefined), 'EACCES');
  });
});
