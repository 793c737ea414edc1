// What an agent closes at start in the history an earlier configuration left open: failed probes no
// longer configured (or under another node name), and degraded nodes that are no longer this node.

import assert from 'node:assert/strict';
import { leftoverClosingEvents } from '../../src/health/history-leftovers.ts';
import type { HistoryEvent, HistoryEventType } from '../../src/store/types.ts';

function latest(type: HistoryEventType, node: string, checker?: string): HistoryEvent {
  return { id: `${node}/${checker ?? ''}`, time: 1, type, node, ...(checker === undefined ? {} : { checker }) };
}

const strip = (events: HistoryEvent[]): unknown[] => events.map(({ id, ...rest }) => (assert.ok(id.length > 0), rest));

describe('leftoverClosingEvents', () => {
  const current = { node: 'node-2', probes: ['web'] };

  it('closes the failed probes that are not configured now, and the degraded nodes that are not this one', () => {
    const closing = leftoverClosingEvents(
      [
        latest('Probe Failed', 'node-2', 'db'),
        latest('Probe Failed', 'node-1', 'web'),
        latest('Node Degraded', 'node-1'),
        latest('Probe Failed', 'node-2', 'web'),
        latest('Node Degraded', 'node-2'),
      ],
      current,
      5,
    );
    assert.deepEqual(strip(closing), [
      { time: 5, type: 'Probe Removed', node: 'node-2', checker: 'db' },
      { time: 5, type: 'Probe Removed', node: 'node-1', checker: 'web' },
      { time: 5, type: 'Node Removed', node: 'node-1' },
    ]);
    assert.equal(new Set(closing.map((event) => event.id)).size, 3, 'each event has its own id');
  });

  it('leaves alone what is closed already: succeeded, recovered, removed', () => {
    const closed = [latest('Probe Succeeded', 'node-1', 'web'), latest('Node Recovered', 'node-1'), latest('Probe Removed', 'node-1', 'db'), latest('Node Removed', 'node-0')];
    assert.deepEqual(leftoverClosingEvents(closed, current, 5), []);
  });
});
