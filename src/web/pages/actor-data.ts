// What the actor page loads for the selected actor: its machine's model and chart layout (each
// fetched or computed once per machine), and a bounded window on its inspection records: the recent
// ones from the server, then every new one from the live stream, and older pages on demand.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { InspectionRecord } from '../../actors/inspection.ts';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { ActorRecordsResponse, MachineResponse } from '../../api/panel-protocol.ts';
import type { StatechartLayout } from '../../statechart/elk-layout.ts';
import type { MachineModel } from '../../statechart/graph.ts';
import { getJson, isAbort } from '../api/http.ts';
import type { LiveStore } from '../api/live-store.ts';
import { layoutInWorker } from '../chart/worker-layout.ts';
import { fillRoute } from '../model/routes.ts';
import { mergeRecords } from '../model/record-steps.ts';
import { appendLive, emptyRecordWindow, olderQuery, recordWindowSize, showNewest, showOlder } from '../model/record-window.ts';
import type { RecordWindow } from '../model/record-window.ts';
import type { KeptRecord } from '../model/record-steps.ts';

export interface Loaded<T> {
  value?: T;
  error?: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const models = new Map<string, Promise<MachineModel>>();

function fetchModel(name: string): Promise<MachineModel> {
  const cached = models.get(name);
  if (cached !== undefined) return cached;
  const pending = getJson<MachineResponse>(fillRoute(panelRoutes.machine, { name }));
  models.set(name, pending);
  pending.catch(() => models.delete(name));
  return pending;
}

/** The machine's model and its chart's layout; nothing while `name` is undefined. */
export function useMachineChart(name: string | undefined): { model: Loaded<MachineModel>; layout: Loaded<StatechartLayout> } {
  const [model, setModel] = useState<Loaded<MachineModel>>({});
  const [layout, setLayout] = useState<Loaded<StatechartLayout>>({});
  useEffect(() => {
    setModel({});
    setLayout({});
    if (name === undefined) return;
    let current = true;
    fetchModel(name)
      .then((value) => {
        if (!current) return undefined;
        setModel({ value });
        return layoutInWorker(value).then(
          (laidOut) => current && setLayout({ value: laidOut }),
          (error: unknown) => current && setLayout({ error: `the chart could not be laid out: ${messageOf(error)}` }),
        );
      })
      .catch((error: unknown) => current && setModel({ error: messageOf(error) }));
    return () => {
      current = false;
    };
  }, [name]);
  return { model, layout };
}

let arrivals = 0;

function kept(records: readonly InspectionRecord[]): KeptRecord[] {
  return records.map((record) => ({ seq: ++arrivals, record }));
}

export interface ActorRecords {
  window: RecordWindow;
  loading: boolean;
  error?: string;
  /** Fetches the page before the shown records (nothing when there is none or one is on its way). */
  older: () => void;
  /** Back to the live records. */
  newest: () => void;
}

function recordsUrl(path: string, query: { before: number; limit: number } | undefined): string {
  const base = `${panelRoutes.actorRecords}?path=${encodeURIComponent(path)}&limit=${recordWindowSize}`;
  return query === undefined ? base : `${base}&before=${query.before}`;
}

/**
 * The actor's records, in a bounded window: the server's newest ones, then each live one whose path
 * is the actor's; older pages fetched on demand.
 */
export function useActorRecords(path: string, live: LiveStore): ActorRecords {
  const [state, setState] = useState<{ window: RecordWindow; loading: boolean; error?: string }>({ window: emptyRecordWindow, loading: true });
  const fetching = useRef<AbortController | undefined>(undefined);
  useEffect(() => {
    setState({ window: emptyRecordWindow, loading: true });
    let loaded = false;
    const early: InspectionRecord[] = [];
    const off = live.onRecord((record) => {
      if (record.path !== path) return;
      if (!loaded) early.push(record);
      else setState((previous) => ({ ...previous, window: appendLive(previous.window, kept([record])) }));
    });
    const abort = new AbortController();
    getJson<ActorRecordsResponse>(recordsUrl(path, undefined), { signal: abort.signal }).then(
      (answer) => {
        loaded = true;
        setState({ window: appendLive(emptyRecordWindow, kept(mergeRecords(answer.records, early))), loading: false });
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        loaded = true;
        setState({ window: appendLive(emptyRecordWindow, kept(early)), loading: false, error: messageOf(error) });
      },
    );
    return () => {
      off();
      abort.abort();
      fetching.current?.abort();
      fetching.current = undefined;
    };
  }, [path, live]);
  const older = (): void => {
    const query = olderQuery(state.window);
    if (query === undefined || fetching.current !== undefined) return;
    const abort = new AbortController();
    fetching.current = abort;
    getJson<ActorRecordsResponse>(recordsUrl(path, query), { signal: abort.signal }).then(
      (answer) => {
        fetching.current = undefined;
        setState((previous) => ({ ...previous, window: showOlder(previous.window, { records: kept(answer.records), more: answer.more }), error: undefined }));
      },
      (error: unknown) => {
        fetching.current = undefined;
        if (!isAbort(error)) setState((previous) => ({ ...previous, error: messageOf(error) }));
      },
    );
  };
  const newest = (): void => {
    fetching.current?.abort();
    fetching.current = undefined;
    setState((previous) => ({ ...previous, window: showNewest(previous.window) }));
  };
  return { ...state, older, newest };
}
