// The node RPC server the agents of a cluster call each other on: HTTPS with mutual TLS from the
// cluster CA. The handshake itself refuses a client without a certificate of this CA for clientAuth
// (`requestCert` and `rejectUnauthorized`), so that nothing reaches a handler from outside the
// cluster; each connection's certificate is then checked once more as a node certificate
// (verifyNodeCertificate), which names the calling node. Everything it reads is bounded: 64 KiB of
// body, 64 connections, short header and request timeouts.

import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { listenServer } from '../api/listen-error.ts';
import type { ListeningServer } from '../api/listen-error.ts';
import type { Clock } from '../clock.ts';
import { isGravityError } from '../errors.ts';
import type { ClusterReport } from '../health/types.ts';
import type { Logger } from '../log.ts';
import { formatBytes } from '../config/limits.ts';
import { verifyNodeCertificate, type VerifiedNode } from './node-certificate.ts';
import { maxRpcConnections, maxRpcRequestBytes, rpcPaths, type RpcAgentInfo, type RpcErrorBody } from './rpc-protocol.ts';
import { refusalLogger } from './rpc-refusal-log.ts';

/** How long a client has for its TLS handshake, for its headers, and for its whole request. */
const handshakeTimeoutMs = 10_000;
const headersTimeoutMs = 10_000;
const requestTimeoutMs = 15_000;
const keepAliveTimeoutMs = 5_000;
const maxHeaderBytes = 16 * 1024;

export interface RpcServerOptions {
  /** The IP address to listen on. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** This node's certificate and key, and the cluster CA its peers' certificates are checked against. */
  pki: { caPem: string; certPem: string; keyPem: string };
  /** This node's status (the control method `status`). */
  status: () => ClusterReport | Promise<ClusterReport>;
  /** The agent that answers (from the control method `ping`). */
  agent: () => RpcAgentInfo | Promise<RpcAgentInfo>;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
}

/** The server listening: where, and how to stop it. */
export type RpcServer = ListeningServer;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

function errorAnswer(status: number, error: string, message: string, headers?: Record<string, string>): Answer {
  const body: RpcErrorBody = { error, message };
  return { status, body, ...(headers === undefined ? {} : { headers }) };
}

function send(res: ServerResponse, answer: Answer, close: boolean): void {
  const text = `${JSON.stringify(answer.body)}\n`;
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
    ...answer.headers,
  });
  res.end(text);
}

/**
 * How much of a body past the limit is still read (and dropped) before the 413: a client is told why
 * only if it has finished sending, since closing on unread data resets the connection first.
 */
const maxDrainBytes = 1024 * 1024;

/**
 * Reads the body, keeping none of it: 'too-large' when it is past the limit (declared or sent),
 * once it has ended or past maxDrainBytes; 'ok' at its end otherwise.
 */
function readBody(req: IncomingMessage): Promise<'ok' | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const declaredTooLarge = Number.isFinite(declared) && declared > maxRpcRequestBytes;
  if (declaredTooLarge && declared > maxDrainBytes) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxDrainBytes) {
        req.off('data', onData);
        resolve('too-large');
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve(declaredTooLarge || bytes > maxRpcRequestBytes ? 'too-large' : 'ok'));
    req.once('error', reject);
  });
}

/**
 * Starts the node RPC server; resolves once it listens (E_LISTEN when it cannot).
 * @example const server = await startRpcServer({ host: '10.0.0.5', port: 3012, pki, status, agent, logger, clock });
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { logger } = options;
  const callers = new WeakMap<TLSSocket, Promise<VerifiedNode>>();
  // Refused handshakes, and certificates the handshake took that are no node's: at most once per address per minute.
  const logRefusal = refusalLogger(logger, options.clock);

  /** The node the connection's certificate names, checked once per connection. */
  function callerOf(socket: TLSSocket): Promise<VerifiedNode> {
    let caller = callers.get(socket);
    if (caller === undefined) {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      caller = raw === undefined ? Promise.reject(new Error('no client certificate')) : verifyNodeCertificate(options.pki.caPem, new X509Certificate(raw).toString(), { now: new Date(options.clock.now()) });
      caller.catch(() => undefined);
      callers.set(socket, caller);
    }
    return caller;
  }

  async function route(req: IncomingMessage): Promise<Answer> {
    const path = (req.url ?? '/').split('?')[0];
    const known = Object.values(rpcPaths) as string[];
    if (path === undefined || !known.includes(path)) return errorAnswer(404, 'not_found', `no such path: ${(path ?? '').slice(0, 200)}`);
    if (req.method !== 'GET') return errorAnswer(405, 'method_not_allowed', `${path} takes GET only`, { allow: 'GET' });
    switch (path) {
      case rpcPaths.status:
        return { status: 200, body: await options.status() };
      case rpcPaths.agent:
        return { status: 200, body: await options.agent() };
      default:
        return { status: 200, body: { now: options.clock.now() } };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    let caller: VerifiedNode;
    try {
      caller = await callerOf(socket);
    } catch (error) {
      const reason = isGravityError(error) ? error.message : 'no valid client certificate';
      logRefusal(socket.remoteAddress ?? 'unknown', reason, 'certificate');
      send(res, errorAnswer(403, 'forbidden', reason), true);
      return;
    }
    if ((await readBody(req)) === 'too-large') {
      send(res, errorAnswer(413, 'payload_too_large', `a request body is at most ${formatBytes(maxRpcRequestBytes)}`), true);
      return;
    }
    const answer = await route(req);
    logger.debug({ caller: caller.name, method: req.method, path: req.url?.slice(0, 200), status: answer.status }, 'node RPC request');
    send(res, answer, answer.status >= 400);
  }

  const server = createServer(
    {
      key: options.pki.keyPem,
      cert: options.pki.certPem,
      ca: [options.pki.caPem],
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: handshakeTimeoutMs,
      maxHeaderSize: maxHeaderBytes,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error), path: req.url?.slice(0, 200) }, 'node RPC request failed');
        if (!res.headersSent) send(res, errorAnswer(500, 'internal', 'the agent could not answer'), true);
        else res.destroy();
      });
    },
  );
  server.maxConnections = maxRpcConnections;
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  // Every socket, handshakes under way included (closeAllConnections knows HTTP connections only),
  // with its client's address read on arrival: a TLS socket whose handshake failed has lost it.
  const sockets = new Set<Socket>();
  const addresses = new WeakMap<Socket, string>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    addresses.set(socket, socket.remoteAddress ?? 'unknown');
    socket.once('close', () => sockets.delete(socket));
  });
  /** The client's address of a TLS socket, through the TCP socket it was made from. */
  const peerAddress = (socket: TLSSocket): string => {
    const parent = (socket as TLSSocket & { _parent?: Socket })._parent;
    return socket.remoteAddress ?? (parent === undefined ? undefined : addresses.get(parent)) ?? 'unknown';
  };
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    // The certificate check's own reason (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE) says more than the reset that follows it.
    const authorization = socket.authorizationError as Error | string | null | undefined;
    const code = (error as { code?: unknown }).code;
    const reason = authorization instanceof Error ? authorization.message : (authorization ?? (typeof code === 'string' ? code : error.message));
    logRefusal(peerAddress(socket), reason);
  });
  server.on('clientError', (_error: Error, socket) => socket.destroy());

  const listening = await listenServer(server, {
    host: options.host,
    port: options.port,
    what: 'the node RPC',
    onClose: () => {
      for (const socket of sockets) socket.destroy();
    },
  });
  server.on('error', (error: Error) => logger.error({ error: error.message }, 'node RPC server error'));
  return listening;
}
