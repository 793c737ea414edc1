// The Control Panel's live stream: one Server-Sent Events connection per open panel, fed from the
// inspection bus. It sends the cluster's status, the supervision tree and the operations when they
// change (and once on connect), and every inspection record under the asked-for actor path, so that a
// probe's transition reaches the browser in the same turn the agent sees it. Nothing here polls the
// actors: it listens, and only the store (written by other processes) is checked on a short timer.

import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../clock.ts';
import type { InspectionFilter, InspectionRecord } from '../actors/inspection.ts';
import type { ClusterReport } from '../health/types.ts';
import type { OperationsResponse, PanelStreamEventName, PanelStreamEvents } from './panel-protocol.ts';
import type { TreeResult } from './control-protocol.ts';

/** Where the stream's data comes from; the panel extension wires these to the agent. */
export interface PanelStreamSources {
  status(): ClusterReport;
  tree(): Promise<TreeResult>;
  operations(): OperationsResponse;
  /** A number that changes whenever the store may have changed (SQLite's data_version). */
  storeVersion(): number;
  /** Subscribes to the inspection bus; returns the unsubscribe function. */
  subscribe(listener: (record: InspectionRecord) => void, filter?: InspectionFilter): () => void;
}

export interface PanelStreamOptions {
  sources: PanelStreamSources;
  clock: Clock;
  /** Only records of this actor and below it (all actors when absent). */
  pathPrefix?: string;
  /** How often the store (new operation states) and the status are checked (default 250 ms). */
  storeCheckMs?: number;
  /** How long tree refreshes are gathered into one (default 100 ms). */
  treeDebounceMs?: number;
  /** A comment line this often keeps proxies and the browser from timing the stream out (default 15 s). */
  keepAliveMs?: number;
  /** Called when sending fails (the stream then ends). */
  onError?: (error: unknown) => void;
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

/**
 * Streams to one connection until it closes. The caller has written nothing yet; this writes the
 * headers. Returns a function that ends the stream (also called when the connection closes).
 * @example
 * app.get('/api/events', (request, reply) => { reply.hijack(); openPanelStream(reply.raw, { sources, clock }); });
 */
export function openPanelStream(response: ServerResponse, options: PanelStreamOptions): () => void {
  const { sources, clock } = options;
  let closed = false;
  let lastStatus = '';
  let lastOperations = '';
  let lastStoreVersion = Number.NaN;
  let treeTimer: TimerHandle | undefined;
  let storeTimer: TimerHandle | undefined;
  let keepAliveTimer: TimerHandle | undefined;

  const write = (text: string): void => {
    if (closed) return;
    try {
      response.write(text);
    } catch (error) {
      options.onError?.(error);
      close();
    }
  };
  const send = <E extends PanelStreamEventName>(event: E, data: PanelStreamEvents[E]): void => write(sseFrame(event, data));

  const sendStatusIfChanged = (): void => {
    const report = sources.status();
    const key = statusKey(report);
    if (key === lastStatus) return;
    lastStatus = key;
    send('status', report);
  };
  const sendTree = (): void => {
    treeTimer = undefined;
    sources.tree().then(
      (tree) => send('tree', tree),
      (error: unknown) => options.onError?.(error),
    );
  };
  const scheduleTree = (): void => {
    if (treeTimer === undefined && !closed) treeTimer = clock.setTimeout(sendTree, options.treeDebounceMs ?? 100);
  };
  // Also re-checks the status: a change that no snapshot record announced still shows within a tick.
  const checkStore = (): void => {
    storeTimer = undefined;
    if (closed) return;
    try {
      sendStatusIfChanged();
      const version = sources.storeVersion();
      if (version !== lastStoreVersion) {
        lastStoreVersion = version;
        const operations = sources.operations();
        const key = JSON.stringify(operations);
        if (key !== lastOperations) {
          lastOperations = key;
          send('operations', operations);
        }
      }
    } catch (error) {
      options.onError?.(error);
    }
    storeTimer = clock.setTimeout(checkStore, options.storeCheckMs ?? 250);
  };
  const keepAlive = (): void => {
    write(': keep-alive\n\n');
    keepAliveTimer = clock.setTimeout(keepAlive, options.keepAliveMs ?? 15_000);
  };

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Tell the browser to reconnect quickly after a restart of the agent.
  write('retry: 1000\n\n');

  const unsubscribe = sources.subscribe(
    (record) => {
      if (options.pathPrefix === undefined || record.path === options.pathPrefix || record.path.startsWith(`${options.pathPrefix}/`)) {
        send('record', record);
      }
      if (record.kind === 'snapshot') sendStatusIfChanged();
      if (record.kind === 'supervisor' || record.kind === 'actor.created' || record.kind === 'actor.stopped') scheduleTree();
    },
    undefined,
  );

  function close(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const timer of [treeTimer, storeTimer, keepAliveTimer]) if (timer !== undefined) clock.clearTimeout(timer);
    response.end();
  }
  response.on('close', close);

  sendStatusIfChanged();
  sendTree();
  checkStore();
  keepAliveTimer = clock.setTimeout(keepAlive, options.keepAliveMs ?? 15_000);
  return close;
}
