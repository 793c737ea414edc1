// The sd_notify protocol as pure functions: reading NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID the
// way sd_notify and sd_watchdog_enabled do, and writing and reading the datagrams' assignments.

import assert from 'node:assert/strict';
import { formatNotifyMessage, maxStatusLength, parseNotifyEnv, parseNotifyMessage, statusText } from '../../src/system/notify-protocol.ts';

describe('system/notify-protocol', () => {
  describe('parseNotifyEnv', () => {
    it('is off without NOTIFY_SOCKET', () => {
      assert.deepEqual(parseNotifyEnv({}, 10), { problems: [] });
      assert.deepEqual(parseNotifyEnv({ NOTIFY_SOCKET: '' }, 10), { problems: [] });
    });

    it('takes an absolute path or an abstract @name, and refuses anything else', () => {
      assert.deepEqual(parseNotifyEnv({ NOTIFY_SOCKET: '/run/systemd/notify' }, 10).notify, { socket: '/run/systemd/notify' });
      assert.deepEqual(parseNotifyEnv({ NOTIFY_SOCKET: '@sd-notify' }, 10).notify, { socket: '@sd-notify' });
      for (const bad of ['relative/notify', '@']) {
        const result = parseNotifyEnv({ NOTIFY_SOCKET: bad }, 10);
        assert.equal(result.notify, undefined);
        assert.equal(result.problems.length, 1);
      }
    });

    it('turns WATCHDOG_USEC into milliseconds, for this pid only', () => {
      const socket = '/run/systemd/notify';
      assert.equal(parseNotifyEnv({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: '30000000' }, 10).notify?.watchdogMs, 30_000);
      assert.equal(parseNotifyEnv({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: '2000000', WATCHDOG_PID: '10' }, 10).notify?.watchdogMs, 2000);
      const other = parseNotifyEnv({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: '2000000', WATCHDOG_PID: '11' }, 10);
      assert.equal(other.notify?.watchdogMs, undefined, 'meant for another process');
      assert.deepEqual(other.problems, []);
    });

    it('ignores a malformed watchdog setting, saying why', () => {
      const socket = '/run/systemd/notify';
      for (const env of [
        { NOTIFY_SOCKET: socket, WATCHDOG_USEC: 'soon' },
        { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '0' },
        { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '1000', WATCHDOG_PID: 'me' },
      ]) {
        const result = parseNotifyEnv(env, 10);
        assert.equal(result.notify?.socket, socket);
        assert.equal(result.notify.watchdogMs, undefined);
        assert.equal(result.problems.length, 1, JSON.stringify(env));
      }
    });
  });

  it('writes the assignments in one datagram, in a fixed order', () => {
    assert.equal(formatNotifyMessage({ ready: true, status: 'cluster running: 1 node' }), 'READY=1\nSTATUS=cluster running: 1 node');
    assert.equal(formatNotifyMessage({ watchdog: true }), 'WATCHDOG=1');
    assert.equal(formatNotifyMessage({ status: 'agent stopping', stopping: true }), 'STOPPING=1\nSTATUS=agent stopping');
  });

  it('keeps STATUS= to one line of bounded length (a newline would start another assignment)', () => {
    assert.equal(formatNotifyMessage({ status: 'line one\nWATCHDOG=1' }), 'STATUS=line one WATCHDOG=1');
    const long = statusText('x'.repeat(500));
    assert.equal(long.length, maxStatusLength);
    assert.ok(long.endsWith('…'));
  });

  it('reads a datagram back as systemd does', () => {
    assert.deepEqual(parseNotifyMessage('READY=1\nSTATUS=a=b\n\nnonsense'), { READY: '1', STATUS: 'a=b' });
  });
});
