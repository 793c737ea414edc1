// The streamed `inspect` method over a real Unix socket: the kept records without follow; with
// follow the backlog and then each new record; a client that goes away (or aborts) drops the agent's
// subscription, so that worker threads stop forwarding; a closing server ends streams with their
// result; bad params are refused; no agent is the usual error.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGravityError } from '../../src/errors.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { InspectionBus } from '../../src/actors/inspection.ts';
import { InspectionHistory, readInspection } from '../../src/actors/inspection-history.ts';
import { connectControl, streamAgent } from '../../src/api/control-client.ts';
import type { ControlServer } from '../../src/api/control-server.ts';
import { startControlServer } from '../../src/api/control-server.ts';
import type { InspectParams } from '../../src/api/control-protocol.ts';
import { parseRequest, parseResponse } from '../../src/api/control-protocol.ts';
import { waitFor } from '../helpers/wait.ts';

function snapshot(path: string, time: number): InspectionRecord {
  return { kind: 'snapshot', path, time, status: 'active', value: { probe: 'running' }, context: { failures: 0 } };
}

/** Reads a stream to its end. */
async function readAll(stateDir: string, params: InspectParams): Promise<{ records: InspectionRecord[]; result: unknown }> {
  const stream = streamAgent({ stateDir }, 'inspect', params, { idleTimeoutMs: 5000 });
  const records: InspectionRecord[] = [];
  let step = await stream.next();
  while (step.done !== true) {
    records.push(step.value);
    step = await stream.next();
  }
  return { records, result: step.value };
}

describe('api/control inspect stream', function () {
  this.timeout(10_000);
  let stateDir: string;
  let bus: InspectionBus;
  let history: InspectionHistory;
  let server: ControlServer | undefined;

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-inspect-'));
    bus = new InspectionBus();
    history = new InspectionHistory(50);
    history.attach(bus);
    server = await startControlServer({
      socketPath: join(stateDir, 'agent.sock'),
      handlers: {
        ping: () => ({ pid: 1, version: '0.0.0', state: 'running', stateDir, startedAt: 0 }),
        tree: () => {
          throw new Error('not used');
        },
        inspect: (params, signal) => readInspection(bus, history, params, signal),
      },
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('without follow: answers the kept records that match, then ends', async () => {
    for (let time = 1; time <= 5; time++) bus.publish(snapshot(time % 2 === 0 ? 'agent/a' : 'agent/b', time));
    const all = await readAll(stateDir, { follow: false });
    assert.deepEqual(
      all.records.map((record) => record.time),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(all.records[0], snapshot('agent/b', 1));
    assert.deepEqual(all.result, { records: 5 });
    const some = await readAll(stateDir, { follow: false, pathPrefix: 'agent/b', backlog: 2 });
    assert.deepEqual(
      some.records.map((record) => record.time),
      [3, 5],
    );
    assert.equal(bus.subscriberCount, 1);
  });

  it('with follow: the backlog, then new records as they come; leaving the loop drops the subscription', async () => {
    bus.publish(snapshot('agent/a', 1));
    const idle = bus.subscriberCount;
    const received: number[] = [];
    const reading = (async () => {
      for await (const record of streamAgent({ stateDir }, 'inspect', { follow: true, pathPrefix: 'agent/a' })) {
        received.push(record.time);
        if (received.length === 3) break;
      }
    })();
    await waitFor(() => received.length === 1 && bus.subscriberCount === idle + 1, 5000, 'the backlog and the follow subscription');
    assert.equal(bus.wants('event', 'agent/a/child'), true);
    bus.publish(snapshot('agent/other', 2));
    bus.publish(snapshot('agent/a/child', 3));
    bus.publish(snapshot('agent/a', 4));
    await reading;
    assert.deepEqual(received, [1, 3, 4]);
    await waitFor(() => bus.subscriberCount === idle, 5000, 'the subscription to be dropped');
    assert.equal(bus.wants('event', 'agent/a/child'), false);
  });

  it('with follow: an aborted reader (or a client that vanishes) drops the subscription', async () => {
    const idle = bus.subscriberCount;
    const abort = new AbortController();
    const stream = streamAgent({ stateDir }, 'inspect', { follow: true, kinds: ['event'] }, { signal: abort.signal });
    const next = stream.next();
    await waitFor(() => bus.subscriberCount === idle + 1, 5000, 'the follow subscription');
    abort.abort();
    assert.deepEqual(await next, { done: true, value: undefined });
    await waitFor(() => bus.subscriberCount === idle, 5000, 'the subscription to be dropped');

    const client = await connectControl({ stateDir });
    const raw = client.stream('inspect', { follow: true });
    const pending = raw.next();
    await waitFor(() => bus.subscriberCount === idle + 1, 5000, 'the second follow subscription');
    client.close();
    await assert.rejects(pending, (error: unknown) => isGravityError(error, 'E_AGENT_UNREACHABLE'));
    await waitFor(() => bus.subscriberCount === idle, 5000, 'the second subscription to be dropped');
  });

  it('a closing server ends a follow with its result, not a broken connection', async () => {
    const stream = streamAgent({ stateDir }, 'inspect', { follow: true });
    const first = stream.next();
    await waitFor(() => bus.subscriberCount === 2, 5000, 'the follow subscription');
    bus.publish(snapshot('agent/a', 1));
    assert.equal((await first).done, false);
    await server?.close();
    server = undefined;
    assert.deepEqual(await stream.next(), { done: true, value: { records: 1 } });
    assert.equal(bus.subscriberCount, 1);
  });

  it('refuses bad params with E_CONTROL_REQUEST', async () => {
    const bad = [{ follow: 'yes' }, { follow: true, kinds: ['snapshots'] }, { follow: false, backlog: -1 }, { follow: false, actor: 'agent' }];
    for (const params of bad) {
      await assert.rejects(
        readAll(stateDir, params as unknown as InspectParams),
        (error: unknown) => isGravityError(error, 'E_CONTROL_REQUEST'),
        JSON.stringify(params),
      );
    }
  });

  it('frames items and checks inspect params on the wire', () => {
    assert.deepEqual(parseResponse('{"id":7,"ok":true,"item":{"kind":"snapshot"}}'), { id: 7, ok: true, item: { kind: 'snapshot' } });
    assert.deepEqual(parseRequest('{"id":8,"method":"inspect","params":{"follow":true,"pathPrefix":"agent/probes","kinds":["event"],"backlog":5}}'), {
      request: { id: 8, method: 'inspect', params: { follow: true, pathPrefix: 'agent/probes', kinds: ['event'], backlog: 5 } },
    });
    for (const [params, problem] of [
      ['{}', /follow must be a boolean/],
      ['{"follow":true,"pathPrefix":""}', /pathPrefix must be a non-empty string/],
      ['{"follow":true,"kinds":"event"}', /kinds must be a list/],
      ['{"follow":true,"backlog":1.5}', /backlog must be a non-negative integer/],
      ['{"follow":true,"path":"agent"}', /unknown inspect param "path"/],
    ] as const) {
      const parsed = parseRequest(`{"id":9,"method":"inspect","params":${params}}`);
      assert.ok('problem' in parsed, params);
      assert.match(parsed.problem, problem, params);
    }
  });

  it('without an agent: E_AGENT_NOT_RUNNING', async () => {
    await server?.close();
    server = undefined;
    await assert.rejects(readAll(stateDir, { follow: false }), (error: unknown) => isGravityError(error, 'E_AGENT_NOT_RUNNING'));
  });
});
