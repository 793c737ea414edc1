// The control channel's wire format: one JSON message per line, typed requests, responses with a
// result or an error {code, message}, and framing that survives arbitrary chunking.

import assert from 'node:assert/strict';
import { LineSplitter, encodeMessage, parseRequest, parseResponse } from '../../src/api/control-protocol.ts';

describe('api/control-protocol', () => {
  it('encodes one message per line', () => {
    const line = encodeMessage({ id: 1, method: 'ping', params: {} });
    assert.equal(line, '{"id":1,"method":"ping","params":{}}\n');
    assert.equal(line.indexOf('\n'), line.length - 1);
  });

  it('parses requests and reports what is wrong with bad ones', () => {
    assert.deepEqual(parseRequest('{"id":3,"method":"tree"}'), { request: { id: 3, method: 'tree', params: {} } });
    const table: [string, number | null, RegExp][] = [
      ['not json', null, /not JSON/],
      ['[1,2]', null, /JSON object/],
      ['{"method":"ping"}', null, /id must be an integer/],
      ['{"id":1.5,"method":"ping"}', null, /id must be an integer/],
      ['{"id":2,"method":"reboot"}', 2, /unknown method "reboot" \(known: ping, tree, status, history, system, operation-stop, inspect, operation\)/],
      ['{"id":4,"method":"ping","params":[1]}', 4, /params must be an object/],
    ];
    for (const [line, id, problem] of table) {
      const parsed = parseRequest(line);
      assert.ok('problem' in parsed, line);
      assert.equal(parsed.id, id, line);
      assert.match(parsed.problem, problem, line);
    }
  });

  it('parses a system request, which takes no params', () => {
    assert.deepEqual(parseRequest('{"id":6,"method":"system"}'), { request: { id: 6, method: 'system', params: {} } });
    const parsed = parseRequest('{"id":7,"method":"system","params":{"fresh":true}}');
    assert.ok('problem' in parsed);
    assert.equal(parsed.id, 7);
    assert.match(parsed.problem, /system takes no params/);
  });

  it('checks the params of history requests', () => {
    assert.deepEqual(parseRequest('{"id":5,"method":"history","params":{"since":1000,"node":"node-1","limit":10}}'), {
      request: { id: 5, method: 'history', params: { since: 1000, node: 'node-1', limit: 10 } },
    });
    assert.deepEqual(parseRequest('{"id":6,"method":"history"}'), { request: { id: 6, method: 'history', params: {} } });
    const table: [string, RegExp][] = [
      ['{"since":"yesterday"}', /since must be a number/],
      ['{"node":7}', /node must be a string/],
      ['{"limit":-1}', /limit must be a non-negative integer/],
      ['{"limit":1.5}', /limit must be a non-negative integer/],
      ['{"type":"Probe Failed"}', /unknown history param "type"/],
    ];
    for (const [params, problem] of table) {
      const parsed = parseRequest(`{"id":9,"method":"history","params":${params}}`);
      assert.ok('problem' in parsed, params);
      assert.equal(parsed.id, 9);
      assert.match(parsed.problem, problem, params);
    }
  });

  it('parses results and errors; anything else is malformed', () => {
    assert.deepEqual(parseResponse('{"id":1,"ok":true,"result":{"a":1}}'), { id: 1, ok: true, result: { a: 1 } });
    assert.deepEqual(parseResponse('{"id":2,"ok":false,"error":{"code":"E_X","message":"no","details":["a","b"]}}'), {
      id: 2,
      ok: false,
      error: { code: 'E_X', message: 'no', details: ['a', 'b'] },
    });
    assert.deepEqual(parseResponse('{"id":null,"ok":false,"error":{"code":"E_X","message":"bad frame"}}'), {
      id: null,
      ok: false,
      error: { code: 'E_X', message: 'bad frame' },
    });
    for (const bad of ['nope', '{"id":1,"ok":true}', '{"id":1,"ok":false,"error":{"code":1,"message":"m"}}', '{"ok":true,"result":1}', '"x"']) {
      assert.equal(parseResponse(bad), undefined, bad);
    }
  });

  it('splits a stream into lines however it is chunked, and refuses an endless line', () => {
    const message = encodeMessage({ id: 7, method: 'tree', params: {} }) + encodeMessage({ id: 8, method: 'ping', params: {} });
    for (let size = 1; size <= message.length; size++) {
      const splitter = new LineSplitter();
      const lines: string[] = [];
      for (let at = 0; at < message.length; at += size) lines.push(...splitter.push(Buffer.from(message.slice(at, at + size))));
      assert.deepEqual(lines.map((line) => (JSON.parse(line) as { id: number }).id), [7, 8], `chunk size ${size}`);
    }
    const small = new LineSplitter(16);
    assert.deepEqual(small.push('short\n\n'), ['short']);
    assert.throws(() => small.push('x'.repeat(17)), RangeError);
  });

  it('checks the params of operation requests: the action, the id, a phase only where one is taken, its length, force', () => {
    assert.deepEqual(parseRequest('{"id":1,"method":"operation","params":{"action":"resume","operationId":"8c307e70-aa"}}'), {
      request: { id: 1, method: 'operation', params: { action: 'resume', operationId: '8c307e70-aa' } },
    });
    assert.deepEqual(parseRequest('{"id":2,"method":"operation","params":{"action":"execute","operationId":"op","phase":"/a/b","force":true}}'), {
      request: { id: 2, method: 'operation', params: { action: 'execute', operationId: 'op', phase: '/a/b', force: true } },
    });
    const long = 'x'.repeat(4097);
    const table: [Record<string, unknown>, RegExp][] = [
      [{ action: 'explode', operationId: 'op' }, /action must be one of execute, resume, rollback, rollback-all, complete/u],
      [{ action: 'resume' }, /operationId must be an operation id/u],
      [{ action: 'resume', operationId: 'a b' }, /operationId must be an operation id/u],
      [{ action: 'resume', operationId: 'o'.repeat(129) }, /operationId must be an operation id/u],
      [{ action: 'resume', operationId: 'op', phase: '/a' }, /unknown operation param "phase" for resume/u],
      [{ action: 'execute', operationId: 'op', force: false }, /phase must be a phase path of at most 4096 characters/u],
      [{ action: 'rollback', operationId: 'op', phase: `/${long}`, force: false }, /at most 4096 characters/u],
      [{ action: 'execute', operationId: 'op', phase: '/a', force: 'yes' }, /force must be a boolean/u],
    ];
    for (const [params, problem] of table) {
      const parsed = parseRequest(JSON.stringify({ id: 9, method: 'operation', params }));
      assert.ok('problem' in parsed, JSON.stringify(params));
      assert.match(parsed.problem, problem);
    }
  });

  it('checks the params of operation-stop requests', () => {
    assert.deepEqual(parseRequest('{"id":1,"method":"operation-stop"}'), { request: { id: 1, method: 'operation-stop', params: {} } });
    assert.deepEqual(parseRequest('{"id":2,"method":"operation-stop","params":{"operationId":"op"}}'), {
      request: { id: 2, method: 'operation-stop', params: { operationId: 'op' } },
    });
    for (const params of [{ operationId: 7 }, { all: true }]) {
      assert.ok('problem' in parseRequest(JSON.stringify({ id: 3, method: 'operation-stop', params })));
    }
  });

  it('carries an error hint across the socket', () => {
    const parsed = parseResponse('{"id":4,"ok":false,"error":{"code":"E_OPERATION_LOCKED","message":"busy","hint":"wait"}}');
    assert.deepEqual(parsed, { id: 4, ok: false, error: { code: 'E_OPERATION_LOCKED', message: 'busy', hint: 'wait' } });
  });
});
