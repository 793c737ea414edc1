// The supervised-child machine, the rules every child's state follows under its supervisor: each
// allowed move, the moves it refuses, and that the supervisor's own states are exactly the machine's.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { machineModel } from '../../src/statechart/graph.ts';
import { toMermaid } from '../../src/statechart/render.ts';
import type { ChildState } from '../../src/supervisor/child.ts';
import type { SupervisedChildEvent } from '../../src/machines/supervised-child.ts';
import { nextChildState, supervisedChildMachine } from '../../src/machines/supervised-child.ts';

const allowed: [ChildState, SupervisedChildEvent['type'], ChildState][] = [
  ['stopped', 'start', 'starting'],
  ['starting', 'started', 'running'],
  ['starting', 'start.failed', 'failed'],
  ['starting', 'stop', 'stopping'],
  ['running', 'crashed', 'failed'],
  ['running', 'ended', 'stopped'],
  ['running', 'stop', 'stopping'],
  ['running', 'killed', 'stopped'],
  ['failed', 'restart.scheduled', 'restarting'],
  ['stopped', 'restart.scheduled', 'restarting'],
  ['restarting', 'start', 'starting'],
  ['restarting', 'stop', 'stopped'],
  ['stopping', 'stopped', 'stopped'],
  ['stopping', 'killed', 'stopped'],
];

const refused: [ChildState, SupervisedChildEvent['type']][] = [
  ['stopped', 'started'],
  ['running', 'start'],
  ['running', 'restart.scheduled'],
  ['stopping', 'start'],
  ['failed', 'started'],
  ['restarting', 'crashed'],
];

describe('supervised-child machine', () => {
  it('has exactly the states a supervisor reports for its children', () => {
    const states = Object.keys(supervisedChildMachine.root.states).sort();
    assert.deepEqual(states, ['failed', 'restarting', 'running', 'starting', 'stopped', 'stopping']);
    assert.equal(supervisedChildMachine.root.initial?.target[0]?.key, 'stopped');
  });

  it('is drawn in docs/supervision.md exactly as `gravity debug statechart supervisor` draws it', () => {
    const doc = readFileSync(new URL('../../docs/supervision.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(`\`\`\`mermaid\n${toMermaid(machineModel(supervisedChildMachine))}\`\`\``), 'docs/supervision.md has an outdated chart');
  });

  for (const [from, event, to] of allowed) {
    it(`${from} --${event}--> ${to}`, () => {
      assert.equal(nextChildState(from, { type: event }), to);
    });
  }

  for (const [from, event] of refused) {
    it(`refuses ${event} in ${from}`, () => {
      assert.throws(() => nextChildState(from, { type: event }), /cannot go from/u);
    });
  }
});
