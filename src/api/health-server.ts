// The health endpoint (HTTPS :7575): what anyone who can reach the node may read, and nothing else.
// GET / answers Gravity's JSON with 200 while the cluster runs and 503 while it is degraded; /local
// the same for this node; /history the status history; /metrics Prometheus text; /time this node's
// clock (for the time-drift checks of peers). It is plain node:https, not a framework: it serves a
// snapshot that the actors keep up to date, so it answers at once, even while a probe hangs.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../clock.ts';
import { parseDuration } from '../duration.ts';
import { listenServer } from './listen-error.ts';
import type { ListeningServer } from './listen-error.ts';
import { healthEndpointJson, healthHttpStatus, nodeEndpointJson } from '../health/endpoint-json.ts';
import type { ClusterReport } from '../health/types.ts';
import type { HistoryQuery, HistoryStore } from '../store/types.ts';

export interface HealthServerOptions {
  /** Address to listen on (`0.0.0.0`, `::`, `127.0.0.1`, ...). */
  host: string;
  /** 0 picks a free port (see `HealthServer.port`). */
  port: number;
  /** PEM key and certificate (src/api/tls.ts makes them). */
  tls: { key: string; cert: string };
  /** The current health snapshot; must not block (it is called on every request). */
  report: () => ClusterReport;
  /** This node's name, for GET /local. */
  localNode: string;
  history: HistoryStore;
  /** The Prometheus text exposition. */
  metrics: () => Promise<string>;
  /** The Content-Type of the metrics text (default: Prometheus text format 0.0.4). */
  metricsContentType?: string;
  clock: Clock;
}

/** The server listening: where, and how to stop it. */
export type HealthServer = ListeningServer;

/** The routes served; anything else is 404, any method but GET and HEAD on them 405. */
export const healthRoutes = ['/', '/local', '/history', '/metrics', '/time'] as const;

const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';
const jsonContentType = 'application/json; charset=utf-8';
/**
 * The most events one `/history` answer holds (also its default): reading and serializing them takes
 * a few milliseconds of the one thread that answers `GET /`, whoever asks and however often.
 */
export const maxHistoryLimit = 1_000;

interface Reply {
  status: number;
  body: Buffer;
  contentType: string;
}

function json(status: number, value: unknown): Reply {
  return { status, body: Buffer.from(`${JSON.stringify(value)}\n`), contentType: jsonContentType };
}

function errorReply(status: number, message: string): Reply {
  return json(status, { error: message });
}

/** `?since=`: a duration back from now (`1h`), an RFC 3339 time, or epoch milliseconds. */
export function parseSince(text: string, now: number): number | undefined {
  if (/^\d+$/u.test(text)) return Number(text);
  const ms = parseDuration(text);
  if (ms !== undefined) return now - ms;
  if (!/^\d{4}-\d{2}-\d{2}/u.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function historyQuery(params: URLSearchParams, now: number): HistoryQuery | string {
  const query: HistoryQuery = {};
  for (const key of params.keys()) {
    if (key !== 'since' && key !== 'node' && key !== 'limit') return `unknown query parameter ${JSON.stringify(key)} (known: since, node, limit)`;
  }
  const since = params.get('since');
  if (since !== null) {
    const time = parseSince(since, now);
    if (time === undefined) return `since: must be a duration (1h), an RFC 3339 time or epoch milliseconds, got ${JSON.stringify(since)}`;
    query.since = time;
  }
  const node = params.get('node');
  if (node !== null) query.node = node;
  const limit = params.get('limit');
  if (limit !== null) {
    const value = Number(limit);
    if (!/^\d+$/u.test(limit) || value < 1 || value > maxHistoryLimit) return `limit: must be a whole number from 1 to ${maxHistoryLimit}, got ${JSON.stringify(limit)}`;
    query.limit = value;
  }
  return query;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts the health endpoint; resolves once it listens (E_LISTEN when it cannot).
 * @example
 * const server = await startHealthServer({ host: '0.0.0.0', port: 7575, tls: await ensureServerCertificate(dir, { clusterName, hostnames, ips }),
 *   report: () => model.report(clock.now()), localNode: 'node-1', history: store.history, metrics: () => metrics.metrics(), clock });
 * await server.close();
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  // The JSON of the last snapshot seen, so that a burst of requests between two changes serializes once.
  let cached: { report: ClusterReport; cluster: Reply; local: Reply } | undefined;

  const statusReplies = (): { cluster: Reply; local: Reply } => {
    const report = options.report();
    if (cached?.report === report) return cached;
    const body = healthEndpointJson(report);
    const node = report.nodes.find((entry) => entry.name === options.localNode);
    const local =
      node === undefined
        ? errorReply(503, `node ${JSON.stringify(options.localNode)} is not in the health report yet`)
        : json(healthHttpStatus(node.status), nodeEndpointJson(node));
    cached = { report, cluster: json(healthHttpStatus(report.status), body), local };
    return cached;
  };

  const route = async (pathname: string, params: URLSearchParams): Promise<Reply> => {
    switch (pathname) {
      case '/':
        return statusReplies().cluster;
      case '/local':
        return statusReplies().local;
      case '/history': {
        const query = historyQuery(params, options.clock.now());
        if (typeof query === 'string') return errorReply(400, query);
        const limit = query.limit ?? maxHistoryLimit;
        const found = await options.history.list({ ...query, limit: limit + 1 });
        const events = found.slice(0, limit).map((event) => ({ ...event, timestamp: new Date(event.time).toISOString() }));
        const last = events.at(-1);
        return json(200, found.length > limit && last !== undefined ? { events, more: true, next: last.time } : { events });
      }
      case '/metrics':
        return { status: 200, body: Buffer.from(await options.metrics()), contentType: options.metricsContentType ?? prometheusContentType };
      case '/time':
        return json(200, { time: options.clock.now() });
      default:
        return errorReply(404, 'not found');
    }
  };

  const send = (request: IncomingMessage, response: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void => {
    response.writeHead(reply.status, {
      'content-type': reply.contentType,
      'content-length': reply.body.length,
      'cache-control': 'no-store',
      ...extra,
    });
    response.end(request.method === 'HEAD' ? undefined : reply.body);
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const target = request.url ?? '/';
    const queryAt = target.indexOf('?');
    let pathname: string;
    try {
      pathname = decodeURIComponent(queryAt < 0 ? target : target.slice(0, queryAt));
    } catch {
      send(request, response, errorReply(400, 'bad request: the address is not valid UTF-8 once decoded'));
      return;
    }
    if (!(healthRoutes as readonly string[]).includes(pathname)) {
      send(request, response, errorReply(404, 'not found'));
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(request, response, errorReply(405, 'method not allowed: the health endpoint is read-only'), { allow: 'GET, HEAD' });
      return;
    }
    const params = new URLSearchParams(queryAt < 0 ? '' : target.slice(queryAt + 1));
    route(pathname, params).then(
      (reply) => send(request, response, reply),
      (error: unknown) => send(request, response, errorReply(503, describe(error))),
    );
  };

  const server = https.createServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      minVersion: 'TLSv1.2',
      keepAlive: true,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
    },
    handle,
  );
  server.keepAliveTimeout = 30_000;
  // A request node's parser refuses (a malformed request line, bytes no URL may hold) gets the same
  // JSON as every other refusal, then the connection ends.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = `${JSON.stringify({ error: tooLarge ? 'request headers too large' : 'bad request: the request is malformed' })}\n`;
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: ${jsonContentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  return listenServer(server, { host: options.host, port: options.port, what: 'the health endpoint' });
}
