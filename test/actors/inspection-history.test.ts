// The agent's memory of its inspection bus: a ring buffer that keeps the newest records in order,
// filters by path and kind, listens passively (asking no publisher for more), and the reading that
// follows the bus with a real subscription only while the reader is there.

import assert from 'node:assert/strict';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { InspectionHistory, readInspection } from '../../src/actors/inspection-history.ts';

function snapshot(path: string, time: number): InspectionRecord {
  return { kind: 'snapshot', path, time, status: 'active', value: 'running' };
}

function event(path: string, time: number): InspectionRecord {
  return { kind: 'event', path, time, event: { type: 'TICK' } };
}

/** Lets pending promise callbacks and generator steps run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('actors/inspection-history', () => {
  describe('InspectionHistory', () => {
    it('keeps the newest records, oldest first, once it has wrapped around', () => {
      const history = new InspectionHistory(3);
      assert.deepEqual(history.list(), []);
      for (let time = 1; time <= 5; time++) history.push(snapshot('agent/a', time));
      assert.equal(history.size, 3);
      assert.deepEqual(
        history.list().map((record) => record.time),
        [3, 4, 5],
      );
    });

    it('filters by path prefix (the actor and below, not siblings with a longer name) and kind, then limits to the newest', () => {
      const history = new InspectionHistory(10);
      history.push(snapshot('agent/probes', 1));
      history.push(snapshot('agent/probes/probe:a', 2));
      history.push(event('agent/probes/probe:a', 3));
      history.push(snapshot('agent/probes-other', 4));
      history.push(snapshot('agent/node:n1', 5));
      history.push(snapshot('agent/probes/probe:b', 6));
      const times = (records: InspectionRecord[]): number[] => records.map((record) => record.time);
      assert.deepEqual(times(history.list({ pathPrefix: 'agent/probes' })), [1, 2, 3, 6]);
      assert.deepEqual(times(history.list({ pathPrefix: 'agent/probes', kinds: ['snapshot'] })), [1, 2, 6]);
      assert.deepEqual(times(history.list({ pathPrefix: 'agent/probes/probe:a' })), [2, 3]);
      assert.deepEqual(times(history.list({ pathPrefix: 'agent/probes' }, 2)), [3, 6]);
      assert.deepEqual(times(history.list(undefined, 0)), []);
    });

    it('refuses a capacity that is not a positive integer', () => {
      assert.throws(() => new InspectionHistory(0), RangeError);
      assert.throws(() => new InspectionHistory(1.5), RangeError);
    });

    it('keeps what flows without making publishers (or worker threads) publish more', () => {
      const bus = new InspectionBus();
      let changes = 0;
      bus.onSubscriptionsChanged(() => changes++);
      const history = new InspectionHistory(10);
      const detach = history.attach(bus);
      assert.equal(bus.wants('snapshot', 'agent/probes'), false);
      assert.deepEqual(bus.wantedKinds('agent'), []);
      assert.equal(changes, 0);
      bus.publish(snapshot('agent/probes/probe:a', 1));
      assert.equal(history.size, 1);
      detach();
      bus.publish(snapshot('agent/probes/probe:a', 2));
      assert.equal(history.size, 1);
      assert.equal(changes, 0);
      assert.equal(bus.subscriberCount, 0);
    });
  });

  describe('readInspection', () => {
    it('without follow: the matching kept records, the newest `backlog` of them, then the end', async () => {
      const bus = new InspectionBus();
      const history = new InspectionHistory(10);
      history.attach(bus);
      for (let time = 1; time <= 4; time++) bus.publish(snapshot('agent/a', time));
      bus.publish(snapshot('agent/b', 5));
      const read = readInspection(bus, history, { pathPrefix: 'agent/a', follow: false, backlog: 3 }, new AbortController().signal);
      const times: number[] = [];
      let step = await read.next();
      while (step.done !== true) {
        times.push(step.value.time);
        step = await read.next();
      }
      assert.deepEqual(times, [2, 3, 4]);
      assert.deepEqual(step.value, { records: 3 });
    });

    it('with follow: backlog, then each new record once; subscribed with the filter only while it runs', async () => {
      const bus = new InspectionBus();
      const history = new InspectionHistory(10);
      history.attach(bus);
      bus.publish(snapshot('agent/a', 1));
      const before = bus.subscriberCount;
      const stop = new AbortController();
      const read = readInspection(bus, history, { pathPrefix: 'agent/a', kinds: ['snapshot', 'event'], follow: true }, stop.signal);
      const received: number[] = [];
      const done = (async () => {
        for await (const record of read) received.push(record.time);
      })();
      await settle();
      assert.equal(bus.subscriberCount, before + 1);
      // The reader's filter is what worker threads are asked to forward now.
      assert.equal(bus.wants('event', 'agent/a'), true);
      assert.equal(bus.wants('event', 'agent/b'), false);
      assert.equal(bus.wants('actor.created', 'agent/a'), false);
      bus.publish(event('agent/a', 2));
      bus.publish(snapshot('agent/b', 3));
      bus.publish(snapshot('agent/a/child', 4));
      await settle();
      assert.deepEqual(received, [1, 2, 4]);
      stop.abort();
      await done;
      assert.equal(bus.subscriberCount, before);
      assert.equal(bus.wants('event', 'agent/a'), false);
    });

    it('with follow: unsubscribes when the reader returns early', async () => {
      const bus = new InspectionBus();
      const history = new InspectionHistory(10);
      const read = readInspection(bus, history, { follow: true }, new AbortController().signal);
      const first = read.next();
      await settle();
      assert.equal(bus.subscriberCount, 1);
      bus.publish(snapshot('agent/a', 1));
      assert.deepEqual(await first, { done: false, value: snapshot('agent/a', 1) });
      await read.return({ records: 1 });
      assert.equal(bus.subscriberCount, 0);
    });
  });
});
