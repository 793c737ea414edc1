// The statechart layout for every drawable machine, checked against the model derived from the
// machine (never a hand-written list): every state gets a box and every transition an edge (a
// self-loop when targetless), children lie inside their parent, siblings never overlap, edges start
// at their source and end at their target, initial dots sit in their state and point at the initial
// child. The layout is plain data and the same on every run.

import assert from 'node:assert/strict';
import { allStates, machineModel } from '../../src/statechart/graph.ts';
import type { MachineModel } from '../../src/statechart/graph.ts';
import { layoutStatechart } from '../../src/statechart/layout.ts';
import type { LayoutBox, LayoutPoint, StateBoxLayout, StatechartLayout } from '../../src/statechart/layout.ts';
import { drawableMachines } from '../../src/statechart/registry.ts';

/** Rounding slack for ELK's fractional coordinates. */
const slack = 0.5;

function inside(inner: LayoutBox, outer: LayoutBox): boolean {
  return (
    inner.x >= outer.x - slack &&
    inner.y >= outer.y - slack &&
    inner.x + inner.width <= outer.x + outer.width + slack &&
    inner.y + inner.height <= outer.y + outer.height + slack
  );
}

function overlap(a: LayoutBox, b: LayoutBox): boolean {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > slack && height > slack;
}

/** Whether a point lies on the box or within `margin` of it. */
function near(point: LayoutPoint, box: LayoutBox, margin = 2): boolean {
  return (
    point.x >= box.x - margin && point.x <= box.x + box.width + margin && point.y >= box.y - margin && point.y <= box.y + box.height + margin
  );
}

function boxes(layout: StatechartLayout): Map<string, StateBoxLayout> {
  return new Map(layout.states.map((state) => [state.id, state]));
}

function box(layout: StatechartLayout, id: string): StateBoxLayout {
  const found = boxes(layout).get(id);
  assert.ok(found !== undefined, `no box for ${id}`);
  return found;
}

describe('statechart layout', () => {
  for (const { name, machine } of drawableMachines) {
    describe(name, () => {
      const model: MachineModel = machineModel(machine);
      let layout: StatechartLayout;

      before(async () => {
        layout = await layoutStatechart(model);
      });

      it('has one box per state, in model order, with its kind, depth and parent', () => {
        const states = allStates(model);
        assert.deepEqual(
          layout.states.map((state) => state.id),
          states.map((state) => state.id),
        );
        const parents = new Map<string, string>();
        for (const state of states) for (const child of state.children) parents.set(child.id, state.id);
        for (const state of states) {
          const drawn = box(layout, state.id);
          assert.equal(drawn.kind, state.kind, state.id);
          assert.equal(drawn.depth, state.path.length, state.id);
          assert.equal(drawn.parent, parents.get(state.id), state.id);
          assert.equal(drawn.label, state.path.length === 0 ? model.id : state.key, state.id);
          assert.deepEqual(drawn.invokes, state.invokes, state.id);
          assert.ok(drawn.width > 0 && drawn.height > 0, `${state.id} has no size`);
        }
      });

      it('has one edge per transition target, a self-loop for a targetless transition', () => {
        const expected = model.transitions.flatMap((transition, index) =>
          (transition.targets.length === 0 ? [transition.source] : transition.targets).map(
            (target) => `${index} ${transition.source} -> ${target} ${transition.label}${transition.targets.length === 0 ? ' (targetless)' : ''}`,
          ),
        );
        const drawn = layout.edges.map(
          (edge) => `${edge.transition} ${edge.source} -> ${edge.target} ${edge.label}${edge.targetless ? ' (targetless)' : ''}`,
        );
        assert.deepEqual(drawn, expected);
        assert.equal(new Set(layout.edges.map((edge) => edge.id)).size, layout.edges.length, 'edge ids are unique');
        for (const edge of layout.edges) assert.equal(model.transitions[edge.transition]?.label, edge.label, edge.id);
      });

      it('puts every child inside its parent', () => {
        const byId = boxes(layout);
        for (const state of layout.states) {
          if (state.parent === undefined) continue;
          const parent = byId.get(state.parent);
          assert.ok(parent !== undefined && inside(state, parent), `${state.id} is outside ${state.parent}`);
        }
      });

      it('never overlaps two siblings', () => {
        const byParent = new Map<string, StateBoxLayout[]>();
        for (const state of layout.states) {
          if (state.parent === undefined) continue;
          byParent.set(state.parent, [...(byParent.get(state.parent) ?? []), state]);
        }
        for (const siblings of byParent.values()) {
          for (const [i, a] of siblings.entries()) {
            for (const b of siblings.slice(i + 1)) assert.ok(!overlap(a, b), `${a.id} overlaps ${b.id}`);
          }
        }
      });

      it('routes every edge from its source to its target, its label sized and placed', () => {
        for (const edge of layout.edges) {
          assert.ok(edge.points.length >= 2, `${edge.id} has no route`);
          for (const point of edge.points) assert.ok(Number.isFinite(point.x) && Number.isFinite(point.y), edge.id);
          const first = edge.points[0]!;
          const last = edge.points[edge.points.length - 1]!;
          assert.ok(near(first, box(layout, edge.source)), `${edge.id} does not start at ${edge.source}`);
          assert.ok(near(last, box(layout, edge.target)), `${edge.id} does not end at ${edge.target}`);
          assert.ok(edge.labelBox !== undefined && edge.labelBox.width > 0 && edge.labelBox.height > 0, `${edge.id} has no label box`);
          assert.ok(inside(edge.labelBox, { x: 0, y: 0, width: layout.width, height: layout.height }), `${edge.id} label outside the chart`);
        }
      });

      it('marks each initial state with a dot inside its parent pointing at it', () => {
        for (const state of allStates(model)) {
          const drawn = box(layout, state.id);
          if (state.initial === undefined) {
            assert.equal(drawn.initialMarker, undefined, state.id);
            continue;
          }
          const marker = drawn.initialMarker;
          assert.ok(marker !== undefined, `${state.id} has no initial dot`);
          assert.ok(near({ x: marker.x, y: marker.y }, drawn, 0), `${state.id}'s initial dot is outside it`);
          const end = marker.points[marker.points.length - 1];
          assert.ok(end !== undefined && near(end, box(layout, state.initial)), `${state.id}'s initial arrow misses ${state.initial}`);
          assert.ok(box(layout, state.initial).isInitial, state.initial);
        }
        const initials = layout.states.filter((state) => state.isInitial).map((state) => state.id);
        const expected = allStates(model).flatMap((state) => (state.initial === undefined ? [] : [state.initial]));
        assert.deepEqual(initials.sort(), expected.sort());
      });

      it('fits everything in its size', () => {
        const chart = { x: 0, y: 0, width: layout.width, height: layout.height };
        for (const state of layout.states) assert.ok(inside(state, chart), `${state.id} outside the chart`);
      });
    });
  }

  it('is plain data, the same on every run', async () => {
    const model = machineModel(drawableMachines[0]!.machine);
    const first = await layoutStatechart(model);
    const second = await layoutStatechart(model);
    assert.deepEqual(JSON.parse(JSON.stringify(first)), first);
    assert.deepEqual(second, first);
  });
});
