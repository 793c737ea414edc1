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
import { isGravityError } from '../errors.ts';
import type { InspectionRecord } from '../actors/inspection.ts';
import type { UserStore } from '../store/types.ts';
import { historyEventTypes } from '../store/types.ts';
import type { HistoryEventType } from '../store/types.ts';
import { drawableMachines, findDrawableMachine } from '../statechart/registry.ts';
import { machineModel } from '../statechart/graph.ts';
import { registerPanelAuth } from './panel-auth.ts';
import type {
  ActorRecordsResponse,
  HistoryFilter,
  HistoryResponse,
  MachinesResponse,
  PanelErrorBody,
} from './panel-protocol.ts';
import { panelRoutes } from './panel-protocol.ts';
import type { PanelStreamSources } from './panel-stream.ts';
import { openPanelStream } from './panel-stream.ts';
import { listenError } from './listen-error.ts';

/** What the panel shows, from wherever the agent keeps it. */
export interface PanelSources extends PanelStreamSources {
  history(filter: HistoryFilter): HistoryResponse;
  /** The actor's recent inspection records, oldest first. */
  actorRecords(path: string): Promise<InspectionRecord[]>;
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

const maxHistoryLimit = 10_000;
const defaultHistoryLimit = 1_000;

/** Where the built pages are when running from a checkout or an installed package. */
export function defaultAssetsDir(): string {
  // This file is src/api/panel-server.ts (tsx) or dist/src/api/panel-server.js (built): the pages are
  // built to <repo>/dist/web either way.
  const here = path.dirname(new URL(import.meta.url).pathname);
  const repo = here.includes(`${path.sep}dist${path.sep}src${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
  return path.join(repo, 'dist', 'web');
}

function errorBody(code: string, message: string): PanelErrorBody {
  return { code, message };
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

  const app = Fastify({ https: { key: options.tls.key, cert: options.tls.cert }, logger: false, bodyLimit: 64 * 1024 });
  const streams = new Set<() => void>();

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(securityHeaders)) reply.header(name, value);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) logger.error({ err: error, url: request.url }, 'the Control Panel failed to answer a request');
    const code = isGravityError(error)
      ? error.code
      : status === 500
        ? 'E_INTERNAL'
        : typeof error.code === 'string' && /^E_[A-Z_]+$/u.test(error.code)
          ? error.code
          : status === 404
            ? 'E_NOT_FOUND'
            : 'E_REQUEST_INVALID';
    void reply.code(status).send(errorBody(code, status === 500 ? 'the agent failed to answer; its log says why' : error.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('E_NOT_FOUND', `nothing at ${request.url.split('?')[0] ?? request.url}`));
  });

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
  app.get(panelRoutes.history, guarded, (request: FastifyRequest, reply) => {
    const parsed = parseHistoryFilter(request.query);
    if ('problem' in parsed) return reply.code(400).send(errorBody('E_REQUEST_INVALID', parsed.problem));
    return sources.history(parsed.filter);
  });
  app.get(panelRoutes.operations, guarded, () => sources.operations());
  app.get(panelRoutes.tree, guarded, () => sources.tree());
  app.get(panelRoutes.machines, guarded, (): MachinesResponse => ({
    machines: drawableMachines.map(({ name, description }) => ({ name, description })),
  }));
  app.get(panelRoutes.machine, guarded, (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const drawable = findDrawableMachine(request.params.name);
    if (drawable === undefined) return reply.code(404).send(errorBody('E_STATECHART_UNKNOWN', `no machine named ${JSON.stringify(request.params.name)}`));
    return machineModel(drawable.machine);
  });
  app.get(panelRoutes.actorRecords, guarded, async (request: FastifyRequest, reply): Promise<ActorRecordsResponse | FastifyReply> => {
    const actorPath = param(request.query, 'path');
    if (actorPath === undefined) return reply.code(400).send(errorBody('E_REQUEST_INVALID', 'give the actor with ?path=<actor path>'));
    return { records: await sources.actorRecords(actorPath) };
  });
  app.get(panelRoutes.events, guarded, (request: FastifyRequest, reply) => {
    const pathPrefix = param(request.query, 'path');
    reply.hijack();
    const close = openPanelStream(reply.raw, {
      sources,
      clock: options.clock,
      ...(pathPrefix === undefined ? {} : { pathPrefix }),
      onError: (error) => logger.warn({ err: error }, 'a Control Panel live stream failed'),
    });
    streams.add(close);
    reply.raw.on('close', () => streams.delete(close));
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
      for (const close of [...streams]) close();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
