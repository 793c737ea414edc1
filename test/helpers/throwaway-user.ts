// Tests of file permissions need a second, unprivileged local user: this creates one with a random
// name (a system user without a home), tells what that user gets when it opens a file, and removes it.
// Only root can do this; callers skip with a reason otherwise.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface ThrowawayUser {
  name: string;
  uid: number;
  gid: number;
}

export const canCreateUsers = process.getuid?.() === 0;

function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error?.message || `exit ${result.status}`}`);
  return result.stdout.trim();
}

/** Creates `gravity-test-<random>`; remove it with removeUser, even when the test fails. */
export function createThrowawayUser(): ThrowawayUser {
  const name = `gravity-test-${randomBytes(4).toString('hex')}`;
  run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  return { name, uid: Number(run('id', ['-u', name])), gid: Number(run('id', ['-g', name])) };
}

export function removeUser(user: ThrowawayUser | undefined): void {
  if (user === undefined) return;
  spawnSync('userdel', [user.name], { encoding: 'utf8' });
}

/** What happens when `user` opens `file` for reading: 'read' or the errno code (EACCES, ENOENT, ...). */
export function readAs(user: ThrowawayUser, file: string): string {
  const script = "try { require('node:fs').readFileSync(process.argv[1]); console.log('read'); } catch (error) { console.log(error.code); }";
  const result = spawnSync(process.execPath, ['-e', script, file], { uid: user.uid, gid: user.gid, encoding: 'utf8', cwd: '/' });
  if (result.status !== 0) throw new Error(`cannot run node as ${user.name}: ${result.stderr}`);
  return result.stdout.trim();
}
