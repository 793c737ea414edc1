// The built-in actors a child spec can name (`start: { actor: 'node' }`). Specs that cross to a
// worker thread or come from a file refer to actors by these names, since logic cannot be sent.

import type { AnyActorLogic } from 'xstate';
import { idleMachine } from '../machines/idle.ts';
import { nodeMachine } from '../machines/node.ts';
import { clusterMachine } from '../machines/cluster.ts';
import { probeLogic } from './probe-actor.ts';
import { statusHookLogic } from './status-hook-actor.ts';

export const builtinActors: Readonly<Record<string, AnyActorLogic>> = {
  idle: idleMachine,
  node: nodeMachine,
  cluster: clusterMachine,
  probe: probeLogic,
  'status-hook': statusHookLogic,
};
