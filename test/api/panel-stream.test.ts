// The Control Panel's live stream on a fake clock: what is sent on connect, which records pass the
// path filter, status sent only when it says something new, tree refreshes gathered, operations
// re-read only when the store changed, and everything released when the connection closes.

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { InspectionListener, InspectionRecord } from '../../src/actors/inspection.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { systemClock } from '../../src/clock.ts';
import type { ClusterReport } from '../../src/health/types.ts';
import type { OperationsResponse } from '../../src/api/panel-protocol.ts';
import type { PanelStreamSources } from '../../src/api/panel-stream.ts';
import { createPanelStreamHub } from '../../src/api/panel-stream.ts';
import type { PanelStreamHub } from '../../src/api/panel-stream.ts';
import type { TreeResult } from '../../src/api/control-protocol.ts';

/** A response that keeps what was written, parsed into SSE frames. */
class RecordingResponse extends EventEmitter {
  status = 0;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  ended = false;
  destroyed = false;
  /** What the socket has not sent yet (a test sets it to play a slow reader). */
  writableLength = 0;
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
  frames(): { event: string; data: unknown }[] {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((frame) => frame.startsWith('event: '))
      .map((frame) => {
        const [eventLine, dataLine] = frame.split('\n');
        return { event: (eventLine ?? '').slice('event: '.length), data: JSON.parse((dataLine ?? '').slice('data: '.length)) as unknown };
      });
  }
  events(name: string): unknown[] {
    return this.frames()
      .filter((frame) => frame.event === name)
      .map((frame) => frame.data);
  }
}

function report(status: 'running' | 'degraded', time: number): ClusterReport {
  return { name: 'c', status, nodes: [], time, ...(status === 'degraded' ? { reason: 'node n1 is degraded' } : {}) };
}

const tree: TreeResult = {
  now: 0,
  root: { id: 'agent', path: 'agent', type: 'supervisor', thread: 'main', state: 'running', restart: 'permanent', restarts: 0 },
};

describe('panel live stream', () => {
  let fake: sinon.SinonFakeTimers;
  let bus: InspectionBus;
  let current: ClusterReport;
  let version: number;
  let operations: OperationsResponse;
  let treeReads: number;
  let operationReads: number;
  let sources: PanelStreamSources;
  let hub: PanelStreamHub | undefined;
  let statusReads: number;

  beforeEach(() => {
    hub = undefined;
    fake = sinon.useFakeTimers({ now: 1_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    bus = new InspectionBus();
    current = report('running', 1);
    version = 1;
    operations = { operations: [] };
    treeReads = 0;
    operationReads = 0;
    statusReads = 0;
    sources = {
      status: () => {
        statusReads++;
        return current;
      },
      tree: () => {
        treeReads++;
        return Promise.resolve(tree);
      },
      operations: () => {
        operationReads++;
        return Promise.resolve(operations);
      },
      storeVersion: () => version,
      subscribe: (listener: InspectionListener, filter) => bus.subscribe(listener, filter),
    };
  });
  afterEach(() => {
    hub?.closeAll();
    fake.restore();
  });

  function open(pathPrefix?: string, options: { maxEventBytes?: number; maxBufferedBytes?: number } = {}): { response: RecordingResponse; close: () => void } {
    const streams = (hub ??= createPanelStreamHub({ sources, clock: systemClock, ...options }));
    const response = new RecordingResponse();
    const close = streams.open(response as unknown as ServerResponse, pathPrefix === undefined ? {} : { pathPrefix });
    return { response, close };
  }

  it('sends the status, the tree and the operations on connect, as an event stream', async () => {
    const { response, close } = open();
    await fake.tickAsync(0);
    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'] ?? '', /^text\/event-stream/);
    assert.deepEqual([...response.frames().map((frame) => frame.event)].sort(), ['status', 'tree', 'operations'].sort());
    assert.deepEqual(response.events('status'), [current]);
    close();
  });

  it('sends the records of the actor asked for and of those below it, and no others', async () => {
    const { response, close } = open('agent/probes');
    const mine: InspectionRecord = { kind: 'event', path: 'agent/probes/probe:tcp', time: 1, event: { type: 'tick' } };
    const other: InspectionRecord = { kind: 'event', path: 'agent/probesx', time: 1, event: { type: 'tick' } };
    bus.publish(mine);
    bus.publish(other);
    await fake.tickAsync(0);
    assert.deepEqual(response.events('record'), [mine]);
    close();
  });

  it('sends the status again only when it says something new, at the next snapshot or within a tick', async () => {
    const { response, close } = open();
    const snapshot: InspectionRecord = { kind: 'snapshot', path: 'agent/cluster', time: 2, status: 'active', value: 'running' };
    current = report('running', 2); // only the time changed
    bus.publish(snapshot);
    assert.equal(response.events('status').length, 1);
    current = report('degraded', 3);
    bus.publish(snapshot);
    assert.equal(response.events('status').length, 2);
    current = report('running', 4); // no record announces it: the store/status tick finds it
    await fake.tickAsync(250);
    assert.equal(response.events('status').length, 3);
    close();
  });

  it('gathers the tree refreshes that supervisor records ask for into one read', async () => {
    const { response, close } = open();
    await fake.tickAsync(0);
    const readsAfterConnect = treeReads;
    for (let i = 0; i < 5; i++) bus.publish({ kind: 'supervisor', path: 'agent', time: i, child: 'node:n1', reason: 'crashed', action: 'restart' });
    await fake.tickAsync(99);
    assert.equal(treeReads, readsAfterConnect);
    await fake.tickAsync(1);
    assert.equal(treeReads, readsAfterConnect + 1);
    assert.equal(response.events('tree').length, 2);
    close();
  });

  it('reads the operations again only when the store changed, and sends them only when they differ', async () => {
    const { response, close } = open();
    await fake.tickAsync(1_000);
    assert.equal(operationReads, 1);
    version = 2; // a commit that did not change the operations (a history write)
    await fake.tickAsync(250);
    assert.equal(operationReads, 2);
    assert.equal(response.events('operations').length, 1);
    version = 3;
    operations = {
      operations: [
        {
          id: 'op',
          type: 'custom',
          description: 'd',
          descriptionBytes: 1,
          state: 'in_progress',
          created: 1,
          updated: 1,
          phases: { unstarted: 1, in_progress: 0, completed: 0, failed: 0, rolled_back: 0 },
        },
      ],
    };
    await fake.tickAsync(250);
    assert.equal(response.events('operations').length, 2);
    close();
  });

  it('lets go of the bus and its timers when the connection closes', async () => {
    const { response } = open();
    await fake.tickAsync(0);
    assert.equal(bus.subscriberCount, 1);
    response.emit('close');
    assert.equal(bus.subscriberCount, 0);
    assert.equal(response.ended, true);
    const written = response.chunks.length;
    await fake.tickAsync(60_000);
    assert.equal(response.chunks.length, written);
  });

  it('keeps the connection alive with a comment line', async () => {
    const { response, close } = open();
    await fake.tickAsync(15_000);
    assert.ok(response.chunks.join('').includes(': keep-alive\n\n'));
    close();
  });

  it('reads the sources once for every connection, not once per connection', async () => {
    const clients = Array.from({ length: 20 }, () => open());
    await fake.tickAsync(0);
    const statusAfterConnect = statusReads;
    const operationsAfterConnect = operationReads;
    for (let i = 0; i < 4; i++) {
      version++;
      operations = { operations: [] };
      await fake.tickAsync(250);
    }
    // One status read and one operations read a tick, whatever the number of connections.
    assert.equal(statusReads - statusAfterConnect, 4);
    assert.equal(operationReads - operationsAfterConnect, 4);
    bus.publish({ kind: 'snapshot', path: 'agent/cluster', time: 2, status: 'active', value: 'running' });
    assert.equal(statusReads - statusAfterConnect, 5);
    assert.equal(bus.subscriberCount, 1);
    for (const client of clients) assert.equal(client.response.events('status').length, 1);
    for (const client of clients) client.close();
    assert.equal(bus.subscriberCount, 0);
  });

  it('drops a connection that leaves more than its share unread, and keeps serving the others', async () => {
    const slow = open(undefined, { maxBufferedBytes: 4096 });
    const fast = open();
    await fake.tickAsync(0);
    slow.response.writableLength = 4097;
    const record: InspectionRecord = { kind: 'event', path: 'agent/probes/probe:tcp', time: 1, event: { type: 'tick' } };
    bus.publish(record);
    assert.equal(slow.response.destroyed, true);
    assert.equal(hub?.size, 1);
    assert.deepEqual(fast.response.events('record'), [record]);
    const written = slow.response.chunks.length;
    bus.publish(record);
    assert.equal(slow.response.chunks.length, written);
    fast.close();
  });

  it('sends an event over the per-event cap as `skipped`, with its size', async () => {
    const { response, close } = open(undefined, { maxEventBytes: 512 });
    await fake.tickAsync(0);
    bus.publish({ kind: 'event', path: 'agent/x', time: 1, event: { type: 'big', text: 'x'.repeat(2_000) } });
    assert.deepEqual(response.events('record'), []);
    const [skipped] = response.events('skipped') as { event: string; bytes: number }[];
    assert.equal(skipped?.event, 'record');
    assert.ok((skipped?.bytes ?? 0) > 2_000);
    close();
  });
});
