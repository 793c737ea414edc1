// The agent's end of the control channel: a Unix socket in the state dir that only the agent's own
// user can open (mode 0600, set through the umask before the socket exists, so there is no window in
// which anyone else can connect). It answers the methods of control-protocol.ts with the handlers
// the agent gives it; it holds no agent logic itself.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { GravityError, isGravityError } from '../errors.ts';
import type { ControlError, ControlMethod, ControlMethods, ControlRequest, ControlResponse } from './control-protocol.ts';
import { LineSplitter, encodeMessage, parseRequest } from './control-protocol.ts';

export type ControlHandler<M extends ControlMethod> = (
  params: ControlMethods[M]['params'],
) => ControlMethods[M]['result'] | Promise<ControlMethods[M]['result']>;

/** The methods every agent answers; the others are registered by the parts of the agent that serve them. */
export type CoreControlMethod = 'ping' | 'tree';

/**
 * The agent's handlers: `ping` and `tree` always; `status` and `history` once the health model and the
 * timeline are wired in (a method without a handler is refused with E_CONTROL_REQUEST).
 */
export type ControlHandlers = { [M in CoreControlMethod]: ControlHandler<M> } & {
  [M in Exclude<ControlMethod, CoreControlMethod>]?: ControlHandler<M>;
};

export interface ControlServerOptions {
  socketPath: string;
  handlers: ControlHandlers;
  logger?: Logger;
}

export interface ControlServer {
  readonly socketPath: string;
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

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

function toControlError(error: unknown): ControlError {
  if (isGravityError(error)) {
    return { code: error.code, message: error.message, ...(error.details.length > 0 ? { details: [...error.details] } : {}) };
  }
  return { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function unserved(method: ControlMethod): never {
  throw new GravityError('E_CONTROL_REQUEST', `this agent does not serve '${method}' yet`);
}

async function dispatch(handlers: ControlHandlers, request: ControlRequest): Promise<unknown> {
  switch (request.method) {
    case 'ping':
      return handlers.ping(request.params);
    case 'tree':
      return handlers.tree(request.params);
    case 'status':
      return (handlers.status ?? unserved(request.method))(request.params);
    case 'history':
      return (handlers.history ?? unserved(request.method))(request.params);
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
  const connections = new Set<Socket>();

  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
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
        dispatch(handlers, request).then(
          (result) => reply({ id: request.id, ok: true, result }),
          (error: unknown) => {
            if (!isGravityError(error) || !error.userError) logger?.error({ err: error, method: request.method }, 'control request failed');
            reply({ id: request.id, ok: false, error: toControlError(error) });
          },
        );
      }
    });
  });

  removeStaleSocket(socketPath);
  // The umask makes the socket 0600 from the moment it exists; the chmod below only confirms it.
  const previousUmask = process.umask(0o177);
  try {
    await listen(server, socketPath);
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(socketPath, controlSocketMode);

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }).then(() => {
        // net.Server removes its socket file on close; this covers the case where it did not.
        removeStaleSocket(socketPath);
      });
      return closing;
    },
  };
}
