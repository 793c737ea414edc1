// Refused handshakes on the node RPC are logged once per peer address per minute: the first with
// its reason, the next after the minute with how many were left out meanwhile.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { refusalLogger, refusalLogIntervalMs } from '../../src/cluster/rpc-refusal-log.ts';

describe('cluster/rpc refused-handshake log', () => {
  it('logs a refusal once per address per minute, then counts the ones it left out', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    let now = 1_000_000;
    const log = refusalLogger(pino({ level: 'info' }, sink), { now: () => now });
    log('127.0.0.5', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    log('127.0.0.5', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    log('127.0.0.6', 'peer did not return a certificate');
    now += refusalLogIntervalMs - 1;
    log('127.0.0.5', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.deepEqual(lines.map((line) => line.peer), ['127.0.0.5', '127.0.0.6']);
    now += 1;
    log('127.0.0.5', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.reason, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(lines[2]?.alsoRefused, 2);
    assert.equal(lines[0]?.alsoRefused, undefined);
    assert.equal(lines[0]?.stage, 'handshake');
    assert.equal(lines[0]?.msg, 'node RPC refused a caller');
  });
});
