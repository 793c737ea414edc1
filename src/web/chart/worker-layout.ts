// Lays out statecharts in a Web Worker running ELK: the page stays responsive, and ELK's large
// script is fetched only when the first chart is drawn. One worker for the page; each machine is
// laid out once.

import ElkConstructor from 'elkjs/lib/elk-api.js';
import type { ELK } from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import { layoutWithElk } from '../../statechart/elk-layout.ts';
import type { StatechartLayout } from '../../statechart/elk-layout.ts';
import type { MachineModel } from '../../statechart/graph.ts';

let elk: ELK | undefined;
const layouts = new Map<string, Promise<StatechartLayout>>();

/**
 * The layout of a machine's chart, computed once per machine.
 * @example const layout = await layoutInWorker(model);
 */
export function layoutInWorker(model: MachineModel): Promise<StatechartLayout> {
  const cached = layouts.get(model.id);
  if (cached !== undefined) return cached;
  elk ??= new ElkConstructor({ workerUrl: elkWorkerUrl });
  const pending = layoutWithElk(elk, model);
  layouts.set(model.id, pending);
  pending.catch(() => layouts.delete(model.id));
  return pending;
}
