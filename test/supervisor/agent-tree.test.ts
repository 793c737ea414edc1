// The agent's built-in tree: this node's machine on the main thread, the probes supervisor on a
// worker thread, under a one_for_one root.

import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { agentTreeSpecInput, buildAgentTreeSpec } from '../../src/supervisor/agent-tree.ts';
import { validateSupervisorSpec } from '../../src/supervisor/spec.ts';

describe('supervisor/agent-tree', () => {
  it('builds node:<name> (node actor, master) and probes (worker-hosted supervisor, no children yet)', () => {
    const spec = buildAgentTreeSpec({ nodeName: 'node-1' });
    assert.equal(spec.strategy, 'one_for_one');
    assert.deepEqual(
      spec.children.map((child) => [child.id, child.type, child.thread]),
      [
        ['node:node-1', 'worker', 'main'],
        ['probes', 'supervisor', 'worker'],
      ],
    );
    const [node, probes] = spec.children;
    assert.deepEqual(node?.start, { actor: 'node', input: { name: 'node-1', role: 'master' } });
    assert.ok(probes?.type === 'supervisor');
    assert.equal(probes.start.supervisor.strategy, 'one_for_one');
    assert.deepEqual(probes.start.supervisor.children, []);
  });

  it('names the node after the host by default, and the input form is a valid spec', () => {
    assert.equal(buildAgentTreeSpec().children[0]?.id, `node:${hostname()}`);
    assert.deepEqual(validateSupervisorSpec(agentTreeSpecInput({ nodeName: 'n' })), []);
  });
});
