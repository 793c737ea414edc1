import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { acquireAgentLock, agentLockName, ensureStateDir, stateDirError } from '../../src/supervisor/state-dir.ts';
import { systemClock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';

const silent = pino({ level: 'silent' });
const takeLock = fileURLToPath(new URL('../fixtures/take-agent-lock.ts', import.meta.url));

/** The pid of a process that has exited: nobody holds it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('supervisor/state-dir', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing state dir with mode 0700', () => {
    const stateDir = join(dir, 'a', 'b');
    ensureStateDir(stateDir);
    assert.ok(existsSync(stateDir));
  });

  it('refuses a state dir that is a file', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    assert.throws(() => ensureStateDir(file), (error: unknown) => isGravityError(error, 'E_STATE_DIR'));
  });

  describe('hints for what the file system says', () => {
    const errnoError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: something`), { code });

    it('a full disk: free space on the file system that holds the state dir, naming it; not "run as root"', () => {
      for (const code of ['ENOSPC', 'EDQUOT']) {
        const error = stateDirError('/var/lib/gravity', errnoError(code), 'lock');
        assert.ok(isGravityError(error, 'E_STATE_DIR'));
        assert.match(error.hint ?? '', /free disk space on the file system that holds \/var\/lib\/gravity/);
        assert.doesNotMatch(error.hint ?? '', /root/);
      }
    });

    it('only a permission problem suggests running as root', () => {
      for (const code of ['EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG', 'EMFILE', 'EIO', 'EBUSY']) {
        assert.doesNotMatch(stateDirError('/s', errnoError(code), 'create').hint ?? '', /root/, code);
      }
      for (const code of ['EACCES', 'EPERM']) assert.match(stateDirError('/s', errnoError(code), 'create').hint ?? '', /root/, code);
      assert.match(stateDirError('/s', errnoError('EROFS'), 'create').hint ?? '', /read-write/);
    });
  });

  it('takes the lock with its pid and releases it', async () => {
    const lock = await acquireAgentLock(dir, systemClock, silent);
    assert.equal(readFileSync(join(dir, agentLockName), 'utf8'), `${process.pid}\n`);
    lock.release();
    assert.ok(!existsSync(join(dir, agentLockName)));
  });

  it('refuses while the holder lives', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, agentLockName), `${holder.pid}\n`);
      await assert.rejects(acquireAgentLock(dir, systemClock, silent), (error: unknown) => isGravityError(error, 'E_AGENT_ALREADY_RUNNING'));
    } finally {
      holder.kill();
    }
  });

  for (const [name, content] of [
    ['a dead pid', () => `${deadPid()}\n`],
    ['no pid at all', () => 'garbage'],
  ] as const) {
    it(`takes over a lock holding ${name}`, async () => {
      writeFileSync(join(dir, agentLockName), content());
      const lock = await acquireAgentLock(dir, systemClock, silent);
      assert.equal(readFileSync(join(dir, agentLockName), 'utf8'), `${process.pid}\n`);
      lock.release();
    });
  }

  it('of several agents racing to take over a stale lock, exactly one gets it', async () => {
    writeFileSync(join(dir, agentLockName), `${deadPid()}\n`);
    const racers = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['--import', 'tsx', takeLock, dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }),
    );
    const exited = racers.map((racer) => new Promise((resolve) => racer.once('exit', resolve)));
    let stderr = '';
    for (const racer of racers) racer.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const outcomes = await Promise.all(racers.map((racer) => new Promise<string>((resolve) => racer.once('message', (message) => resolve(JSON.stringify(message).replaceAll('"', ''))))));
    // The refused ones exit by themselves; the one that took the lock holds it until told.
    racers[outcomes.indexOf('took')]?.send('release');
    await Promise.all(exited);
    assert.deepEqual([...outcomes].sort(), ['E_AGENT_ALREADY_RUNNING', 'E_AGENT_ALREADY_RUNNING', 'E_AGENT_ALREADY_RUNNING', 'took'], stderr);
  });
});
