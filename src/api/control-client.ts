// The CLI's end of the control channel: connects to the agent's socket in the state dir, sends
// requests and waits for their answers. A missing agent, a socket the user may not open and an agent
// that does not answer each become their own catalogue error, so commands can say what to do.
// Streamed methods (`inspect`) arrive as an async generator of items; the reader ends one early by
// leaving the loop or aborting its signal, which closes the connection (that is how the agent learns
// the reader has gone).

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { GravityError, errorCatalogue } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { ControlError, ControlMethod, ControlMethods, ControlRequest, ControlResponse, ControlStreamMethod, ControlStreams } from './control-protocol.ts';
import { LineSplitter, controlSocketName, controlSocketRecheckMs, encodeMessage, parseResponse } from './control-protocol.ts';
import { liveLockHolder } from '../supervisor/state-dir.ts';

export interface ControlClientOptions {
  /** The state dir whose agent to reach; its socket is `<stateDir>/agent.sock`. */
  stateDir: string;
  /** How long to wait for the connection and for each answer. */
  timeoutMs?: number;
}

export const defaultControlTimeoutMs = 5000;

export interface ControlStreamOptions {
  /** Ends the stream (and closes the connection) when aborted; the generator then returns undefined. */
  signal?: AbortSignal;
  /** Fail with E_AGENT_UNREACHABLE when no message arrives for this long (no limit by default: a follow may be quiet). */
  idleTimeoutMs?: number;
}

/** A stream's items, then its result; undefined when the reader ended it. */
export type ControlStreamReader<S extends ControlStreamMethod> = AsyncGenerator<ControlStreams[S]['item'], ControlStreams[S]['result'] | undefined, undefined>;

export interface ControlClient {
  call<M extends ControlMethod>(method: M, params?: ControlMethods[M]['params']): Promise<ControlMethods[M]['result']>;
  /**
   * Starts a streamed method. Leaving it before its end (break, return, throw, or the signal) closes
   * this client, since closing the connection is how the agent learns the reader has gone.
   */
  stream<S extends ControlStreamMethod>(method: S, params: ControlStreams[S]['params'], options?: ControlStreamOptions): ControlStreamReader<S>;
  close(): void;
}

/** Items a stream may hold unread before the socket is paused (the agent then waits for the reader). */
const streamHighWater = 1000;

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, controlSocketName);
}

function notRunning(stateDir: string, cause: unknown): GravityError {
  return new GravityError('E_AGENT_NOT_RUNNING', `no agent is running for state dir ${stateDir}: start it with 'gravity start'`, {
    hint: 'if the agent runs with another state directory, pass the same --state-dir',
    cause,
  });
}

/**
 * Nobody answers on the socket, yet the pid lock names a live agent: its socket was removed (or
 * replaced) while it ran, or it is still starting. Saying "no agent is running" would send the user
 * to start a second one. The code stays E_AGENT_NOT_RUNNING (no agent can be reached through the
 * socket), so that whoever waits for an agent to come up keeps waiting through its start.
 */
function socketLost(stateDir: string, pid: number, error: NodeJS.ErrnoException): GravityError {
  const socketPath = controlSocketPath(stateDir);
  const what = error.code === 'ENOENT' ? `its control socket ${socketPath} is missing` : `nothing listens on its control socket ${socketPath}`;
  return new GravityError('E_AGENT_NOT_RUNNING', `the agent (pid ${pid}) is running but ${what}`, {
    details: [
      `the agent checks its socket every ${controlSocketRecheckMs / 1000}s and makes it again when it is gone; where it runs as a service, 'kill -HUP ${pid}' makes it check at once`,
      'an agent that is still starting makes its socket once everything else is up',
    ],
    hint: `try again in a few seconds; if the socket does not come back, restart the agent: 'gravity stop' then 'gravity start'`,
    cause: error,
  });
}

function connectionError(stateDir: string, error: NodeJS.ErrnoException): GravityError {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED': {
      const pid = liveLockHolder(stateDir);
      return pid === undefined ? notRunning(stateDir, error) : socketLost(stateDir, pid, error);
    }
    case 'ENOTDIR':
      return notRunning(stateDir, error);
    case 'EACCES':
    case 'EPERM':
      return new GravityError('E_AGENT_ACCESS_DENIED', `permission denied on ${controlSocketPath(stateDir)}`, { cause: error });
    default:
      return new GravityError('E_AGENT_UNREACHABLE', `cannot reach the agent for state dir ${stateDir}: ${error.message}`, {
        cause: error,
      });
  }
}

/** Rebuilds an error that crossed the socket; catalogue codes come back as themselves. */
export function remoteError(error: ControlError): GravityError {
  const details = error.details ?? [];
  if (error.code in errorCatalogue) return new GravityError(error.code as ErrorCode, error.message, { details, ...(error.hint === undefined ? {} : { hint: error.hint }) });
  return new GravityError('E_CONTROL_REQUEST', `the agent refused the request: ${error.message} (${error.code})`, { details });
}

/**
 * Connects to the agent of a state dir.
 * @example const client = await connectControl({ stateDir: '/var/lib/gravity' }); const tree = await client.call('tree'); client.close();
 */
export function connectControl(options: ControlClientOptions): Promise<ControlClient> {
  const { stateDir } = options;
  const timeoutMs = options.timeoutMs ?? defaultControlTimeoutMs;
  const socketPath = controlSocketPath(stateDir);

  return new Promise<ControlClient>((resolve, reject) => {
    const socket: Socket = connect(socketPath);
    const pending = new Map<
      number,
      { resolve: (value: unknown) => void; reject: (error: Error) => void; timer?: NodeJS.Timeout; onItem?: (item: unknown) => void }
    >();
    let nextId = 1;
    let connected = false;
    let closedError: GravityError | undefined;

    const failAll = (error: GravityError): void => {
      closedError ??= error;
      for (const [id, entry] of pending) {
        clearTimeout(entry.timer);
        pending.delete(id);
        entry.reject(error);
      }
    };

    const connectTimer = setTimeout(() => {
      socket.destroy();
      reject(new GravityError('E_AGENT_UNREACHABLE', `the agent for state dir ${stateDir} did not accept a connection within ${timeoutMs} ms`));
    }, timeoutMs);

    const lines = new LineSplitter();
    socket.on('data', (chunk: Buffer) => {
      let received: string[];
      try {
        received = lines.push(chunk);
      } catch (error) {
        failAll(new GravityError('E_CONTROL_PROTOCOL', (error as Error).message));
        socket.destroy();
        return;
      }
      for (const line of received) {
        const response: ControlResponse | undefined = parseResponse(line);
        if (response === undefined) {
          failAll(new GravityError('E_CONTROL_PROTOCOL', `malformed message from the agent: ${line.slice(0, 200)}`));
          socket.destroy();
          return;
        }
        if (response.id === null) {
          // An error about no particular request (a broken frame): it concerns every pending call.
          failAll(remoteError(response.ok ? { code: 'E_CONTROL_PROTOCOL', message: 'response without id' } : response.error));
          continue;
        }
        const entry = pending.get(response.id);
        if (entry === undefined) continue;
        if (response.ok && 'item' in response) {
          if (entry.onItem === undefined) {
            failAll(new GravityError('E_CONTROL_PROTOCOL', `the agent streamed items in answer to a call (id ${response.id})`));
            socket.destroy();
            return;
          }
          entry.onItem(response.item);
          continue;
        }
        pending.delete(response.id);
        clearTimeout(entry.timer);
        if (!response.ok) entry.reject(remoteError(response.error));
        else if ('result' in response) entry.resolve(response.result);
      }
    });

    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        clearTimeout(connectTimer);
        reject(connectionError(stateDir, error));
        return;
      }
      failAll(new GravityError('E_AGENT_UNREACHABLE', `connection to the agent failed: ${error.message}`, { cause: error }));
    });
    socket.on('close', () => {
      failAll(new GravityError('E_AGENT_UNREACHABLE', `the agent for state dir ${stateDir} closed the connection`));
    });

    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      const close = (): void => {
        failAll(new GravityError('E_AGENT_UNREACHABLE', 'the control connection was closed'));
        socket.end();
        socket.destroy();
      };
      resolve({
        stream<S extends ControlStreamMethod>(method: S, params: ControlStreams[S]['params'], streamOptions: ControlStreamOptions = {}) {
          return readStream<S>(method, params, streamOptions);
        },
        call<M extends ControlMethod>(method: M, params?: ControlMethods[M]['params']): Promise<ControlMethods[M]['result']> {
          if (closedError !== undefined) return Promise.reject(closedError);
          const id = nextId++;
          // M is one method, so this is that method's request; TypeScript cannot narrow a generic union member.
          const request = { id, method, params: params ?? {} } as ControlRequest;
          return new Promise<ControlMethods[M]['result']>((resolveCall, rejectCall) => {
            const timer = setTimeout(() => {
              pending.delete(id);
              rejectCall(new GravityError('E_AGENT_UNREACHABLE', `the agent for state dir ${stateDir} did not answer '${method}' within ${timeoutMs} ms`));
            }, timeoutMs);
            pending.set(id, {
              resolve: (value) => resolveCall(value as ControlMethods[M]['result']),
              reject: rejectCall,
              timer,
            });
            socket.write(encodeMessage(request));
          });
        },
        close,
      });

      async function* readStream<S extends ControlStreamMethod>(
        method: S,
        params: ControlStreams[S]['params'],
        { signal, idleTimeoutMs }: ControlStreamOptions,
      ): ControlStreamReader<S> {
        if (closedError !== undefined) throw closedError;
        const id = nextId++;
        const items: ControlStreams[S]['item'][] = [];
        let ended: { result: ControlStreams[S]['result'] } | { error: Error } | undefined;
        let wake: (() => void) | undefined;
        const idle = (): NodeJS.Timeout | undefined =>
          idleTimeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                pending.delete(id);
                ended ??= {
                  error: new GravityError('E_AGENT_UNREACHABLE', `the agent for state dir ${stateDir} sent nothing on '${method}' for ${idleTimeoutMs} ms`),
                };
                wake?.();
              }, idleTimeoutMs);
        const entry = {
          timer: idle(),
          // The stream's own method fixes the item and result types; the wire only carries JSON.
          onItem: (item: unknown): void => {
            clearTimeout(entry.timer);
            entry.timer = idle();
            items.push(item as ControlStreams[S]['item']);
            if (items.length >= streamHighWater) socket.pause();
            wake?.();
          },
          resolve: (result: unknown): void => {
            ended ??= { result: result as ControlStreams[S]['result'] };
            wake?.();
          },
          reject: (error: Error): void => {
            ended ??= { error };
            wake?.();
          },
        };
        const onAbort = (): void => wake?.();
        signal?.addEventListener('abort', onAbort);
        pending.set(id, entry);
        // The stream's own method fixes its params' type; the union cannot see that they go together.
        socket.write(encodeMessage({ id, method, params } as ControlRequest));
        try {
          for (;;) {
            if (signal?.aborted === true) return undefined;
            if (items.length > 0) {
              const item = items.shift() as ControlStreams[S]['item'];
              if (items.length === streamHighWater / 2) socket.resume();
              yield item;
              continue;
            }
            if (ended !== undefined) {
              if ('error' in ended) throw ended.error;
              return ended.result;
            }
            await new Promise<void>((resolveWait) => {
              wake = resolveWait;
            });
            wake = undefined;
          }
        } finally {
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(entry.timer);
          pending.delete(id);
          if (ended === undefined) close();
          else socket.resume();
        }
      }
    });
  });
}

/**
 * One request on a fresh connection.
 * @example const { root } = await callAgent({ stateDir }, 'tree');
 */
export async function callAgent<M extends ControlMethod>(
  options: ControlClientOptions,
  method: M,
  params?: ControlMethods[M]['params'],
): Promise<ControlMethods[M]['result']> {
  const client = await connectControl(options);
  try {
    return await client.call(method, params);
  } finally {
    client.close();
  }
}

/**
 * One streamed request on a fresh connection: yields its items; the connection closes when the
 * stream ends or the reader leaves it (or aborts `signal`).
 * @example
 * for await (const record of streamAgent({ stateDir }, 'inspect', { pathPrefix: 'agent/probes', follow: true }, { signal })) {
 *   console.log(JSON.stringify(record));
 * }
 */
export async function* streamAgent<S extends ControlStreamMethod>(
  options: ControlClientOptions,
  method: S,
  params: ControlStreams[S]['params'],
  streamOptions: ControlStreamOptions = {},
): ControlStreamReader<S> {
  const client = await connectControl(options);
  try {
    return yield* client.stream(method, params, streamOptions);
  } finally {
    client.close();
  }
}
