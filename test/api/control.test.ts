// The control server and client over a real Unix socket: calls and results, errors that keep their
// catalogue code across the socket, the socket's mode, the grace periods of close() on the server's
// clock, and the client's errors when no agent listens, the socket is stale, or the agent does not
// answer.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import type { Clock } from '../../src/clock.ts';
import { systemClock } from '../../src/clock.ts';
import { GravityError, isGravityError } from '../../src/errors.ts';
import { callAgent, connectControl } from '../../src/api/control-client.ts';
import type { ControlHandlers } from '../../src/api/control-server.ts';
import { controlCloseGraceMs, startControlServer } from '../../src/api/control-server.ts';
import type { SystemFactsResult, TreeResult } from '../../src/api/control-protocol.ts';
import { controlSocketRecheckMs } from '../../src/api/control-protocol.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const tree: TreeResult = {
  now: 2000,
  root: { id: 'agent', path: 'agent', type: 'supervisor', thread: 'main', state: 'running', restart: 'permanent', restarts: 0, startedAt: 1000, children: [] },
};

const systemFacts: SystemFactsResult = {
  cpu: { count: 2, model: 'Intel Xeon' },
  memory: { total: 8 * 1024 ** 3, available: 6 * 1024 ** 3 },
  os: { distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0' },
  disks: [{ mount: '/', fs: '/dev/vda', type: 'ext4', size: 100 * 1024 ** 3, used: 25 * 1024 ** 3, available: 70 * 1024 ** 3 }],
  disksTruncated: false,
  readAt: 1500,
};

function handlers(overrides: Partial<ControlHandlers> = {}): ControlHandlers {
  return {
    ping: () => ({ pid: 42, version: '0.0.0', state: 'running', stateDir: '/x', startedAt: 1000 }),
    tree: () => Promise.resolve(tree),
    ...overrides,
  };
}

describe('api/control server and client', function () {
  this.timeout(10_000);
  let stateDir: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-control-'));
  });
  async function closeAll(): Promise<void> {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }

  afterEach(async () => {
    await closeAll();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function serve(overrides: Partial<ControlHandlers> = {}) {
    const server = await startControlServer({ socketPath: join(stateDir, 'agent.sock'), handlers: handlers(overrides) });
    cleanups.push(() => server.close());
    return server;
  }

  it('answers calls on a socket created with mode 0600, and removes it on close', async () => {
    const server = await serve();
    assert.equal(statSync(server.socketPath).mode & 0o777, 0o600);
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, 42);
    assert.deepEqual(await callAgent({ stateDir }, 'tree'), tree);
    await server.close();
    assert.throws(() => statSync(server.socketPath), /ENOENT/);
  });

  it('leaves the process umask as it was', async () => {
    const before = process.umask();
    await serve();
    assert.equal(process.umask(), before);
  });

  it('carries many calls on one connection, answered by id', async () => {
    await serve();
    const client = await connectControl({ stateDir });
    cleanups.push(() => client.close());
    const results = await Promise.all([client.call('ping'), client.call('tree'), client.call('ping')]);
    assert.equal(results[0].pid, 42);
    assert.equal(results[1].root.id, 'agent');
    assert.equal(results[2].state, 'running');
  });

  it('errors cross the socket as {code, message} and come back as the same catalogue error', async () => {
    await serve({
      tree: () => {
        throw new GravityError('E_CHILD_NOT_FOUND', 'no child x under agent', { details: ['a', 'b'] });
      },
      ping: () => Promise.reject(new Error('something broke')),
    });
    await assert.rejects(callAgent({ stateDir }, 'tree'), (error) => {
      assert.ok(isGravityError(error, 'E_CHILD_NOT_FOUND'));
      assert.equal(error.message, 'no child x under agent');
      assert.deepEqual(error.details, ['a', 'b']);
      return true;
    });
    await assert.rejects(callAgent({ stateDir }, 'ping'), (error) => isGravityError(error, 'E_INTERNAL'));
  });

  it('serves status and history once registered, and refuses them with E_CONTROL_REQUEST until then', async () => {
    await serve();
    await assert.rejects(callAgent({ stateDir }, 'status'), (error) => isGravityError(error, 'E_CONTROL_REQUEST'));
    await assert.rejects(callAgent({ stateDir }, 'history', {}), (error) => isGravityError(error, 'E_CONTROL_REQUEST'));
    await closeAll();
    const asked: unknown[] = [];
    await serve({
      history: (query) => {
        asked.push(query);
        return { events: [{ id: 'e1', time: 1000, type: 'Node Degraded', node: 'node-1' }] };
      },
    });
    assert.deepEqual(await callAgent({ stateDir }, 'history', { node: 'node-1', since: 500 }), {
      events: [{ id: 'e1', time: 1000, type: 'Node Degraded', node: 'node-1' }],
    });
    assert.deepEqual(asked, [{ node: 'node-1', since: 500 }]);
    await assert.rejects(callAgent({ stateDir }, 'history', { limit: -1 }), (error) => isGravityError(error, 'E_CONTROL_REQUEST'));
  });

  it('serves system once registered, refuses it with E_CONTROL_REQUEST until then, and carries its errors by code', async () => {
    await serve();
    await assert.rejects(callAgent({ stateDir }, 'system'), (error) => isGravityError(error, 'E_CONTROL_REQUEST'));
    await closeAll();
    await serve({ system: () => systemFacts });
    assert.deepEqual(await callAgent({ stateDir }, 'system'), systemFacts);
    await closeAll();
    await serve({ system: () => Promise.reject(new GravityError('E_TASK_TIMEOUT', 'task "system-facts" overran its deadline of 5000 ms')) });
    await assert.rejects(callAgent({ stateDir }, 'system'), (error) => isGravityError(error, 'E_TASK_TIMEOUT'));
  });

  it('answers a malformed request with E_CONTROL_REQUEST and keeps the connection', async () => {
    await serve();
    const { connect } = await import('node:net');
    const socket = connect(join(stateDir, 'agent.sock'));
    cleanups.push(() => void socket.destroy());
    const answers: string[] = [];
    socket.setEncoding('utf8').on('data', (chunk: string) => answers.push(...chunk.split('\n').filter(Boolean)));
    socket.write('garbage\n{"id":9,"method":"reboot"}\n{"id":10,"method":"ping"}\n');
    const deadline = Date.now() + 5000;
    while (answers.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const parsed = answers.map((line) => JSON.parse(line) as { id: number | null; ok: boolean; error?: { code: string } });
    assert.deepEqual(
      parsed.map((answer) => [answer.id, answer.ok, answer.error?.code]),
      [
        [null, false, 'E_CONTROL_REQUEST'],
        [9, false, 'E_CONTROL_REQUEST'],
        [10, true, undefined],
      ],
    );
  });

  it('a removed socket file is made again at the next check on its clock, and recheck() does it at once', async () => {
    const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    cleanups.push(() => fake.restore());
    const server = await startControlServer({ socketPath: join(stateDir, 'agent.sock'), clock: systemClock, handlers: handlers() });
    cleanups.push(() => server.close());
    const { unlinkSync, existsSync } = await import('node:fs');
    unlinkSync(server.socketPath);
    await fake.tickAsync(controlSocketRecheckMs - 1);
    assert.equal(existsSync(server.socketPath), false, 'not before the interval');
    await fake.tickAsync(1);
    // setImmediate is not faked: let the listen's I/O run, for up to 2 s of real time.
    const deadline = performance.now() + 2000;
    while (!existsSync(server.socketPath) && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(existsSync(server.socketPath), 'the socket made again');
    assert.equal(statSync(server.socketPath).mode & 0o777, 0o600);
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, 42);

    unlinkSync(server.socketPath);
    assert.equal(await server.recheck(), 'recreated');
    assert.equal(await server.recheck(), 'present');
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, 42);
    await server.close();
    assert.equal(existsSync(server.socketPath), false);
    assert.equal(fake.countTimers(), 0, 'no timer left behind');
  });

  it('close() waits out its grace periods on its clock: streams first, then it ends connections, then destroys them', async () => {
    const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    cleanups.push(() => fake.restore());
    // The server's own clock, over the fake globals, recording what is timed through it.
    const timed: number[] = [];
    const clock: Clock = {
      ...systemClock,
      setTimeout: (callback, ms) => {
        timed.push(ms);
        return systemClock.setTimeout(callback, ms);
      },
    };
    let streaming!: () => void;
    const streamStarted = new Promise<void>((resolve) => (streaming = resolve));
    const server = await startControlServer({
      socketPath: join(stateDir, 'agent.sock'),
      clock,
      handlers: handlers({
        // A stream that does not end when told to: close() must not wait for it past the grace period.
        inspect: () => {
          streaming();
          return { next: () => new Promise<never>(() => undefined) };
        },
      }),
    });
    cleanups.push(() => server.close());
    // A client that keeps its end open after the server ends its own: only a destroy gets rid of it.
    const { connect } = await import('node:net');
    const socket = connect({ path: server.socketPath, allowHalfOpen: true });
    cleanups.push(() => void socket.destroy());
    let ended = false;
    socket.on('end', () => (ended = true)).on('error', () => undefined).resume();
    socket.write('{"id":1,"method":"inspect","params":{"follow":true}}\n');
    await streamStarted;

    /** Lets the sockets' I/O run (setImmediate is not faked) until `done`, or for `ms` of real time. */
    const settle = async (done: () => boolean, ms = 2000): Promise<void> => {
      const deadline = performance.now() + ms;
      while (!done() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    };
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await settle(() => ended, 100);
    assert.equal(ended, false, 'connections are left open while streams may send their last message');
    await fake.tickAsync(controlCloseGraceMs - 1);
    await settle(() => ended, 100);
    assert.equal(ended, false);
    await fake.tickAsync(1);
    await settle(() => ended);
    assert.equal(ended, true, 'the grace period over, the server ends the connection');
    // The server closes once its last connection has: a client that keeps its end open holds it up.
    await settle(() => closed, 100);
    assert.equal(closed, false, 'a client that keeps its end open holds the close up');
    await fake.tickAsync(controlCloseGraceMs - 1);
    await settle(() => closed, 100);
    assert.equal(closed, false);
    await fake.tickAsync(1);
    await settle(() => closed);
    assert.equal(closed, true, 'the second grace period over, the connection is destroyed and the server closed');
    await closing;
    // The first timer is the periodic check of the socket file; close() cancels it.
    assert.deepEqual(timed, [controlSocketRecheckMs, controlCloseGraceMs, controlCloseGraceMs], "every period is timed on the server's clock");
    assert.equal(fake.countTimers(), 0, 'no timer left behind');
  });

  it('no socket, or a missing state dir: E_AGENT_NOT_RUNNING with the one-line message', async () => {
    for (const dir of [stateDir, join(stateDir, 'missing')]) {
      await assert.rejects(callAgent({ stateDir: dir }, 'ping'), (error) => {
        assert.ok(isGravityError(error, 'E_AGENT_NOT_RUNNING'));
        assert.equal(error.message, `no agent is running for state dir ${dir}: start it with 'gravity start'`);
        assert.equal(error.exitCode, 3);
        return true;
      });
    }
  });

  it('a stale socket (its agent was killed): E_AGENT_NOT_RUNNING, and a new server replaces it', async () => {
    const socketPath = join(stateDir, 'agent.sock');
    spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", socketPath]);
    assert.ok(statSync(socketPath).isSocket());
    await assert.rejects(callAgent({ stateDir }, 'ping'), (error) => isGravityError(error, 'E_AGENT_NOT_RUNNING'));
    await serve();
    assert.equal((await callAgent({ stateDir }, 'ping')).pid, 42);
  });

  it('refuses to replace something that is not a socket', async () => {
    writeFileSync(join(stateDir, 'agent.sock'), 'not a socket');
    await assert.rejects(serve(), (error) => isGravityError(error, 'E_STATE_DIR'));
  });

  it('an agent that does not answer: E_AGENT_UNREACHABLE after the timeout', async () => {
    const accepted: Socket[] = [];
    const silent: Server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(join(stateDir, 'agent.sock'), resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
          for (const socket of accepted) socket.destroy();
        }),
    );
    const started = Date.now();
    await assert.rejects(callAgent({ stateDir, timeoutMs: 200 }, 'ping'), (error) => isGravityError(error, 'E_AGENT_UNREACHABLE'));
    assert.ok(Date.now() - started < 3000);
  });

  it('an agent that hangs up mid-call: E_AGENT_UNREACHABLE', async () => {
    const rude: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => rude.listen(join(stateDir, 'agent.sock'), resolve));
    cleanups.push(() => new Promise<void>((resolve) => rude.close(() => resolve())));
    await assert.rejects(callAgent({ stateDir, timeoutMs: 2000 }, 'ping'), (error) => isGravityError(error, 'E_AGENT_UNREACHABLE'));
  });

  it('a socket the user may not open: E_AGENT_ACCESS_DENIED', async function () {
    await serve();
    // root may open any socket: then the client runs as nobody; otherwise the socket loses its mode.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chmodSync(stateDir, 0o755);
    else chmodSync(join(stateDir, 'agent.sock'), 0o000);
    const script = [
      'const { callAgent } = await import(process.argv[1]);',
      'try { await callAgent({ stateDir: process.argv[2] }, "ping"); console.log("ok"); }',
      'catch (error) { console.log(error.code); }',
    ].join('\n');
    const client = new URL('../../src/api/control-client.ts', import.meta.url).href;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, client, stateDir], {
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      encoding: 'utf8',
      cwd: repoRoot,
    });
    if (asRoot && result.status !== 0 && result.stdout.trim() === '') {
      // nobody cannot even load the client here (e.g. a private checkout): nothing to conclude.
      this.skip();
    }
    assert.equal(result.stdout.trim(), 'E_AGENT_ACCESS_DENIED', result.stderr);
  });
});
