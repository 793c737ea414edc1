// The chart exports, for every machine, checked against the model derived from the machine (never a
// hand-written list): Mermaid, DOT, JSON and SCXML contain every state and transition; their shape
// (composite states, parallel regions, initial and final markers, active marking); and the real
// tools: Graphviz's `dot -Tsvg` draws every DOT chart, the Mermaid CLI (with Debian's chromium)
// draws every Mermaid chart, and SCXML parses as XML. A tool that is not installed skips its test
// with a message; .ci/run installs graphviz and chromium.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGravityError } from '../../src/errors.ts';
import { activeStateIds, allStates, machineModel } from '../../src/statechart/graph.ts';
import type { MachineModel } from '../../src/statechart/graph.ts';
import { drawableMachines } from '../../src/statechart/registry.ts';
import { drawnTransitions, toDot, toJson, toMermaid, toScxml, toSvg } from '../../src/statechart/render.ts';
import { drawMermaidMarkdown, mermaidCliMissing } from '../helpers/mermaid-cli.ts';

const models: MachineModel[] = drawableMachines.map(({ machine }) => machineModel(machine));
const probe = machineModel(drawableMachines[0]!.machine);
const probeActive = activeStateIds(probe, { active: { status: 'failed', cycle: 'checking' } });

/** An example state value for each machine: its first leaf, all regions included. */
function someActive(model: MachineModel): string[] {
  return model.id === 'probe' ? probeActive : allStates(model).slice(1, 2).map((state) => state.id);
}

function hasCommand(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

function mermaidId(state: { path: string[] }): string {
  return state.path.join('__');
}

describe('statechart rendering', () => {
  it('Mermaid: every state declared, every transition drawn with its label, initial and final markers', () => {
    for (const model of models) {
      const text = toMermaid(model);
      assert.ok(text.startsWith('stateDiagram-v2\n'), model.id);
      for (const state of allStates(model).slice(1)) {
        const declaration = state.kind === 'compound' || state.kind === 'parallel' ? `state "${state.key}" as ${mermaidId(state)} {` : `state "${state.key}" as ${mermaidId(state)}`;
        assert.ok(text.split('\n').some((line) => line.trim() === declaration), `${model.id}: ${declaration}`);
        if (state.kind === 'final') assert.ok(text.includes(`${mermaidId(state)} --> [*]`), `${model.id}: final ${state.id}`);
        for (const actor of state.invokes) assert.ok(text.includes(`${mermaidId(state)} : invoke ${actor}`), `${model.id}: invoke ${actor}`);
      }
      const byId = new Map(allStates(model).map((state) => [state.id, state]));
      for (const arrow of drawnTransitions(model)) {
        const line = `  ${mermaidId(byId.get(arrow.source)!)} --> ${mermaidId(byId.get(arrow.target)!)} : ${arrow.label}`;
        assert.ok(text.split('\n').includes(line), `${model.id}: ${line}`);
      }
      for (const transition of model.transitions) assert.ok(text.includes(` : ${transition.label}\n`), `${model.id}: ${transition.label}`);
      const initial = byId.get(model.root.initial ?? '');
      assert.ok(initial !== undefined && text.includes(`  [*] --> ${mermaidId(initial)}\n`), model.id);
    }
  });

  it('Mermaid: parallel regions separated by --, nested composites, active states in class active', () => {
    const text = toMermaid(probe, { active: probeActive });
    assert.match(text, /state "active" as active \{\n\s+state "status" as active__status \{[\s\S]*\n\s+--\n\s+state "cycle" as active__cycle \{/);
    assert.match(text, /\[\*\] --> active__cycle__checking/);
    assert.match(text, /^ {2}classDef active fill:[^\n]+$/m);
    const marked = text.split('\n').filter((line) => line.startsWith('  class ')).map((line) => line.trim());
    assert.deepEqual(marked, ['class active active', 'class active__status active', 'class active__status__failed active', 'class active__cycle active', 'class active__cycle__checking active']);
    assert.ok(!toMermaid(probe).includes('  class '), 'nothing marked without --actor');
    // The machine's own SHUTDOWN is drawn from the top-level state it applies in.
    assert.ok(text.includes('  active --> stopped : SHUTDOWN\n'));
  });

  it('DOT: clusters for compound states, a point per initial state, double circles for finals, every transition', () => {
    for (const model of models) {
      const text = toDot(model);
      assert.ok(text.startsWith(`digraph "${model.id}" {\n  compound=true;`), model.id);
      for (const state of allStates(model).slice(1)) {
        if (state.kind === 'compound' || state.kind === 'parallel') {
          assert.ok(text.includes(`subgraph "cluster_${state.id}" {`), `${model.id}: cluster ${state.id}`);
        } else {
          assert.ok(text.includes(`"${state.id}" [label="${[state.key, ...state.invokes.map((actor) => `invoke ${actor}`)].join('\\n')}"`), `${model.id}: ${state.id}`);
        }
        if (state.kind === 'final') assert.match(text, new RegExp(`"${state.id.replace(/\./g, '\\.')}" \\[[^\\]]*shape=doublecircle`));
        if (state.initial !== undefined) assert.ok(text.includes(`"${state.id}.__initial" [shape=point`), `${model.id}: initial of ${state.id}`);
      }
      for (const transition of model.transitions) assert.ok(text.includes(`label="${transition.label}"`), `${model.id}: ${transition.label}`);
      const edges = text.split('\n').filter((line) => line.includes(' -> ') && line.includes('label='));
      assert.equal(edges.length, drawnTransitions(model).length, model.id);
    }
  });

  it('DOT: active states filled, their clusters shaded', () => {
    const text = toDot(probe, { active: probeActive });
    assert.match(text, /"probe\.active\.status\.failed" \[[^\]]*style="rounded,filled"/);
    assert.match(text, /"probe\.active\.cycle\.checking" \[[^\]]*style="rounded,filled"/);
    assert.doesNotMatch(text, /"probe\.active\.status\.running" \[[^\]]*filled/);
    assert.match(text, /subgraph "cluster_probe\.active\.status" \{\n\s+label="status";\n\s+style="dashed,filled";/);
    assert.ok(!toDot(probe).includes('filled'), 'nothing filled without --actor');
  });

  it('JSON: the model itself, and the active states when given', () => {
    for (const model of models) assert.deepEqual(JSON.parse(toJson(model)), JSON.parse(JSON.stringify(model)));
    const marked = JSON.parse(toJson(probe, { active: probeActive })) as { active: string[] };
    assert.deepEqual(marked.active, probeActive);
  });

  it('SCXML: every state as <state>/<parallel>/<final>, every transition with event, target and cond', () => {
    for (const model of models) {
      const text = toScxml(model);
      assert.ok(text.includes(`<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="${model.id}" initial="${model.root.id}">`));
      for (const state of allStates(model)) {
        const element = state.kind === 'parallel' ? 'parallel' : state.kind === 'final' ? 'final' : 'state';
        assert.match(text, new RegExp(`<${element} id="${state.id.replace(/\./g, '\\.')}"[ />]`), `${model.id}: ${state.id}`);
        if (state.initial !== undefined) assert.ok(text.includes(`id="${state.id}" initial="${state.initial}"`), state.id);
      }
      const transitionLines = text.split('\n').filter((line) => line.trim().startsWith('<transition'));
      assert.equal(transitionLines.length, model.transitions.length, model.id);
      for (const transition of model.transitions) {
        const found = transitionLines.some(
          (line) =>
            (transition.event === undefined ? !line.includes('event=') : line.includes(`event="${transition.event}"`)) &&
            line.includes(`target="${transition.targets.join(' ')}"`) === transition.targets.length > 0 &&
            (transition.guard === undefined || line.includes(`cond="${transition.guard}"`)),
        );
        assert.ok(found, `${model.id}: ${transition.label}`);
      }
    }
  });

  it('SCXML parses as XML (python3 xml.dom.minidom), with the element counts of the model', function () {
    if (!hasCommand('python3', ['-c', 'import xml.dom.minidom'])) {
      this.skip(); // python3 is not installed: .ci/run installs it
    }
    const script = [
      'import json, sys, xml.dom.minidom',
      'doc = xml.dom.minidom.parseString(sys.stdin.read())',
      'print(json.dumps({t: len(doc.getElementsByTagName(t)) for t in ["state", "parallel", "final", "transition", "invoke"]}))',
    ].join('\n');
    for (const model of models) {
      for (const options of [{}, { active: someActive(model) }]) {
        const counts = JSON.parse(execFileSync('python3', ['-c', script], { input: toScxml(model, options), encoding: 'utf8' })) as Record<string, number>;
        const states = allStates(model);
        assert.deepEqual(counts, {
          state: states.filter((s) => s.kind === 'compound' || s.kind === 'atomic').length,
          parallel: states.filter((s) => s.kind === 'parallel').length,
          final: states.filter((s) => s.kind === 'final').length,
          transition: model.transitions.length,
          invoke: states.reduce((sum, s) => sum + s.invokes.length, 0),
        }, model.id);
      }
    }
  });

  it("Graphviz's dot -Tsvg draws every machine's DOT, plain and with active states", function () {
    if (!hasCommand('dot', ['-V'])) {
      console.log('      (skipped: Graphviz is not installed; apt-get install graphviz)');
      this.skip();
    }
    for (const model of models) {
      for (const options of [{}, { active: someActive(model) }]) {
        const result = spawnSync('dot', ['-Tsvg'], { input: toDot(model, options), encoding: 'utf8' });
        assert.equal(result.status, 0, `${model.id}: ${result.stderr}`);
        assert.equal(result.stderr, '', `${model.id}: dot warned: ${result.stderr}`);
        assert.match(result.stdout, /<svg[\s\S]*<\/svg>\s*$/);
        for (const state of allStates(model).slice(1)) assert.ok(result.stdout.includes(`>${state.key}</text>`), `${model.id}: ${state.key} drawn`);
      }
      const svg = toSvg(model);
      assert.ok(svg.includes('<svg'), model.id);
    }
  });

  it("toSvg without Graphviz: E_GRAPHVIZ with the install hint", () => {
    const path = process.env.PATH;
    const empty = mkdtempSync(join(tmpdir(), 'gravity-nopath-'));
    process.env.PATH = empty;
    try {
      assert.throws(
        () => toSvg(probe),
        (error: unknown) => isGravityError(error, 'E_GRAPHVIZ') && error.hint !== undefined && error.hint.includes('apt-get install graphviz'),
      );
    } finally {
      process.env.PATH = path;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("the Mermaid CLI (mmdc with Debian's chromium) draws every machine's chart", function () {
    this.timeout(180_000);
    const missing = mermaidCliMissing();
    if (missing !== undefined) {
      console.log(`      (skipped: ${missing})`);
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'gravity-mermaid-'));
    try {
      const charts = models.flatMap((model) => [toMermaid(model), toMermaid(model, { active: someActive(model) })]);
      const input = join(dir, 'charts.md');
      writeFileSync(input, charts.map((chart, index) => `## chart ${index + 1}\n\n\`\`\`mermaid\n${chart}\`\`\`\n`).join('\n'));
      const svgs = drawMermaidMarkdown(input, 'charts');
      assert.equal(svgs.size, charts.length);
      models.forEach((model, index) => {
        for (const copy of [0, 1]) {
          const svg = svgs.get(`charts-${2 * index + copy + 1}.svg`) ?? '';
          for (const state of allStates(model).slice(1)) assert.ok(svg.includes(state.key), `${model.id}: ${state.key} drawn`);
          if (copy === 1) assert.match(svg, /class="[^"]*\bactive\b/, `${model.id}: active state styled`);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
