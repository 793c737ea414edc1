// The agent's end of the control channel: a Unix socket in the state dir that only the agent's own
// user can open (mode 0600, set through the umask before the socket exists, so there is no window in
// which anyone else can connect). It answers the methods of control-protocol.ts with the handlers
// the agent gives it; it holds no agent logic itself. A streamed method's handler returns an async
// iterator: each item it yields becomes one message, written only as fast as the client reads, and
// its return value ends the stream. The iterator is told through an AbortSignal when the client has
// gone or the server closes, and must then end. The socket file is checked every few seconds (and on
// recheck(), which the agent calls on SIGHUP): when it was removed or replaced, the server listens on
// a new one, so that a stray `rm` in the state dir does not cut the CLI off from a running agent.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { systemClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type {
  ControlError,
  ControlMethod,
  ControlMethods,
  ControlRequest,
  ControlResponse,
  ControlStreamMethod,
  ControlStreams,
} from './control-protocol.ts';
import { LineSplitter, controlSocketRecheckMs, encodeMessage, parseRequest } from './control-protocol.ts';

export type ControlHandler<M extends ControlMethod> = (
  params: ControlMethods[M]['params'],
) => ControlMethods[M]['result'] | Promise<ControlMethods[M]['result']>;

/**
 * Answers a streamed method: yields its items and returns its result. It must end soon after
 * `signal` aborts (the client went away, or the server is closing).
 * @example const inspect: ControlStreamHandler<'inspect'> = (params, signal) => readInspection(bus, history, params, signal);
 */
export type ControlStreamHandler<S extends ControlStreamMethod> = (
  params: ControlStreams[S]['params'],
  signal: AbortSignal,
) => AsyncIterator<ControlStreams[S]['item'], ControlStreams[S]['result'], undefined>;

/** The methods every agent answers; the others are registered by the parts of the agent that serve them. */
export type CoreControlMethod = 'ping' | 'tree';

/**
 * The agent's handlers: `ping` and `tree` always; `status` and `history` once the health model and the
 * timeline are wired in; `system` once the task pool is; streamed methods (`inspect`) when given (a method without a handler is
 * refused with E_CONTROL_REQUEST).
 */
export type ControlHandlers = { [M in CoreControlMethod]: ControlHandler<M> } & {
  [M in Exclude<ControlMethod, CoreControlMethod>]?: ControlHandler<M>;
} & { [S in ControlStreamMethod]?: ControlStreamHandler<S> };

export interface ControlServerOptions {
  socketPath: string;
  handlers: ControlHandlers;
  logger?: Logger;
  /** Times the grace periods of close() and the socket checks; defaults to the system clock. */
  clock?: Clock;
  /** How often the socket file is checked (controlSocketRecheckMs by default). */
  recheckMs?: number;
}

/** What a check of the socket file found: still ours, made again, or it could not be made again. */
export type SocketCheck = 'present' | 'recreated' | 'failed' | 'closed';

export interface ControlServer {
  readonly socketPath: string;
  /**
   * Checks that the socket file is still the one this server listens on and, when it was removed or
   * replaced, listens on a new one (the agent runs this every few seconds and on SIGHUP).
   */
  recheck(): Promise<SocketCheck>;
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

/**
 * On close, how long streams get to send their last message before the connections are ended, and
 * then how long a client gets to hang up before its connection is destroyed.
 */
export const controlCloseGraceMs = 1000;

/** Mode of the socket file: read and write for the agent's user only. */
export const controlSocketMode = 0o600;

/** Removes a socket file left by an agent that died; refuses to remove anything that is not a socket. */
function removeStaleSocket(socketPath: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    throw new GravityError('E_STATE_DIR', `${socketPath} exists and is not a socket`, {
      hint: 'remove it, or point --state-dir at another directory',
    });
  }
  unlinkSync(socketPath);
}

/** Whether the socket file is the one with `inode`, missing, or something else now. */
function socketFileState(socketPath: string, inode: number): 'ours' | 'missing' | 'replaced' {
  try {
    const stats = lstatSync(socketPath);
    return stats.isSocket() && stats.ino === inode ? 'ours' : 'replaced';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

function toControlError(error: unknown): ControlError {
  if (isGravityError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.details.length > 0 ? { details: [...error.details] } : {}),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    };
  }
  return { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function unserved(method: ControlMethod | ControlStreamMethod): never {
  throw new GravityError('E_CONTROL_REQUEST', `this agent does not serve '${method}' yet`);
}

/** A request's answer: one result, or an iterator of items ending with a result. */
type Answer = { kind: 'result'; result: Promise<unknown> } | { kind: 'stream'; items: AsyncIterator<unknown, unknown, undefined> };

function dispatch(handlers: ControlHandlers, request: ControlRequest, signal: AbortSignal): Answer {
  // Promise.resolve().then: a handler that throws becomes a rejected result, like one that rejects.
  const result = (run: () => unknown): Answer => ({ kind: 'result', result: Promise.resolve().then(run) });
  switch (request.method) {
    case 'ping':
      return result(() => handlers.ping(request.params));
    case 'tree':
      return result(() => handlers.tree(request.params));
    case 'status':
      return result(() => (handlers.status ?? unserved(request.method))(request.params));
    case 'history':
      return result(() => (handlers.history ?? unserved(request.method))(request.params));
    case 'system':
      return result(() => (handlers.system ?? unserved(request.method))(request.params));
    case 'operation-stop':
      return result(() => (handlers['operation-stop'] ?? unserved(request.method))(request.params));
    case 'inspect':
      return { kind: 'stream', items: (handlers.inspect ?? unserved(request.method))(request.params, signal) };
    case 'operation':
      return { kind: 'stream', items: (handlers.operation ?? unserved(request.method))(request.params, signal) };
  }
}

/** Resolves once the socket can take more, or once it is gone or the stream is aborted. */
function writable(socket: Socket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
    signal.addEventListener('abort', done);
  });
}

/** Sends a stream's items, then its result; `items` is returned early when the client goes away. */
async function pump(socket: Socket, id: number, items: AsyncIterator<unknown, unknown, undefined>, signal: AbortSignal): Promise<void> {
  for (;;) {
    const step = await items.next();
    if (step.done === true) {
      if (!socket.destroyed) socket.write(encodeMessage({ id, ok: true, result: step.value ?? null }));
      return;
    }
    if (socket.destroyed) {
      await items.return?.();
      return;
    }
    if (!socket.write(encodeMessage({ id, ok: true, item: step.value })) && !signal.aborted) await writable(socket, signal);
  }
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens on `socketPath`; the caller must hold the state dir's lock (a leftover socket is removed).
 * @example const server = await startControlServer({ socketPath: join(stateDir, 'agent.sock'), handlers, logger });
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, handlers, logger } = options;
  const clock = options.clock ?? systemClock;
  const connections = new Set<Socket>();
  /** Aborted when the server closes: every stream ends. */
  const closing = new AbortController();
  const streams = new Set<Promise<void>>();

  const onConnection = (socket: Socket): void => {
    connections.add(socket);
    /** Aborted when this client goes away (or the server closes): its streams end. */
    const gone = new AbortController();
    const onClosing = (): void => gone.abort();
    closing.signal.addEventListener('abort', onClosing);
    socket.on('close', () => {
      connections.delete(socket);
      closing.signal.removeEventListener('abort', onClosing);
      gone.abort();
    });
    socket.on('error', (error) => logger?.debug({ err: error }, 'control connection error'));
    const lines = new LineSplitter();
    const reply = (response: ControlResponse): void => {
      if (!socket.destroyed) socket.write(encodeMessage(response));
    };
    socket.on('data', (chunk: Buffer) => {
      let received: string[];
      try {
        received = lines.push(chunk);
      } catch (error) {
        reply({ id: null, ok: false, error: { code: 'E_CONTROL_REQUEST', message: (error as Error).message } });
        socket.end();
        return;
      }
      for (const line of received) {
        const parsed = parseRequest(line);
        if (!('request' in parsed)) {
          reply({ id: parsed.id, ok: false, error: { code: 'E_CONTROL_REQUEST', message: parsed.problem } });
          continue;
        }
        const { request } = parsed;
        logger?.debug({ method: request.method, id: request.id }, 'control request');
        const fail = (error: unknown): void => {
          if (!isGravityError(error) || !error.userError) logger?.error({ err: error, method: request.method }, 'control request failed');
          reply({ id: request.id, ok: false, error: toControlError(error) });
        };
        let answer: Answer;
        try {
          answer = dispatch(handlers, request, gone.signal);
        } catch (error) {
          fail(error);
          continue;
        }
        if (answer.kind === 'result') {
          answer.result.then((result) => reply({ id: request.id, ok: true, result }), fail);
        } else {
          const stream = pump(socket, request.id, answer.items, gone.signal).catch(fail);
          streams.add(stream);
          void stream.finally(() => streams.delete(stream));
        }
      }
    });
  };

  /** Listens on a new socket file; returns the server and the file's inode, to tell it from a replacement. */
  const open = async (): Promise<{ server: Server; inode: number }> => {
    const opened = createServer(onConnection);
    removeStaleSocket(socketPath);
    // The umask makes the socket 0600 from the moment it exists; the chmod below only confirms it.
    const previousUmask = process.umask(0o177);
    try {
      await listen(opened, socketPath);
    } finally {
      process.umask(previousUmask);
    }
    chmodSync(socketPath, controlSocketMode);
    return { server: opened, inode: lstatSync(socketPath).ino };
  };

  let current = await open();
  /** Servers whose socket file went away: they accept nothing more; their connections end on their own. */
  const retired: Promise<void>[] = [];
  let shuttingDown = false;
  let recheckTimer: TimerHandle | undefined;
  let rechecking: Promise<SocketCheck> | undefined;

  /** Makes the socket again when its file is gone or is no longer ours (see ControlServer.recheck). */
  const checkSocket = async (): Promise<SocketCheck> => {
    if (shuttingDown) return 'closed';
    let found: 'ours' | 'missing' | 'replaced';
    try {
      found = socketFileState(socketPath, current.inode);
    } catch (error) {
      logger?.error({ err: error, socket: socketPath }, 'cannot check the control socket');
      return 'failed';
    }
    if (found === 'ours') return 'present';
    logger?.warn({ socket: socketPath, found }, found === 'missing' ? 'the control socket was removed: making it again' : 'the control socket was replaced: making it again');
    const old = current.server;
    // Closing unlinks the server's path, so the old server goes before the new socket exists.
    retired.push(new Promise<void>((resolve) => old.close(() => resolve())));
    try {
      current = await open();
    } catch (error) {
      logger?.error({ err: error, socket: socketPath }, 'cannot make the control socket again; the CLI cannot reach the agent until it is restarted');
      return 'failed';
    }
    logger?.info({ socket: socketPath }, 'control socket made again');
    return 'recreated';
  };
  const recheck = (): Promise<SocketCheck> => {
    rechecking ??= checkSocket().finally(() => {
      rechecking = undefined;
    });
    return rechecking;
  };
  const scheduleRecheck = (): void => {
    if (shuttingDown) return;
    recheckTimer = clock.setTimeout(() => {
      void recheck().then(scheduleRecheck);
    }, options.recheckMs ?? controlSocketRecheckMs);
    // The check alone never keeps the process alive.
    (recheckTimer as { unref?: () => void }).unref?.();
  };
  scheduleRecheck();

  /** Ends the connections after the grace periods; both timers are cleared once moot, holding nothing open. */
  const shutDown = async (): Promise<void> => {
    let grace: TimerHandle | undefined;
    let stragglers: TimerHandle | undefined;
    let allClosed = false;
    shuttingDown = true;
    if (recheckTimer !== undefined) clock.clearTimeout(recheckTimer);
    await rechecking;
    const server = current.server;
    await new Promise<void>((resolve) => {
      server.close(() => void Promise.all(retired).then(() => resolve()));
      // Streams get to send their last message before the connections go.
      closing.abort();
      const streamsEnded = Promise.allSettled([...streams]);
      const waited = new Promise<void>((resolveWait) => {
        grace = clock.setTimeout(resolveWait, controlCloseGraceMs);
      });
      void Promise.race([streamsEnded, waited]).then(() => {
        if (grace !== undefined) clock.clearTimeout(grace);
        if (allClosed) return;
        for (const socket of connections) socket.end();
        stragglers = clock.setTimeout(() => {
          for (const socket of connections) socket.destroy();
        }, controlCloseGraceMs);
      });
    });
    allClosed = true;
    if (grace !== undefined) clock.clearTimeout(grace);
    if (stragglers !== undefined) clock.clearTimeout(stragglers);
    // net.Server removes its socket file on close; this covers the case where it did not.
    removeStaleSocket(socketPath);
  };

  let closed: Promise<void> | undefined;
  return {
    socketPath,
    recheck,
    close() {
      closed ??= shutDown();
      return closed;
    },
  };
}
