// The operations supervisor as the tree declares it: its id and its spec. Apart from the subtree's
// code (operations-tree.ts) so that describing the agent's tree does not load the runtime.

import type { SupervisorSpecInput } from '../supervisor/spec.ts';

/** The operations supervisor's id, under the agent's root or the CLI's. */
export const operationsChildId = 'operations';

/**
 * The operations supervisor: no children until a request comes. Independent requests, so one for one;
 * each run bounds its own restarts (maxOperationAttempts), so its intensity is generous.
 */
export const operationsSupervisorSpecInput: SupervisorSpecInput = { strategy: 'one_for_one', intensity: 10, period: 60, children: [] };
