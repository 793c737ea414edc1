// The Control Panel's HTTPS server (:3009): the built pages, the JSON API they read and the live
// stream, every byte of it behind a signed-in session except the sign-in pages themselves and the
// static scripts (which hold no data). Built on fastify: routing, body parsing, cookies, rate limits
// and static files are what it does well. The data comes from `PanelSources`, which the panel
// extension wires to the agent's health model, supervision tree, inspection bus and store.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { InspectionRecord } from '../actors/inspection.ts';
import type { UserStore } from '../store/types.ts';
import { historyEventTypes } from '../store/types.ts';
import type { HistoryEventType } from '../store/types.ts';
import { drawableMachines, findDrawableMachine } from '../statechart/registry.ts';
import { machineModel } from '../statechart/graph.ts';
import { registerPanelAuth } from './panel-auth.ts';
import type { ActorRecordsResponse, HistoryFilter, HistoryResponse, MachinesResponse } from './panel-protocol.ts';
import { panelRoutes } from './panel-protocol.ts';
import type { PanelStreamSources } from './panel-stream.ts';
import { createPanelStreamHub } from './panel-stream.ts';
import { listenError } from './listen-error.ts';
import { panelLimits } from './panel-limits.ts';
import { pageActorRecords, parseActorRecordsQuery } from './actor-records-page.ts';
import { isStoreFailure, sendError } from './panel-errors.ts';
import { routeMethods } from './route-methods.ts';
import { turnQueue } from './turn-queue.ts';

/** What the panel shows, from wherever the agent keeps it. */
export interface PanelSources extends PanelStreamSources {
  history(filter: HistoryFilter): Promise<HistoryResponse>;
  /** The actor's recent inspection records, oldest first. */
  actorRecords(path: string): Promise<InspectionRecord[]>;
  /** `operations()` as JSON (OperationsResponse), serialized once for every client. */
  operationsJson(): Promise<string>;
  /** One operation with its bounded plan, as JSON (OperationDetailResponse); E_OPERATION_NOT_FOUND when there is none. */
  operationJson(id: string): Promise<string>;
}

export interface PanelServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls: { key: string; cert: string };
  /** The built pages (dist/web): index.html and assets/. */
  assetsDir: string;
  users: UserStore;
  /** How users reach the panel on `port` (the bound one: `https://<advertise addr>:3009`), for the URLs of invitations. */
  publicUrl: (port: number) => string;
  sources: PanelSources;
  clock: Clock;
  logger: Logger;
}

export interface PanelServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening, ends the live streams and closes every connection. */
  close(): Promise<void>;
}

// One answer's worth of history is read and serialized on the thread that also answers the health
// endpoint: a few milliseconds at most, in turn with everything else.
const maxHistoryLimit = 1_000;
const defaultHistoryLimit = 1_000;

/** Where the built pages are when running from a checkout or an installed package. */
export function defaultAssetsDir(): string {
  // This file is src/api/panel-server.ts (tsx) or dist/src/api/panel-server.js (built): the pages are
  // built to <repo>/dist/web either way.
  const here = path.dirname(new URL(import.meta.url).pathname);
  const repo = here.includes(`${path.sep}dist${path.sep}src${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
  return path.join(repo, 'dist', 'web');
}

function notBuiltPage(assetsDir: string): string {
  return (
    '<!doctype html><meta charset="utf-8"><title>Control Panel not built</title>' +
    '<h1>The Control Panel is not built</h1>' +
    `<p>The agent found no pages in <code>${assetsDir.replace(/[<>&]/gu, '')}</code>. Run <code>npm run build</code> and restart the agent.</p>`
  );
}

/** A query param as one string, or undefined. */
function param(query: unknown, key: string): string | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const value = (query as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parses the history page's filter; a problem string for a bad one. */
export function parseHistoryFilter(query: unknown): { filter: HistoryFilter } | { problem: string } {
  const filter: HistoryFilter = {};
  const node = param(query, 'node');
  const checker = param(query, 'checker');
  if (node !== undefined) filter.node = node;
  if (checker !== undefined) filter.checker = checker;
  for (const key of ['since', 'until', 'limit'] as const) {
    const text = param(query, key);
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) return { problem: `${key} must be a whole number${key === 'limit' ? '' : ' (epoch ms)'}, got ${JSON.stringify(text)}` };
    if (key === 'limit' && value > maxHistoryLimit) return { problem: `limit must be at most ${maxHistoryLimit}` };
    filter[key] = value;
  }
  const type = param(query, 'type');
  if (type !== undefined) {
    if (!(historyEventTypes as readonly string[]).includes(type)) return { problem: `type must be one of ${historyEventTypes.join(', ')}` };
    filter.type = type as HistoryEventType;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) return { problem: 'since must not be after until' };
  filter.limit ??= defaultHistoryLimit;
  return { filter };
}

const securityHeaders: Record<string, string> = {
  // Everything comes from the agent itself; nothing may frame the panel.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Signup and reset URLs carry their token in the path: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000',
};

/**
 * Starts the panel's server; resolves once it listens.
 * @example const panel = await startPanelServer({ host: '0.0.0.0', port: 3009, tls, assetsDir: defaultAssetsDir(), users, publicUrl, sources, clock, logger });
 */
export async function startPanelServer(options: PanelServerOptions): Promise<PanelServer> {
  const { sources, logger } = options;
  const indexFile = path.join(options.assetsDir, 'index.html');
  let appShell: string | undefined;
  try {
    appShell = readFileSync(indexFile, 'utf8');
  } catch (error) {
    logger.error({ err: error, assetsDir: options.assetsDir }, 'the Control Panel pages are not built; the panel answers 503 until they are');
  }

  const app = Fastify({
    https: { key: options.tls.key, cert: options.tls.cert },
    logger: false,
    bodyLimit: panelLimits.bodyBytes,
    // A request the HTTP parser refuses: the same error shape, then the connection ends.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || error.code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify({ code: 'E_REQUEST_INVALID', message: tooLarge ? 'the request headers are too large' : 'the request is malformed' });
      const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
      );
    },
    // A URL that is not valid UTF-8 once decoded (`/%FF`) is the client's mistake, said as every other
    // one. No hook runs for these: the headers every answer carries are set here.
    frameworkErrors: (error, _request, reply) => {
      reply.headers({ ...securityHeaders, 'cache-control': 'no-store' });
      void sendError(reply, new GravityError('E_REQUEST_INVALID', `the address is not valid: ${error.message}`));
    },
  });
  const hub = createPanelStreamHub({
    sources,
    clock: options.clock,
    onError: (error) => logger.warn({ err: error }, 'a Control Panel live stream failed'),
    onSlowClient: (bufferedBytes) => logger.warn({ bufferedBytes }, 'a Control Panel live stream client read too slowly and was disconnected'),
  });
  const methods = routeMethods();
  app.addHook('onRoute', (route) => methods.add(route.method, route.url));

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(securityHeaders)) reply.header(name, value);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : 0;
    if (bytes > panelLimits.responseBytes) {
      logger.error({ url: request.url, bytes }, 'a Control Panel answer was over its size cap and was not sent');
      reply.code(500).type('application/json; charset=utf-8');
      return JSON.stringify({ code: 'E_INTERNAL', message: `the answer was larger than ${panelLimits.responseBytes} bytes; the agent's log says which` });
    }
    return payload;
  });
  /** 405 with Allow for a path served with other methods, 404 for one not served at all. */
  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const pathname = request.url.split('?')[0] ?? request.url;
    const allowed = methods.allowed(pathname);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, new GravityError('E_METHOD_NOT_ALLOWED', `${request.method} is not answered at ${pathname}; it takes ${allowed.join(', ')}`));
    }
    return sendError(reply, new GravityError('E_NOT_FOUND', `nothing at ${pathname}`));
  };
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    // A body that could not be read on its way to no route at all: the route's absence is the answer.
    if (request.is404) return notFound(request, reply);
    if (isStoreFailure(error)) {
      logger.error({ err: error, url: request.url }, 'the Control Panel cannot use the store');
      return sendError(reply, error);
    }
    if (isGravityError(error)) return sendError(reply, error);
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      logger.error({ err: error, url: request.url }, 'the Control Panel failed to answer a request');
      return sendError(reply, new GravityError('E_INTERNAL', 'the agent failed to answer; its log says why'));
    }
    const code = typeof error.code === 'string' && /^E_[A-Z_]+$/u.test(error.code) ? error.code : status === 404 ? 'E_NOT_FOUND' : 'E_REQUEST_INVALID';
    return reply.code(status).send({ code, message: error.message });
  });
  app.setNotFoundHandler((request, reply) => notFound(request, reply));

  const serveAppShell = (reply: FastifyReply): FastifyReply => {
    if (appShell === undefined) return reply.code(503).type('text/html; charset=utf-8').send(notBuiltPage(options.assetsDir));
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(appShell);
  };

  const auth = await registerPanelAuth(app, {
    users: options.users,
    clock: options.clock,
    logger,
    // Asked once a link is made, when the server listens: a port of 0 has become the one bound.
    publicUrl: () => options.publicUrl((app.server.address() as AddressInfo | null)?.port ?? options.port),
    serveAppShell,
  });

  await app.register(fastifyStatic, {
    root: path.join(options.assetsDir, 'assets'),
    prefix: '/assets/',
    index: false,
    // The build writes .br and .gz copies: sent to browsers that accept them.
    preCompressed: true,
    // Built file names carry a content hash: they never change.
    immutable: true,
    maxAge: '365d',
  });

  for (const page of [panelRoutes.clusterPage, panelRoutes.historyPage, panelRoutes.operationsPage, panelRoutes.actorsPage, panelRoutes.usersPage]) {
    app.get(page, { preHandler: auth.requireSession }, (_request, reply) => serveAppShell(reply));
  }

  const guarded = { preHandler: auth.requireSession };
  app.get(panelRoutes.cluster, guarded, () => sources.status());
  // Up to 10,000 events read and serialized: one query per turn, so that other requests go between.
  const historyQueue = turnQueue({ maxPending: panelLimits.historyQueued });
  app.get(panelRoutes.history, guarded, async (request: FastifyRequest, reply) => {
    const parsed = parseHistoryFilter(request.query);
    if ('problem' in parsed) return sendError(reply, new GravityError('E_REQUEST_INVALID', parsed.problem));
    const text = await historyQueue.run(async () => JSON.stringify(await sources.history(parsed.filter)));
    return reply.type('application/json; charset=utf-8').send(text);
  });
  const json = (reply: FastifyReply, text: string): FastifyReply => reply.type('application/json; charset=utf-8').send(text);
  app.get(panelRoutes.operations, guarded, async (_request, reply) => json(reply, await sources.operationsJson()));
  app.get(panelRoutes.operation, guarded, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => json(reply, await sources.operationJson(request.params.id)));
  app.get(panelRoutes.tree, guarded, () => sources.tree());
  app.get(panelRoutes.machines, guarded, (): MachinesResponse => ({
    machines: drawableMachines.map(({ name, description }) => ({ name, description })),
  }));
  app.get(panelRoutes.machine, guarded, (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const drawable = findDrawableMachine(request.params.name);
    if (drawable === undefined) return sendError(reply, new GravityError('E_STATECHART_UNKNOWN', `no machine named ${JSON.stringify(request.params.name)}`));
    return machineModel(drawable.machine);
  });
  app.get(panelRoutes.actorRecords, guarded, async (request: FastifyRequest, reply): Promise<ActorRecordsResponse | FastifyReply> => {
    const actorPath = param(request.query, 'path');
    if (actorPath === undefined) return sendError(reply, new GravityError('E_REQUEST_INVALID', 'give the actor with ?path=<actor path>'));
    const parsed = parseActorRecordsQuery({ before: param(request.query, 'before'), limit: param(request.query, 'limit') });
    if ('problem' in parsed) return sendError(reply, new GravityError('E_REQUEST_INVALID', parsed.problem));
    return pageActorRecords(await sources.actorRecords(actorPath), parsed.query);
  });
  app.get(panelRoutes.events, guarded, (request: FastifyRequest, reply) => {
    if (hub.size >= panelLimits.streamClients) {
      logger.warn({ streams: hub.size }, 'a Control Panel live stream was refused: the panel serves as many as it may');
      return sendError(reply, new GravityError('E_PANEL_BUSY', `the Control Panel already serves ${panelLimits.streamClients} live streams; close some panels, or try again shortly`));
    }
    const pathPrefix = param(request.query, 'path');
    reply.hijack();
    hub.open(reply.raw, pathPrefix === undefined ? {} : { pathPrefix });
    return reply;
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    throw listenError(options.host, options.port, 'the Control Panel', error as NodeJS.ErrnoException);
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    async close() {
      hub.closeAll();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
