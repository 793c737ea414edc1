// The text of `gravity debug tree`: box drawing, aligned columns, uptime, actor state, and the
// offline view of a spec.

import assert from 'node:assert/strict';
import { formatStateValue, formatTree, formatUptime, treeFromAgent, treeFromSpec } from '../../src/cli/format-tree.ts';
import type { TreeNodeInfo } from '../../src/supervisor/child.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';

describe('cli/format-tree', () => {
  it('formats uptimes compactly', () => {
    const table: [number, string][] = [
      [0, '0s'],
      [999, '0s'],
      [45_000, '45s'],
      [133_000, '2m13s'],
      [3_725_000, '1h02m'],
      [2 * 86_400_000 + 4 * 3_600_000, '2d04h'],
      [-5, '0s'],
    ];
    for (const [ms, text] of table) assert.equal(formatUptime(ms), text, `${ms} ms`);
  });

  it('formats machine state values: plain, nested, parallel', () => {
    assert.equal(formatStateValue('running'), 'running');
    assert.equal(formatStateValue({ active: 'checking' }), 'active.checking');
    assert.equal(formatStateValue({ a: { b: 'c' }, d: 'e' }), 'a.b.c,d.e');
    assert.equal(formatStateValue(null), '');
  });

  it('draws the live tree with aligned columns, uptime, restarts, strategy and actor state', () => {
    const now = 1_000_000;
    const root: TreeNodeInfo = {
      id: 'agent',
      path: 'agent',
      type: 'supervisor',
      thread: 'main',
      state: 'running',
      restart: 'permanent',
      restarts: 0,
      startedAt: now - 133_000,
      strategy: 'one_for_one',
      children: [
        { id: 'node:n1', path: 'agent/node:n1', type: 'worker', thread: 'main', state: 'running', restart: 'permanent', restarts: 0, startedAt: now - 133_000, actorState: 'degraded' },
        {
          id: 'probes',
          path: 'agent/probes',
          type: 'supervisor',
          thread: 'worker',
          state: 'running',
          restart: 'permanent',
          restarts: 2,
          startedAt: now - 5_000,
          lastExit: 'error: worker thread exited',
          strategy: 'one_for_one',
          children: [
            { id: 'probe:disk', path: 'agent/probes/probe:disk', type: 'worker', thread: 'worker', state: 'restarting', restart: 'permanent', restarts: 1, lastExit: 'error: boom', actorState: 'failed' },
          ],
        },
        { id: 'once', path: 'agent/once', type: 'worker', thread: 'main', state: 'stopped', restart: 'transient', restarts: 0, lastExit: 'normal' },
      ],
    };
    assert.equal(
      formatTree(treeFromAgent({ now, root })),
      [
        'agent               running     main    restarts=0  up 2m13s  one_for_one',
        '├── node:n1         running     main    restarts=0  up 2m13s  actor=degraded',
        '├── probes          running     worker  restarts=2  up 5s  one_for_one  last exit: error: worker thread exited',
        '│   └── probe:disk  restarting  worker  restarts=1  actor=failed  last exit: error: boom',
        '└── once            stopped     main    restarts=0  last exit: normal',
        '',
      ].join('\n'),
    );
  });

  it("draws an actor's own actors below it: a status hook's job and its attempt", () => {
    const now = 1_000_000;
    const actor = (id: string, path: string, extra: Partial<TreeNodeInfo> = {}): TreeNodeInfo => ({
      id, path, type: 'worker', thread: 'main', state: 'running', restart: 'temporary', restarts: 0, ...extra,
    });
    const root: TreeNodeInfo = {
      ...actor('agent', 'agent', { type: 'supervisor', restart: 'permanent', startedAt: now - 133_000, strategy: 'one_for_one' }),
      children: [
        actor('hook:status', 'agent/hook:status', {
          restart: 'permanent',
          startedAt: now - 133_000,
          actor: 'status-hook',
          actorState: 'running',
          children: [
            actor('job', 'agent/hook:status/job', { actor: 'hook-job', actorState: { running: 'attempting' }, children: [actor('attempt', 'agent/hook:status/job/attempt')] }),
          ],
        }),
      ],
    };
    assert.equal(
      formatTree(treeFromAgent({ now, root })),
      [
        'agent                running  main  restarts=0  up 2m13s  one_for_one',
        '└── hook:status      running  main  restarts=0  up 2m13s  actor=running',
        '    └── job          running  main  restarts=0  actor=running.attempting',
        '        └── attempt  running  main  restarts=0',
        '',
      ].join('\n'),
    );
  });

  it('shows a spec offline: every child not started, worker placement inherited by a hosted subtree', () => {
    const spec = compileSupervisorSpec({
      strategy: 'rest_for_one',
      children: [
        { id: 'a', start: { actor: 'idle' } },
        { id: 'sub', thread: 'worker', start: { supervisor: { strategy: 'one_for_all', children: [{ id: 'b', start: { actor: 'idle' } }] } } },
      ],
    });
    const view = treeFromSpec(spec);
    assert.equal(view.source, 'spec');
    assert.equal(view.root.children?.[1]?.children?.[0]?.thread, 'worker');
    assert.equal(view.root.children?.[1]?.children?.[0]?.path, 'agent/sub/b');
    assert.equal(
      formatTree(view),
      [
        'agent      not started  main    restarts=0  rest_for_one',
        '├── a      not started  main    restarts=0',
        '└── sub    not started  worker  restarts=0  one_for_all',
        '    └── b  not started  worker  restarts=0',
        '',
      ].join('\n'),
    );
  });

  it('a last exit with a newline and escape sequences stays on its line, shown escaped', () => {
    const root: TreeNodeInfo = {
      id: 'agent',
      path: 'agent',
      type: 'supervisor',
      thread: 'main',
      state: 'stopped',
      restart: 'permanent',
      restarts: 0,
      lastExit: 'error: boom\n\u001b[2J\u001b]0;title\u0007',
    };
    assert.equal(formatTree(treeFromAgent({ now: 0, root })), 'agent  stopped  main  restarts=0  last exit: error: boom\\u000a\\u001b[2J\\u001b]0;title\\u0007\n');
  });
});
