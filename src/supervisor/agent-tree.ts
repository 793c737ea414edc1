// The agent's built-in supervision tree: what `gravity start` supervises. The root is a
// one_for_one supervisor; this node's machine runs on the main thread and the probes supervisor on
// a worker thread, so that a probe stuck in a loop cannot stall the agent.

import { hostname } from 'node:os';
import type { SupervisorSpec, SupervisorSpecInput } from './spec.ts';
import { compileSupervisorSpec } from './spec.ts';

/** The root supervisor's path; every other path in the tree starts with it. */
export const agentRootPath = 'agent';

export interface AgentTreeOptions {
  /** This node's name; defaults to the host name. */
  nodeName?: string;
}

/** The tree in its user-facing form (what a spec file would say). */
export function agentTreeSpecInput(options: AgentTreeOptions = {}): SupervisorSpecInput {
  const name = options.nodeName ?? hostname();
  return {
    strategy: 'one_for_one',
    children: [
      {
        id: `node:${name}`,
        start: { actor: 'node', input: { name, role: 'master' } },
      },
      {
        id: 'probes',
        type: 'supervisor',
        thread: 'worker',
        start: { supervisor: { strategy: 'one_for_one', children: [] } },
      },
    ],
  };
}

/**
 * The compiled tree the agent starts.
 * @example const spec = buildAgentTreeSpec({ nodeName: 'node-1' }); // children: node:node-1, probes
 */
export function buildAgentTreeSpec(options: AgentTreeOptions = {}): SupervisorSpec {
  return compileSupervisorSpec(agentTreeSpecInput(options), agentRootPath);
}
