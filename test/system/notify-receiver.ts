// The systemd side of sd_notify for tests: a real Unix datagram socket bound at a path (through the
// unix-dgram native module, as Node has no datagram sockets of this family), collecting every
// message with the time it arrived, as systemd's notify socket would receive them.

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNotifyMessage } from '../../src/system/notify-protocol.ts';

interface ReceivingSocket {
  on(event: 'message', listener: (buffer: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'listening', listener: () => void): void;
  bind(path: string): void;
  close(): void;
}

export interface ReceivedMessage {
  /** Date.now() when it arrived. */
  at: number;
  text: string;
  fields: Record<string, string>;
}

export interface NotifyReceiver {
  /** The socket's path: the NOTIFY_SOCKET to give the agent. */
  path: string;
  messages: ReceivedMessage[];
  /** Messages that carry this assignment (e.g. 'WATCHDOG'). */
  with(field: string): ReceivedMessage[];
  close(): void;
}

/**
 * @example const receiver = bindNotifyReceiver(); spawn(..., { env: { NOTIFY_SOCKET: receiver.path } });
 */
export function bindNotifyReceiver(): NotifyReceiver {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-notify-'));
  const path = join(dir, 'notify');
  const unixDgram = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): ReceivingSocket };
  const socket = unixDgram.createSocket('unix_dgram');
  const messages: ReceivedMessage[] = [];
  let bindError: Error | undefined;
  socket.on('error', (error) => (bindError ??= error));
  socket.on('message', (buffer) => {
    const text = buffer.toString('utf8');
    messages.push({ at: Date.now(), text, fields: parseNotifyMessage(text) });
  });
  socket.bind(path);
  if (bindError !== undefined) throw bindError;
  let closed = false;
  return {
    path,
    messages,
    with: (field) => messages.filter((message) => message.fields[field] !== undefined),
    close() {
      if (closed) return;
      closed = true;
      socket.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
