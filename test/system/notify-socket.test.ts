// Sending sd_notify datagrams to a real Unix datagram socket: through unix-dgram from this process,
// and through `systemd-notify --pid` (the fallback for abstract sockets), which as root sends in the
// agent's name and adds MAINPID=. A socket nobody listens on is an error reported, never thrown.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createNotifySender, datagramTransportAvailable } from '../../src/system/notify-socket.ts';
import { waitFor } from '../helpers/wait.ts';
import { bindNotifyReceiver } from './notify-receiver.ts';
import type { NotifyReceiver } from './notify-receiver.ts';

describe('system/notify-socket', function () {
  this.timeout(20_000);
  let receiver: NotifyReceiver;
  beforeEach(() => {
    receiver = bindNotifyReceiver();
  });
  afterEach(() => receiver.close());

  it('sends one datagram per message through unix-dgram', async () => {
    assert.ok(datagramTransportAvailable());
    const errors: Error[] = [];
    const sender = createNotifySender(receiver.path, { onError: (error) => errors.push(error) });
    assert.equal(sender.transport, 'datagram');
    sender.send('READY=1\nSTATUS=cluster running');
    sender.send('WATCHDOG=1');
    await waitFor(() => receiver.messages.length === 2, 5000, 'two datagrams');
    assert.deepEqual(
      receiver.messages.map((message) => message.text),
      ['READY=1\nSTATUS=cluster running', 'WATCHDOG=1'],
    );
    assert.deepEqual(errors, []);
  });

  it('reports a socket nobody listens on, without throwing', () => {
    const errors: Error[] = [];
    const sender = createNotifySender(`${receiver.path}.missing`, { onError: (error) => errors.push(error) });
    sender.send('READY=1');
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /cannot send to NOTIFY_SOCKET .*ENOENT/);
  });

  it('falls back to systemd-notify --pid (abstract sockets), which adds MAINPID=', async function () {
    if (!existsSync('/usr/bin/systemd-notify')) this.skip();
    const errors: Error[] = [];
    assert.equal(createNotifySender('@gravity-test', {}).transport, 'systemd-notify');
    const sender = createNotifySender(receiver.path, { transport: 'systemd-notify', onError: (error) => errors.push(error) });
    sender.send('READY=1\nSTATUS=cluster running');
    await waitFor(() => receiver.with('READY').length === 1, 10_000, 'READY=1 through systemd-notify');
    const message = receiver.with('READY')[0];
    assert.equal(message?.fields.STATUS, 'cluster running');
    assert.equal(message.fields.MAINPID, String(process.pid));
    assert.deepEqual(errors, []);
  });
});
