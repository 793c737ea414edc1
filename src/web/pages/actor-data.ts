// What the actor page loads for the selected actor: its machine's model and chart layout (each
// fetched or computed once per machine), and its inspection records: the recent ones from the
// server, then every new one from the live stream.

import { useEffect, useState } from 'preact/hooks';
import type { InspectionRecord } from '../../actors/inspection.ts';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { ActorRecordsResponse, MachineResponse } from '../../api/panel-protocol.ts';
import type { StatechartLayout } from '../../statechart/elk-layout.ts';
import type { MachineModel } from '../../statechart/graph.ts';
import { getJson, isAbort } from '../api/http.ts';
import type { LiveStore } from '../api/live-store.ts';
import { layoutInWorker } from '../chart/worker-layout.ts';
import { fillRoute } from '../model/routes.ts';
import { keepRecords, mergeRecords } from '../model/record-steps.ts';
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

/** The actor's records: the server's recent ones, then each live one whose path is the actor's. */
export function useActorRecords(path: string, live: LiveStore): { records: KeptRecord[]; loading: boolean; error?: string } {
  const [state, setState] = useState<{ records: KeptRecord[]; loading: boolean; error?: string }>({ records: [], loading: true });
  useEffect(() => {
    setState({ records: [], loading: true });
    let loaded = false;
    const early: InspectionRecord[] = [];
    const off = live.onRecord((record) => {
      if (record.path !== path) return;
      if (!loaded) early.push(record);
      else setState((previous) => ({ ...previous, records: keepRecords(previous.records, kept([record])) }));
    });
    const abort = new AbortController();
    getJson<ActorRecordsResponse>(`${panelRoutes.actorRecords}?path=${encodeURIComponent(path)}`, { signal: abort.signal }).then(
      (answer) => {
        loaded = true;
        setState({ records: keepRecords([], kept(mergeRecords(answer.records, early))), loading: false });
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        loaded = true;
        setState({ records: keepRecords([], kept(early)), loading: false, error: messageOf(error) });
      },
    );
    return () => {
      off();
      abort.abort();
    };
  }, [path, live]);
  return state;
}
