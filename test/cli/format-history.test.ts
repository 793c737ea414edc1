// `gravity status history` text: the seed's own example reproduced byte for byte, the wider cluster
// types, errors appended as one quoted field, the empty message, and JSON.

import assert from 'node:assert/strict';
import { emptyHistoryText, formatEventTime, formatHistory, formatHistoryLine, typeColumnWidth } from '../../src/cli/format-history.ts';
import type { HistoryEvent, HistoryEventType } from '../../src/store/types.ts';

function at(text: string): number {
  return Date.parse(text);
}

function event(time: string, type: HistoryEventType, node?: string, checker?: string, detail?: string): HistoryEvent {
  return {
    id: `${time}-${type}-${node ?? ''}-${checker ?? ''}`,
    time: at(time),
    type,
    ...(node === undefined ? {} : { node }),
    ...(checker === undefined ? {} : { checker }),
    ...(detail === undefined ? {} : { detail }),
  };
}

// The seed's example output, as printed.
const seedOutput = `2020-02-18T01:36:07Z [Node Degraded]     node=node-1
2020-02-18T21:36:11Z [Node Degraded]     node=node-2
2020-02-18T21:36:25Z [Node Degraded]     node=node-3
2020-02-18T21:36:56Z [Probe Succeeded]   node=node-1 checker=node-status
2020-02-18T21:36:58Z [Probe Succeeded]   node=node-2 checker=node-status
2020-02-18T21:36:58Z [Probe Succeeded]   node=node-2 checker=time-drift
2020-02-18T21:36:59Z [Probe Succeeded]   node=node-3 checker=node-status
2020-02-18T21:37:07Z [Probe Succeeded]   node=node-1 checker=kube-apiserver
2020-02-18T21:37:07Z [Node Recovered]    node=node-1
2020-02-18T21:37:08Z [Probe Succeeded]   node=node-2 checker=kube-apiserver
2020-02-18T21:37:08Z [Node Recovered]    node=node-2
2020-02-18T21:37:11Z [Probe Succeeded]   node=node-3 checker=kube-apiserver
2020-02-18T21:37:11Z [Node Recovered]    node=node-3
`;

const seedEvents: HistoryEvent[] = [
  event('2020-02-18T01:36:07Z', 'Node Degraded', 'node-1'),
  event('2020-02-18T21:36:11Z', 'Node Degraded', 'node-2'),
  event('2020-02-18T21:36:25Z', 'Node Degraded', 'node-3'),
  event('2020-02-18T21:36:56Z', 'Probe Succeeded', 'node-1', 'node-status'),
  event('2020-02-18T21:36:58Z', 'Probe Succeeded', 'node-2', 'node-status'),
  event('2020-02-18T21:36:58Z', 'Probe Succeeded', 'node-2', 'time-drift'),
  event('2020-02-18T21:36:59Z', 'Probe Succeeded', 'node-3', 'node-status'),
  event('2020-02-18T21:37:07Z', 'Probe Succeeded', 'node-1', 'kube-apiserver'),
  event('2020-02-18T21:37:07Z', 'Node Recovered', 'node-1'),
  event('2020-02-18T21:37:08Z', 'Probe Succeeded', 'node-2', 'kube-apiserver'),
  event('2020-02-18T21:37:08Z', 'Node Recovered', 'node-2'),
  event('2020-02-18T21:37:11Z', 'Probe Succeeded', 'node-3', 'kube-apiserver'),
  event('2020-02-18T21:37:11Z', 'Node Recovered', 'node-3'),
];

describe('cli/format-history', () => {
  it("reproduces the seed's example exactly", () => {
    assert.equal(formatHistory(seedEvents, 'text'), seedOutput);
  });

  it('lines `node=` up whatever the events shown (the column is fixed, not sized to the output)', () => {
    assert.equal(formatHistoryLine(event('2020-02-18T21:37:07Z', 'Probe Failed', 'node-1', 'kube-apiserver')), '2020-02-18T21:37:07Z [Probe Failed]      node=node-1 checker=kube-apiserver');
    assert.equal(formatHistory([event('2020-02-18T21:36:11Z', 'Node Degraded', 'node-2')], 'text'), '2020-02-18T21:36:11Z [Node Degraded]     node=node-2\n');
    assert.equal(typeColumnWidth, 20);
    for (const type of ['Node Degraded', 'Node Recovered', 'Node Removed', 'Probe Failed', 'Probe Succeeded', 'Probe Removed', 'Cluster Degraded'] as const) {
      const line = formatHistoryLine(event('2020-02-18T21:36:11Z', type, 'node-2'));
      assert.equal(line.indexOf('node='), 21 + typeColumnWidth, line);
    }
  });

  it('prints the removal events of an earlier configuration in the same columns', () => {
    assert.equal(formatHistoryLine(event('2020-02-18T21:40:00Z', 'Probe Removed', 'node-1', 'db')), '2020-02-18T21:40:00Z [Probe Removed]     node=node-1 checker=db');
    assert.equal(formatHistoryLine(event('2020-02-18T21:40:00Z', 'Node Removed', 'node-1')), '2020-02-18T21:40:00Z [Node Removed]      node=node-1');
  });

  it('keeps at least one space after a type wider than the column, and adds nothing after a bare type', () => {
    assert.equal(formatHistoryLine(event('2020-02-18T21:40:00Z', 'Cluster Recovered', 'node-1')), '2020-02-18T21:40:00Z [Cluster Recovered] node=node-1');
    assert.equal(formatHistoryLine(event('2020-02-18T21:40:00Z', 'Cluster Recovered')), '2020-02-18T21:40:00Z [Cluster Recovered]');
  });

  it('appends the detail as one quoted error field, newlines and quotes escaped', () => {
    assert.equal(
      formatHistoryLine(event('2020-02-18T21:37:07Z', 'Probe Failed', 'node-1', 'docker', 'healthz check failed: Get "http://docker/version"\nsecond line')),
      '2020-02-18T21:37:07Z [Probe Failed]      node=node-1 checker=docker error="healthz check failed: Get \\"http://docker/version\\"\\nsecond line"',
    );
    assert.equal(
      formatHistoryLine(event('2020-02-18T21:37:07Z', 'Cluster Degraded', undefined, undefined, 'application status check failed')),
      '2020-02-18T21:37:07Z [Cluster Degraded]  reason="application status check failed"',
    );
    assert.equal(formatHistoryLine(event('2020-02-18T21:37:07Z', 'Node Degraded', 'node-1', undefined, '')), '2020-02-18T21:37:07Z [Node Degraded]     node=node-1');
  });

  it('prints times as RFC 3339 UTC seconds', () => {
    assert.equal(formatEventTime(Date.UTC(2020, 1, 18, 21, 37, 7, 999)), '2020-02-18T21:37:07Z');
    assert.equal(formatEventTime(0), '1970-01-01T00:00:00Z');
  });

  it('says so when there is nothing to show', () => {
    assert.equal(formatHistory([], 'text'), 'No status history available to display.\n');
    assert.equal(emptyHistoryText, 'No status history available to display.');
  });

  it('json is the events array as stored', () => {
    assert.deepEqual(JSON.parse(formatHistory(seedEvents.slice(0, 2), 'json')), seedEvents.slice(0, 2));
    assert.equal(formatHistory([], 'json'), '[]\n');
  });

  it('control characters in an event are shown escaped, and the line stays one line', () => {
    const hostile = 'x\u001b[31mred\u001b]0;title\u0007\rover\u009b2J\nnext';
    const line = formatHistoryLine({ id: 'e', time: 0, type: 'Probe Failed', node: 'n\u001b1', checker: 'web\r', detail: hostile });
    assert.equal(line, '1970-01-01T00:00:00Z [Probe Failed]      node=n\\u001b1 checker=web\\u000d error="x\\u001b[31mred\\u001b]0;title\\u0007\\rover\\u009b2J\\nnext"');
  });
});
