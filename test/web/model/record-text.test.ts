// One line per inspection record in the actor page's list.

import assert from 'node:assert/strict';
import { recordLabel, recordText } from '../../../src/web/model/record-text.ts';

const path = 'agent/probes';

describe('web/record-text', () => {
  it('describes every kind of record', () => {
    assert.equal(recordText({ kind: 'event', path, time: 0, event: { type: 'CHECK_NOW' }, source: 'agent' }), 'CHECK_NOW (from agent)');
    assert.equal(recordText({ kind: 'snapshot', path, time: 0, status: 'active', value: { active: { status: 'running', cycle: 'waiting' } } }), 'active.status.running, active.cycle.waiting');
    assert.equal(recordText({ kind: 'snapshot', path, time: 0, status: 'done', value: 'stopped' }), 'stopped (done)');
    assert.equal(
      recordText({ kind: 'supervisor', path, time: 0, child: 'probe:web', reason: 'error: boom', action: 'restart', delayMs: 200 }),
      'restart probe:web in 200 ms: error: boom',
    );
    assert.equal(recordText({ kind: 'actor.created', path, time: 0, logic: 'probe' }), 'actor created (probe)');
    assert.equal(recordText({ kind: 'actor.stopped', path, time: 0, status: 'stopped' }), 'actor stopped (stopped)');
    assert.equal(recordLabel({ kind: 'snapshot', path, time: 0, status: 'active', value: 'x' }), 'state');
  });
});
