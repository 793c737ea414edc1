import { strict as assert } from 'node:assert';
import { createActor } from 'xstate';
import { nodeMachine } from '../../src/machines/node.ts';
import type { NodeEvent } from '../../src/machines/node.ts';

const result = (probe: string, status: 'running' | 'failed', severity: 'critical' | 'warning' = 'critical'): NodeEvent => ({
  type: 'PROBE_RESULT',
  probe,
  status,
  severity,
  ...(status === 'failed' ? { error: `${probe} is down` } : {}),
});

describe('machines/node', () => {
  const table: { name: string; expected: string[]; events: NodeEvent[]; value: string }[] = [
    { name: 'with no probes it runs at once', expected: [], events: [], value: 'running' },
    { name: 'starting until every probe has reported', expected: ['a', 'b'], events: [result('a', 'running')], value: 'starting' },
    { name: 'running once all pass', expected: ['a', 'b'], events: [result('a', 'running'), result('b', 'running')], value: 'running' },
    { name: 'a failed critical probe degrades it', expected: ['a', 'b'], events: [result('a', 'running'), result('b', 'failed')], value: 'degraded' },
    { name: 'a failed warning probe does not', expected: ['a', 'b'], events: [result('a', 'running'), result('b', 'failed', 'warning')], value: 'running' },
    {
      name: 'it recovers when the probe passes again',
      expected: ['a'],
      events: [result('a', 'running'), result('a', 'failed'), result('a', 'running')],
      value: 'running',
    },
    { name: 'SHUTDOWN stops it', expected: ['a'], events: [result('a', 'running'), { type: 'SHUTDOWN' }], value: 'stopped' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const actor = createActor(nodeMachine, { input: { name: 'n1', role: 'master', expectedProbes: row.expected } }).start();
      for (const event of row.events) actor.send(event);
      assert.equal(actor.getSnapshot().value, row.value);
    });
  }

  it('keeps each probe report with its error', () => {
    const actor = createActor(nodeMachine, { input: { name: 'n1', role: 'master', expectedProbes: ['a'] } }).start();
    actor.send(result('a', 'failed'));
    assert.deepEqual(actor.getSnapshot().context.probes.a, { status: 'failed', severity: 'critical', error: 'a is down' });
  });
});
