// The Control Panel's live stream: one Server-Sent Events connection per open panel, all fed by one
// hub from the inspection bus. The hub sends the cluster's status, the supervision tree and the
// operations when they change (and once to each new connection), and every inspection record under
// the asked-for actor path, so that a probe's transition reaches the browser in the same turn the
// agent sees it. Each event is serialized once and the same text written to every connection; one
// over the per-event cap is replaced by a `skipped` event; a connection that leaves more than its
// share unread is dropped (the browser reconnects and starts afresh), so that no client can make the
// agent hold data or do work for it alone. Nothing here polls the actors: it listens, and only the
// store (written by other processes) and the status are checked on a short timer, once for everyone.

import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../clock.ts';
import type { InspectionFilter, InspectionRecord } from '../actors/inspection.ts';
import type { ClusterReport } from '../health/types.ts';
import { panelLimits } from './panel-limits.ts';
import type { OperationsResponse, PanelStreamEventName, PanelStreamEvents } from './panel-protocol.ts';
import type { TreeResult } from './control-protocol.ts';

/** Where the stream's data comes from; the panel extension wires these to the agent. */
export interface PanelStreamSources {
  status(): ClusterReport;
  tree(): Promise<TreeResult>;
  operations(): Promise<OperationsResponse>;
  /** A number that changes whenever the store may have changed (SQLite's data_version). */
  storeVersion(): number;
  /** Subscribes to the inspection bus; returns the unsubscribe function. */
  subscribe(listener: (record: InspectionRecord) => void, filter?: InspectionFilter): () => void;
}

export interface PanelStreamHubOptions {
  sources: PanelStreamSources;
  clock: Clock;
  /** How often the store (new operation states) and the status are checked (default 250 ms). */
  storeCheckMs?: number;
  /** How long tree refreshes are gathered into one (default 100 ms). */
  treeDebounceMs?: number;
  /** A comment line this often keeps proxies and the browser from timing the stream out (default 15 s). */
  keepAliveMs?: number;
  /** The largest event in bytes; a larger one is sent as `skipped` (default panelLimits.streamEventBytes). */
  maxEventBytes?: number;
  /** The bytes a connection may leave unread before it is dropped (default panelLimits.streamBufferedBytes). */
  maxBufferedBytes?: number;
  /** Called when reading a source or sending fails. */
  onError?: (error: unknown) => void;
  /** Called when a connection is dropped for leaving too much unread. */
  onSlowClient?: (bufferedBytes: number) => void;
}

export interface PanelStreamHub {
  /** Connections open now. */
  readonly size: number;
  /**
   * Streams to one connection until it closes. The caller has written nothing yet; this writes the
   * headers. Returns a function that ends the stream (also called when the connection closes).
   */
  open(response: ServerResponse, options?: { pathPrefix?: string }): () => void;
  /** Ends every stream. */
  closeAll(): void;
}

/** One SSE frame. */
export function sseFrame<E extends PanelStreamEventName>(event: E, data: PanelStreamEvents[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The report without its timestamp: two reports that say the same thing compare equal. */
function statusKey(report: ClusterReport): string {
  const { time: _time, ...rest } = report;
  return JSON.stringify(rest);
}

interface Client {
  response: ServerResponse;
  pathPrefix: string | undefined;
  close: () => void;
}

function wants(client: Client, record: InspectionRecord): boolean {
  const prefix = client.pathPrefix;
  return prefix === undefined || record.path === prefix || record.path.startsWith(`${prefix}/`);
}

/**
 * @example
 * const hub = createPanelStreamHub({ sources, clock });
 * app.get('/api/events', (request, reply) => { reply.hijack(); hub.open(reply.raw); });
 */
export function createPanelStreamHub(options: PanelStreamHubOptions): PanelStreamHub {
  const { sources, clock } = options;
  const maxEventBytes = options.maxEventBytes ?? panelLimits.streamEventBytes;
  const maxBufferedBytes = options.maxBufferedBytes ?? panelLimits.streamBufferedBytes;
  const clients = new Set<Client>();
  let statusKeyNow = '';
  let statusFrame = '';
  let operationsFrame = '';
  let lastStoreVersion = Number.NaN;
  let treeTimer: TimerHandle | undefined;
  let storeTimer: TimerHandle | undefined;
  let keepAliveTimer: TimerHandle | undefined;
  let unsubscribe: (() => void) | undefined;

  const frame = <E extends PanelStreamEventName>(event: E, data: PanelStreamEvents[E]): string => {
    const text = sseFrame(event, data);
    const bytes = Buffer.byteLength(text);
    return bytes <= maxEventBytes ? text : sseFrame('skipped', { event, bytes });
  };

  const write = (client: Client, text: string): void => {
    const { response } = client;
    try {
      if (response.writableLength > maxBufferedBytes) {
        options.onSlowClient?.(response.writableLength);
        response.destroy();
        client.close();
        return;
      }
      response.write(text);
    } catch (error) {
      options.onError?.(error);
      client.close();
    }
  };
  const broadcast = (text: string): void => {
    for (const client of [...clients]) write(client, text);
  };

  /** Reads the status; true when it says something new (then statusFrame is its frame). */
  const refreshStatus = (): boolean => {
    const report = sources.status();
    const key = statusKey(report);
    if (key === statusKeyNow) return false;
    statusKeyNow = key;
    statusFrame = frame('status', report);
    return true;
  };
  /**
   * Reads the operations when the store changed; true when they differ from the last ones sent. One
   * read at a time: a check while one runs waits for it and then sees its version.
   */
  let operationsRead: Promise<boolean> = Promise.resolve(false);
  const refreshOperations = (): Promise<boolean> => {
    const read = async (): Promise<boolean> => {
      const version = sources.storeVersion();
      if (version === lastStoreVersion) return false;
      lastStoreVersion = version;
      const next = frame('operations', await sources.operations());
      if (next === operationsFrame) return false;
      operationsFrame = next;
      return true;
    };
    operationsRead = operationsRead.then(read, read);
    return operationsRead;
  };
  const guarded = (work: () => void): void => {
    try {
      work();
    } catch (error) {
      options.onError?.(error);
    }
  };

  const sendTree = (): void => {
    treeTimer = undefined;
    sources.tree().then(
      (tree) => broadcast(frame('tree', tree)),
      (error: unknown) => options.onError?.(error),
    );
  };
  const scheduleTree = (): void => {
    if (treeTimer === undefined && clients.size > 0) treeTimer = clock.setTimeout(sendTree, options.treeDebounceMs ?? 100);
  };
  // Also re-checks the status: a change that no snapshot record announced still shows within a tick.
  const checkStore = (): void => {
    storeTimer = undefined;
    if (clients.size === 0) return;
    guarded(() => {
      if (refreshStatus()) broadcast(statusFrame);
    });
    refreshOperations().then(
      (changed) => {
        if (changed) broadcast(operationsFrame);
      },
      (error: unknown) => options.onError?.(error),
    );
    storeTimer = clock.setTimeout(checkStore, options.storeCheckMs ?? 250);
  };
  const keepAlive = (): void => {
    broadcast(': keep-alive\n\n');
    keepAliveTimer = clock.setTimeout(keepAlive, options.keepAliveMs ?? 15_000);
  };

  const onRecord = (record: InspectionRecord): void => {
    let text: string | undefined;
    for (const client of [...clients]) {
      if (!wants(client, record)) continue;
      text ??= frame('record', record);
      write(client, text);
    }
    if (record.kind === 'snapshot') guarded(() => refreshStatus() && broadcast(statusFrame));
    if (record.kind === 'supervisor' || record.kind === 'actor.created' || record.kind === 'actor.stopped') scheduleTree();
  };

  const start = (): void => {
    statusKeyNow = '';
    operationsFrame = '';
    lastStoreVersion = Number.NaN;
    unsubscribe = sources.subscribe(onRecord, undefined);
    keepAliveTimer = clock.setTimeout(keepAlive, options.keepAliveMs ?? 15_000);
  };
  const stop = (): void => {
    unsubscribe?.();
    unsubscribe = undefined;
    for (const timer of [treeTimer, storeTimer, keepAliveTimer]) if (timer !== undefined) clock.clearTimeout(timer);
    treeTimer = storeTimer = keepAliveTimer = undefined;
  };

  return {
    get size() {
      return clients.size;
    },
    open(response, openOptions = {}) {
      let closed = false;
      const client: Client = {
        response,
        pathPrefix: openOptions.pathPrefix,
        close: () => {
          if (closed) return;
          closed = true;
          clients.delete(client);
          if (clients.size === 0) stop();
          response.end();
        },
      };
      response.on('close', client.close);
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      if (clients.size === 0) start();
      clients.add(client);
      // Tell the browser to reconnect quickly after a restart of the agent.
      write(client, 'retry: 1000\n\n');
      guarded(() => {
        // News for everyone goes to everyone; the newcomer gets the current values either way.
        if (refreshStatus()) broadcast(statusFrame);
        else write(client, statusFrame);
      });
      // The operations, then the tree: a newcomer's first frames come in the same order every time.
      refreshOperations()
        .then(
          (changed) => {
            if (changed) broadcast(operationsFrame);
            else if (!closed && operationsFrame !== '') write(client, operationsFrame);
          },
          (error: unknown) => options.onError?.(error),
        )
        .then(() => sources.tree())
        .then(
          (tree) => {
            if (!closed) write(client, frame('tree', tree));
          },
          (error: unknown) => options.onError?.(error),
        );
      if (storeTimer === undefined) storeTimer = clock.setTimeout(checkStore, options.storeCheckMs ?? 250);
      return client.close;
    },
    closeAll() {
      for (const client of [...clients]) client.close();
    },
  };
}
