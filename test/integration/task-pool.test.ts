// The task pool in a real agent (`gravity start` as a process): `gravity status` shows this node's
// system facts read in the pool (CPU count as Node sees it, memory total as /proc/meminfo says),
// `gravity debug tree` shows the pool as a running child of the root, and SIGTERM stops the pool with
// the rest of the tree: its threads are gone, the log says so, and the agent exits 0.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemFactsCacheMs } from '../../src/actors/system-facts.ts';
import type { SystemFactsResult } from '../../src/api/control-protocol.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { killAgent, logRecords, runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { waitForValue } from '../helpers/wait.ts';

/** MemTotal from /proc/meminfo, in bytes. */
function memTotalBytes(): number {
  const kib = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  assert.ok(kib !== undefined, 'MemTotal in /proc/meminfo');
  return Number(kib) * 1024;
}

/** Live threads of a process (its main thread included), from /proc. */
function threadCount(pid: number): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('integration: the task pool in a real agent', function () {
  this.timeout(90_000);
  let stateDir: string;
  let agent: Spawned | undefined;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-pool-'));
    agent = await startConfiguredAgent(stateDir, ['node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { enabled: false }', 'probes: []']);
  });
  after(async () => {
    await killAgent(agent);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('gravity status --format json carries the system facts: CPU count as os.cpus(), memory total as /proc/meminfo', async () => {
    const result = await runCli(['status', '--format', 'json', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const { system } = JSON.parse(result.stdout) as { system?: SystemFactsResult };
    assert.ok(system !== undefined, result.stdout);
    assert.equal(system.cpu.count, cpus().length);
    assert.ok(system.cpu.model !== '');
    // Both read MemTotal; allow one page of rounding.
    assert.ok(Math.abs(system.memory.total - memTotalBytes()) <= 4096, `${system.memory.total} vs ${memTotalBytes()}`);
    assert.ok(system.os.kernel !== '' && system.os.distro !== '');
    assert.ok(system.disks.some((disk) => disk.mount === '/' && disk.size > 0), JSON.stringify(system.disks));

    // A second status soon after is served the same reading, unless the cache time passed meanwhile.
    const again = await runCli(['status', '--format', 'json', '--state-dir', stateDir]);
    assert.equal(again.code, 0, again.stderr);
    const second = (JSON.parse(again.stdout) as { system: SystemFactsResult }).system;
    assert.ok(second.readAt === system.readAt || second.readAt - system.readAt >= systemFactsCacheMs, `${system.readAt} then ${second.readAt}`);
  });

  it('gravity status shows the System section: CPU count and model, memory, OS and kernel, disks', async () => {
    const result = await runCli(['status', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout;
    assert.match(text, /^System:$/m);
    assert.match(text, new RegExp(`^ {4}CPU: {5}${cpus().length} × \\S`, 'm'));
    assert.match(text, /^ {4}Memory: {2}\d+\.\d [KMGT]iB available of \d+\.\d [KMGT]iB$/m);
    assert.match(text, /^ {4}OS: {6}.+ \(kernel .+\)$/m);
    assert.match(text, /^ {4}Disks:$/m);
    assert.match(text, /^ {8}\/ +\d+\.\d [KMGTP]iB +\d+\.\d [KMGTP]iB used +\d+\.\d [KMGTP]iB available$/m);
  });

  it('gravity debug tree shows the task pool as a running child of the root, on the main thread', async () => {
    const result = await runCli(['debug', 'tree', '--format', 'json', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    const view = JSON.parse(result.stdout) as { root: { id: string; children: { id: string; thread: string; state: string; restarts: number }[] } };
    assert.equal(view.root.id, 'agent');
    const tasks = view.root.children[0];
    assert.deepEqual(tasks && { id: tasks.id, thread: tasks.thread, state: tasks.state, restarts: tasks.restarts }, { id: 'tasks', thread: 'main', state: 'running', restarts: 0 });
  });

  it('SIGTERM: the pool stops last, drained, with no thread left, and the agent exits 0', async () => {
    assert.ok(agent !== undefined);
    const pid = agent.child.pid;
    assert.ok(pid !== undefined);
    const started = await waitForValue(() => logRecords(agent?.stdout() ?? '').find((record) => record.msg === 'task pool started'), 10_000, 'the pool started log line');
    assert.deepEqual({ min: started.minThreads, max: started.maxThreads }, { min: 1, max: 2 });
    assert.ok(threadCount(pid) > 1, 'the agent runs threads beside its main one');

    agent.child.kill('SIGTERM');
    const finished = await agent.finished;
    assert.equal(finished.code, 0, finished.stderr);
    const records = logRecords(finished.stdout);
    const stops = records.filter((record) => record.action === 'stop' && record.supervisor === 'agent').map((record) => record.child);
    assert.equal(stops.at(-1), 'tasks', 'the pool stops after every other child');
    const stopped = records.find((record) => record.msg === 'task pool stopped');
    assert.ok(stopped !== undefined, finished.stdout);
    assert.deepEqual({ how: stopped.how, state: stopped.state, threads: stopped.threads, inFlight: stopped.inFlight }, { how: 'closed', state: 'closed', threads: 0, inFlight: 0 });
    assert.ok(
      records.findIndex((record) => record.msg === 'task pool stopped') < records.findIndex((record) => record.lifecycle === 'stopped'),
      'the pool stopped before the agent did',
    );
  });
});
