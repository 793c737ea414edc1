// Sends sd_notify datagrams to NOTIFY_SOCKET. Node has no Unix datagram sockets, so a path socket is
// reached through the `unix-dgram` native module: one datagram from the agent's own process per
// message (what NotifyAccess=main accepts), with no process spawned per watchdog ping. unix-dgram
// cannot address an abstract socket (`@name`: it copies the address as a C string, so the leading NUL
// ends it), so those, and a host where the module failed to load, go through `systemd-notify --pid`,
// which as root sends with the agent's pid as the sender (see docs/systemd.md).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/** The few parts of unix-dgram used here. */
interface UnixDgramSocket {
  send(buffer: Buffer, offset: number, length: number, path: string, callback: (error?: Error & { code?: number | string }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

export type NotifyTransportKind = 'datagram' | 'systemd-notify';

export interface NotifySender {
  readonly transport: NotifyTransportKind;
  /** Sends one message; failures go to onError (systemd gone, a full socket), never throw. */
  send(message: string): void;
}

export interface NotifySenderOptions {
  /** The pid systemd should see as the sender (the service's main process): process.pid. */
  pid?: number;
  onError?: (error: Error) => void;
  /** Forces a transport (tests); by default the datagram one unless the socket is abstract. */
  transport?: NotifyTransportKind;
}

const errnoNames: Record<number, string> = { 2: 'ENOENT', 11: 'EAGAIN', 13: 'EACCES', 111: 'ECONNREFUSED', 90: 'EMSGSIZE' };

let unixDgram: { module: UnixDgramModule } | { error: Error } | undefined;

/** The native module, or why it cannot load here. */
function loadUnixDgram(): { module: UnixDgramModule } | { error: Error } {
  if (unixDgram === undefined) {
    try {
      unixDgram = { module: createRequire(import.meta.url)('unix-dgram') as UnixDgramModule };
    } catch (error) {
      unixDgram = { error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  return unixDgram;
}

function datagramSender(socket: string, module: UnixDgramModule, onError: (error: Error) => void): NotifySender {
  return {
    transport: 'datagram',
    send(message) {
      // A socket per message, as sd_notify does: nothing stays open to keep the process alive.
      const client = module.createSocket('unix_dgram');
      client.on('error', (error) => onError(error));
      const buffer = Buffer.from(message, 'utf8');
      try {
        client.send(buffer, 0, buffer.length, socket, (error) => {
          if (error === undefined) return;
          // unix-dgram reports a negative errno, or 1 when the socket's buffer is full.
          const code =
            error.code === 1 ? 'the socket is full' : typeof error.code === 'number' ? (errnoNames[-error.code] ?? `errno ${-error.code}`) : String(error.code ?? error.message);
          onError(new Error(`cannot send to NOTIFY_SOCKET ${socket}: ${code}`));
        });
      } finally {
        client.close();
      }
    },
  };
}

function systemdNotifySender(socket: string, pid: number, onError: (error: Error) => void): NotifySender {
  return {
    transport: 'systemd-notify',
    send(message) {
      const child = spawn('systemd-notify', ['--no-block', `--pid=${pid}`, ...message.split('\n')], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: socket },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', (error) => onError(new Error(`cannot run systemd-notify: ${error.message}`)));
      child.once('close', (code) => {
        if (code !== 0 && code !== null) onError(new Error(`systemd-notify exited with code ${code}: ${stderr.trim()}`));
      });
    },
  };
}

/**
 * @example const sender = createNotifySender('/run/systemd/notify'); sender.send('READY=1');
 */
export function createNotifySender(socket: string, options: NotifySenderOptions = {}): NotifySender {
  const onError = options.onError ?? (() => undefined);
  const pid = options.pid ?? process.pid;
  const wanted = options.transport ?? (socket.startsWith('@') ? 'systemd-notify' : 'datagram');
  if (wanted === 'datagram') {
    const loaded = loadUnixDgram();
    if ('module' in loaded) return datagramSender(socket, loaded.module, onError);
    onError(new Error(`the unix-dgram module cannot load (${loaded.error.message}): notifying through systemd-notify instead`));
  }
  return systemdNotifySender(socket, pid, onError);
}

/** Whether the datagram transport can be used on this host (the native module loads). */
export function datagramTransportAvailable(): boolean {
  return 'module' in loadUnixDgram();
}
