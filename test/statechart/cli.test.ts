// `gravity debug statechart` as a real process: --list, each format on stdout (the DOT piped through
// Graphviz's `dot -Tsvg`), usage errors as one line and exit 2 without a stack, and --actor against a
// real agent: the probe's and the node's current states marked, unknown paths, supervisors and
// actors of another machine refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callAgent } from '../../src/api/control-client.ts';
import { ExitCode } from '../../src/errors.ts';
import type { TreeNodeInfo } from '../../src/supervisor/child.ts';
import { drawableMachineNames } from '../../src/statechart/registry.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { runCli, startConfiguredAgent } from '../cli/run-cli.ts';

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

function hasDot(): boolean {
  const result = spawnSync('dot', ['-V'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

function nodes(root: TreeNodeInfo): TreeNodeInfo[] {
  return [root, ...(root.children ?? []).flatMap(nodes)];
}

describe('gravity debug statechart (real process)', function () {
  this.timeout(60_000);

  it('--list prints every machine with a description, exit 0', async () => {
    const result = await runCli(['debug', 'statechart', '--list']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), drawableMachineNames());
    for (const line of lines) assert.match(line, /^\S+\s{2,}\S.{10,}$/);
  });

  it('draws Mermaid by default; --format dot goes through dot -Tsvg; svg, json and scxml', async function () {
    const mermaid = await runCli(['debug', 'statechart', 'probe']);
    assert.equal(mermaid.code, 0, mermaid.stderr);
    assert.ok(mermaid.stdout.startsWith('stateDiagram-v2\n'));
    const dot = await runCli(['debug', 'statechart', 'probe', '--format', 'dot']);
    assert.equal(dot.code, 0, dot.stderr);
    assert.ok(dot.stdout.startsWith('digraph "probe" {'));
    const json = await runCli(['debug', 'statechart', 'phase', '--format', 'json']);
    assert.equal((JSON.parse(json.stdout) as { id: string }).id, 'phase');
    const scxml = await runCli(['debug', 'statechart', 'hook-job', '--format', 'scxml']);
    assert.match(scxml.stdout, /^<\?xml[\s\S]*<scxml [\s\S]*<\/scxml>\n$/);
    if (!hasDot()) {
      console.log('      (dot -Tsvg part skipped: Graphviz is not installed; apt-get install graphviz)');
      return;
    }
    const piped = spawnSync('dot', ['-Tsvg'], { input: dot.stdout, encoding: 'utf8' });
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stdout, />checking<\/text>/);
    const svg = await runCli(['debug', 'statechart', 'node', '--format', 'svg']);
    assert.equal(svg.code, 0, svg.stderr);
    assert.match(svg.stdout, /<svg[\s\S]*>starting<\/text>[\s\S]*<\/svg>/);
  });

  it('an unknown machine: one line naming the machines, exit 2, no stack', async () => {
    const result = await runCli(['debug', 'statechart', 'supervisorz']);
    assert.equal(result.code, ExitCode.usage);
    assert.equal(result.stdout, '');
    const [first, second] = result.stderr.split('\n');
    assert.equal(first, `error: no machine named 'supervisorz': choose one of ${drawableMachineNames().join(', ')}`);
    assert.equal(second, "hint: 'gravity debug statechart --list' lists the machines");
    assert.doesNotMatch(result.stderr, stackLine);
  });

  it('no name, or a bad format: usage errors, exit 2', async () => {
    for (const args of [['debug', 'statechart'], ['debug', 'statechart', 'probe', '--format', 'png']]) {
      const result = await runCli(args);
      assert.equal(result.code, ExitCode.usage, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /m);
      assert.doesNotMatch(result.stderr, stackLine);
    }
  });

  it('--actor with no agent running: the not-running error, exit 3', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gravity-statechart-none-'));
    try {
      const result = await runCli(['debug', 'statechart', 'probe', '--actor', 'agent/probes/probe:memory', '--state-dir', stateDir]);
      assert.equal(result.code, ExitCode.agentState);
      assert.match(result.stderr, /^error: no agent is running for state dir /);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  describe('--actor against a running agent', () => {
    let stateDir: string;
    let agent: Spawned;
    let probePath: string;
    let nodePath: string;

    before(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'gravity-statechart-'));
      agent = await startConfiguredAgent(stateDir, ['cluster: { name: test }', 'node: { name: n1 }', 'health: { listen: "127.0.0.1:0" }', 'panel: { enabled: false }', 'probes:', '  - checker: memory']);
      const { root } = await callAgent({ stateDir }, 'tree');
      const all = nodes(root);
      probePath = all.find((node) => node.id.startsWith('probe:'))?.path ?? 'no probe in the tree';
      nodePath = all.find((node) => node.id.startsWith('node:'))?.path ?? 'no node in the tree';
    });

    after(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.child.kill('SIGTERM');
        await agent.finished;
      }
      rmSync(stateDir, { recursive: true, force: true });
    });

    it("marks the probe's active states: both regions and their leaves", async () => {
      const result = await runCli(['debug', 'statechart', 'probe', '--actor', probePath, '--format', 'json', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      const { active } = JSON.parse(result.stdout) as { active: string[] };
      assert.deepEqual(active.slice(0, 2), ['probe.active', 'probe.active.status']);
      assert.match(active[2] ?? '', /^probe\.active\.status\.(unknown|running|failed)$/);
      assert.equal(active[3], 'probe.active.cycle');
      assert.match(active[4] ?? '', /^probe\.active\.cycle\.(checking|waiting)$/);
      const mermaid = await runCli(['debug', 'statechart', 'probe', '--actor', probePath, '--state-dir', stateDir]);
      assert.equal(mermaid.code, 0, mermaid.stderr);
      assert.match(mermaid.stdout, /^ {2}class active__status__(unknown|running|failed) active$/m);
    });

    it("marks the node's state", async () => {
      const result = await runCli(['debug', 'statechart', 'node', '--actor', nodePath, '--format', 'dot', '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"node\.(starting|running|degraded)" \[[^\]]*filled/);
    });

    it("marks any child's state under its supervisor on the supervisor chart", async () => {
      for (const path of ['agent/probes', probePath]) {
        const result = await runCli(['debug', 'statechart', 'supervisor', '--actor', path, '--format', 'json', '--state-dir', stateDir]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual((JSON.parse(result.stdout) as { active: string[] }).active, ['supervisor.running'], path);
      }
    });

    it('an unknown path, a supervisor, or an actor of another machine: clear errors, exit 2', async () => {
      const unknown = await runCli(['debug', 'statechart', 'probe', '--actor', 'agent/nope', '--state-dir', stateDir]);
      assert.equal(unknown.code, ExitCode.usage);
      assert.equal(unknown.stderr.split('\n')[0], "error: no actor at path 'agent/nope' in the agent's supervision tree");
      assert.match(unknown.stderr, new RegExp(`hint: .*${probePath}`));
      const supervisor = await runCli(['debug', 'statechart', 'probe', '--actor', 'agent', '--state-dir', stateDir]);
      assert.equal(supervisor.code, ExitCode.usage);
      assert.match(supervisor.stderr, /^error: 'agent' has no machine state to mark: it is a supervisor/);
      const other = await runCli(['debug', 'statechart', 'phase', '--actor', nodePath, '--state-dir', stateDir]);
      assert.equal(other.code, ExitCode.usage);
      assert.match(other.stderr, /^error: the phase machine has no state '\w+'/);
      for (const result of [unknown, supervisor, other]) assert.doesNotMatch(result.stderr, stackLine);
    });
  });
});
