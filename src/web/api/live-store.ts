// The signed-in app's live picture: one EventSource on the panel's stream, keeping the newest cluster
// status, supervision tree and operations for every page, and handing each inspection record to
// whoever listens (the actor page). It says whether the stream is connected; when the browser gives
// up reconnecting (the server refused the stream), it checks the session and tries again later.

import type { InspectionRecord } from '../../actors/inspection.ts';
import type { ClusterReport } from '../../health/types.ts';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { OperationsResponse, PanelStreamEvents, SessionInfo, TreeResponse } from '../../api/panel-protocol.ts';
import { getJson } from './http.ts';

export interface LiveState {
  status?: ClusterReport;
  tree?: TreeResponse;
  /** Browser time at which `tree` arrived, for uptimes that keep counting. */
  treeReceivedAt?: number;
  operations?: OperationsResponse;
  /** The stream is open. */
  connected: boolean;
}

type Listener = () => void;
type RecordListener = (record: InspectionRecord) => void;

const firstRetryMs = 1000;
const maxRetryMs = 15_000;

function parse<K extends keyof PanelStreamEvents>(event: MessageEvent<unknown>): PanelStreamEvents[K] | undefined {
  if (typeof event.data !== 'string') return undefined;
  try {
    return JSON.parse(event.data) as PanelStreamEvents[K];
  } catch {
    return undefined;
  }
}

/**
 * @example const live = new LiveStore(); live.connect(); live.subscribe(() => render(live.state));
 */
export class LiveStore {
  private current: LiveState = { connected: false };
  private source: EventSource | undefined;
  private retryMs = firstRetryMs;
  private retryTimer: number | undefined;
  private closed = true;
  private readonly listeners = new Set<Listener>();
  private readonly recordListeners = new Set<RecordListener>();

  get state(): LiveState {
    return this.current;
  }

  /** Calls `listener` after every change of `state`; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with every inspection record the stream brings; returns the unsubscribe. */
  onRecord(listener: RecordListener): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /** Fills in a value fetched on its own, unless the stream already brought a newer one. */
  seed(values: Pick<LiveState, 'status' | 'tree' | 'operations'>): void {
    const next: LiveState = { ...this.current };
    if (values.status !== undefined && next.status === undefined) next.status = values.status;
    if (values.tree !== undefined && next.tree === undefined) {
      next.tree = values.tree;
      next.treeReceivedAt = Date.now();
    }
    if (values.operations !== undefined && next.operations === undefined) next.operations = values.operations;
    this.set(next);
  }

  connect(): void {
    this.closed = false;
    this.open();
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = undefined;
    this.set({ connected: false });
  }

  private set(next: LiveState): void {
    this.current = next;
    for (const listener of [...this.listeners]) listener();
  }

  private open(): void {
    if (this.closed) return;
    const source = new EventSource(panelRoutes.events);
    this.source = source;
    source.addEventListener('open', () => {
      this.retryMs = firstRetryMs;
      this.set({ ...this.current, connected: true });
    });
    source.addEventListener('error', () => {
      if (this.current.connected) this.set({ ...this.current, connected: false });
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (an error status, such as a
      // 401 once the session ended): find out which, and retry with a growing delay.
      if (source.readyState !== EventSource.CLOSED) return;
      source.close();
      if (this.source === source) this.source = undefined;
      this.retryLater();
    });
    source.addEventListener('status', (event: MessageEvent<unknown>) => {
      const status = parse<'status'>(event);
      if (status !== undefined) this.set({ ...this.current, status });
    });
    source.addEventListener('tree', (event: MessageEvent<unknown>) => {
      const tree = parse<'tree'>(event);
      if (tree !== undefined) this.set({ ...this.current, tree, treeReceivedAt: Date.now() });
    });
    source.addEventListener('operations', (event: MessageEvent<unknown>) => {
      const operations = parse<'operations'>(event);
      if (operations !== undefined) this.set({ ...this.current, operations });
    });
    source.addEventListener('record', (event: MessageEvent<unknown>) => {
      const record = parse<'record'>(event);
      if (record === undefined) return;
      for (const listener of [...this.recordListeners]) listener(record);
    });
  }

  private retryLater(): void {
    window.clearTimeout(this.retryTimer);
    const delay = this.retryMs;
    this.retryMs = Math.min(maxRetryMs, this.retryMs * 2);
    this.retryTimer = window.setTimeout(() => {
      if (this.closed) return;
      // A 401 here sends the user to the login page (http.ts); otherwise the stream is tried again.
      getJson<SessionInfo>(panelRoutes.session).then(
        () => this.open(),
        () => {
          if (!this.closed) this.retryLater();
        },
      );
    }, delay);
  }
}
