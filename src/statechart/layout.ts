// The statechart layout with ELK's bundled build, which runs in the calling thread: for Node (tests,
// tools) and any page that can afford to load it. The Control Panel hands elk-layout.ts a Web Worker
// instead, so its first page load stays small.

import ElkBundled from 'elkjs/lib/elk.bundled.js';
import type { MachineModel } from './graph.ts';
import { layoutWithElk } from './elk-layout.ts';
import type { ElkLayouter, StatechartLayout } from './elk-layout.ts';

export type {
  ElkLayouter,
  InitialMarkerLayout,
  LayoutBox,
  LayoutPoint,
  StateBoxLayout,
  StatechartLayout,
  TransitionEdgeLayout,
} from './elk-layout.ts';

let bundled: ElkLayouter | undefined;

/**
 * Lays out a machine's statechart: absolute boxes for every state, routed edges for every transition.
 * @example
 * const layout = await layoutStatechart(machineModel(probeMachine));
 * layout.edges.filter((e) => e.label === 'SHUTDOWN').length; // 1
 */
export function layoutStatechart(model: MachineModel): Promise<StatechartLayout> {
  // The module is CommonJS whose `module.exports` is the constructor, which also carries itself as
  // `default`: reading `default` works under Node, bundlers and TypeScript's view of it alike.
  bundled ??= new ElkBundled.default();
  return layoutWithElk(bundled, model);
}
