// The text of `gravity plan` and its companions against Operations built by hand: the seed's plan
// table and rollback output reproduced, every state and marker, depth three, requires, nodes,
// timestamps in UTC, the failed-phase footer, colour only when asked, the short form, JSON and YAML,
// follow lines, the operation table of the rollback prompt, and the execute/rollback lines.

import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  firstFailedPhase,
  formatElapsed,
  formatExecuteLine,
  formatFailedLine,
  formatFailureFooter,
  formatFinishedLine,
  formatFollowEndLine,
  formatFollowLine,
  formatHumanDate,
  formatOperationTable,
  formatPlan,
  formatPlanJson,
  formatPlanShort,
  formatPlanTable,
  formatPlanYaml,
  formatRollbackLine,
  formatRollbackWarning,
  formatShortDate,
  goQuote,
  gravityOperationState,
  gravityOperationType,
  planDocument,
  rollbackQuestion,
} from '../../src/cli/format-plan.ts';
import type { Operation, Phase, PhaseState } from '../../src/plan/types.ts';

const red = '\u001b[31m';
const blue = '\u001b[34m';
const reset = '\u001b[0m';

function leaf(id: string, description: string, state: PhaseState, extra: Partial<Phase> = {}): Phase {
  return { id, description, state, requires: [], phases: [], ...extra };
}

function group(id: string, description: string, state: PhaseState, phases: Phase[], extra: Partial<Phase> = {}): Phase {
  return { id, description, state, requires: [], phases, ...extra };
}

function operation(phases: Phase[], extra: Partial<Operation> = {}): Operation {
  return {
    id: '30c5d94c-1fbc-48eb-a952-a8632d519891',
    type: 'update',
    description: 'Upgrade the cluster',
    state: 'in_progress',
    created: Date.UTC(2020, 4, 27, 21, 27),
    updated: Date.UTC(2020, 4, 27, 21, 40),
    plan: group('/', 'Upgrade the cluster', 'unstarted', phases),
    ...extra,
  };
}

function lines(...text: string[]): string {
  return text.map((line) => `${line}\n`).join('');
}

/** 2020-05-27 (a Wednesday) at hh:mm:ss UTC. */
function may27(hours: number, minutes: number, seconds = 0): number {
  return Date.UTC(2020, 4, 27, hours, minutes, seconds);
}

/** 2020-06-02 (a Tuesday, a one-digit day) at 09:05 UTC. */
const june2 = Date.UTC(2020, 5, 2, 9, 5);

// The seed's `gravity plan`, as printed there.
const seedTable = [
  'Phase                    Description                                                 State         Node              Requires                           Updated',
  '-----                    -----------                                                 -----         ----              --------                           -------',
  '* init                   Initialize update operation                                 Unstarted     -                 -                                  -',
  '* checks                 Run preflight checks                                        Unstarted     -                 /init                              -',
  '* bootstrap              Bootstrap update operation on nodes                         Unstarted     -                 /init                              -',
  '  * node-1               Bootstrap node "node-1"                                     Unstarted     -                 -                                  -',
  '* masters                Update master nodes                                         Unstarted     -                 /checks,/bootstrap,/pre-update     -',
  '  * node-1               Update system software on master node "node-1"              Unstarted     -                 -                                  -',
  '    * drain              Drain node "node-1"                                         Unstarted      -                                  -',
  '    * system-upgrade     Update system software on node "node-1"                     Unstarted     -                 /masters/node-1/drain              -',
  '    * taint              Taint node "node-1"                                         Unstarted      /masters/node-1/system-upgrade     -',
  '* runtime                Update application runtime                                  Unstarted     -                 /masters                           -',
  '  * rbac-app             Update system application "rbac-app" to 0.0.1-alpha.2       Unstarted     -                 -                                  -',
  '  * site                 Update system application "site" to 0.0.1-alpha.2           Unstarted     -                 /runtime/rbac-app                  -',
  '  * kubernetes           Update system application "kubernetes" to 0.0.1-alpha.2     Unstarted     -                 /runtime/rbac-app                  -',
  '* app                    Update installed application                                Unstarted     -                 /masters,/runtime/rbac-app         -',
  '  * telekube             Update application "telekube" to 0.0.1-alpha.2              Unstarted     -                 -                                  -',
];

function seedPlan(): Operation {
  const u = 'unstarted';
  return operation([
    leaf('/init', 'Initialize update operation', u),
    leaf('/checks', 'Run preflight checks', u, { requires: ['/init'] }),
    group('/bootstrap', 'Bootstrap update operation on nodes', u, [leaf('/bootstrap/node-1', 'Bootstrap node "node-1"', u)], { requires: ['/init'] }),
    group(
      '/masters',
      'Update master nodes',
      u,
      [
        group('/masters/node-1', 'Update system software on master node "node-1"', u, [
          leaf('/masters/node-1/drain', 'Drain node "node-1"', u),
          leaf('/masters/node-1/system-upgrade', 'Update system software on node "node-1"', u, { requires: ['/masters/node-1/drain'] }),
          leaf('/masters/node-1/taint', 'Taint node "node-1"', u, { requires: ['/masters/node-1/system-upgrade'] }),
        ]),
      ],
      { requires: ['/checks', '/bootstrap', '/pre-update'] },
    ),
    group(
      '/runtime',
      'Update application runtime',
      u,
      [
        leaf('/runtime/rbac-app', 'Update system application "rbac-app" to 0.0.1-alpha.2', u),
        leaf('/runtime/site', 'Update system application "site" to 0.0.1-alpha.2', u, { requires: ['/runtime/rbac-app'] }),
        leaf('/runtime/kubernetes', 'Update system application "kubernetes" to 0.0.1-alpha.2', u, { requires: ['/runtime/rbac-app'] }),
      ],
      { requires: ['/masters'] },
    ),
    group('/app', 'Update installed application', u, [leaf('/app/telekube', 'Update application "telekube" to 0.0.1-alpha.2', u)], {
      requires: ['/masters', '/runtime/rbac-app'],
    }),
  ]);
}

// Every state, depth three, nodes, requires, a failure with its error, times on two days.
function failedUpgrade(): Operation {
  return operation(
    [
      leaf('/init', 'Initialize update operation', 'completed', { updated: may27(21, 27, 5) }),
      leaf('/checks', 'Run preflight checks', 'completed', { requires: ['/init'], updated: may27(21, 28) }),
      group(
        '/masters',
        'Update master nodes',
        'failed',
        [
          group(
            '/masters/node-1',
            'Update system software on master node "node-1"',
            'failed',
            [
              leaf('/masters/node-1/drain', 'Drain node "node-1"', 'completed', { node: 'node-1', updated: may27(21, 30) }),
              leaf('/masters/node-1/system-upgrade', 'Update system software on node "node-1"', 'failed', {
                node: 'node-1',
                requires: ['/masters/node-1/drain'],
                updated: may27(21, 31),
                error: 'exit status 1: unit planet.service failed',
              }),
              leaf('/masters/node-1/taint', 'Taint node "node-1"', 'unstarted', { node: 'node-1', requires: ['/masters/node-1/system-upgrade'] }),
            ],
            { updated: may27(21, 31) },
          ),
          group(
            '/masters/node-2',
            'Update system software on master node "node-2"',
            'in_progress',
            [
              leaf('/masters/node-2/drain', 'Drain node "node-2"', 'in_progress', { node: 'node-2', updated: june2 }),
              group(
                '/masters/node-2/system',
                'System software',
                'rolled_back',
                [leaf('/masters/node-2/system/upgrade', 'Update system software on node "node-2"', 'rolled_back', { node: 'node-2', updated: may27(21, 35) })],
                { updated: may27(21, 35) },
              ),
            ],
            { updated: june2 },
          ),
        ],
        { requires: ['/checks', '/init'], updated: june2 },
      ),
      leaf('/app', 'Update installed application', 'unstarted', { requires: ['/masters', '/checks'] }),
    ],
    { state: 'failed' },
  );
}

const failedUpgradeTable = [
  'Phase                    Description                                        State           Node       Requires                           Updated',
  '-----                    -----------                                        -----           ----       --------                           -------',
  '✓ init                   Initialize update operation                        Completed       -          -                                  Wed May 27 21:27 UTC',
  '✓ checks                 Run preflight checks                               Completed       -          /init                              Wed May 27 21:28 UTC',
  '× masters                Update master nodes                                Failed          -          /checks,/init                      Tue Jun  2 09:05 UTC',
  '  × node-1               Update system software on master node "node-1"     Failed          -          -                                  Wed May 27 21:31 UTC',
  '    ✓ drain              Drain node "node-1"                                Completed       node-1     -                                  Wed May 27 21:30 UTC',
  '    × system-upgrade     Update system software on node "node-1"            Failed          node-1     /masters/node-1/drain              Wed May 27 21:31 UTC',
  '    * taint              Taint node "node-1"                                Unstarted       node-1     /masters/node-1/system-upgrade     -',
  '  → node-2               Update system software on master node "node-2"     In Progress     -          -                                  Tue Jun  2 09:05 UTC',
  '    → drain              Drain node "node-2"                                In Progress     node-2     -                                  Tue Jun  2 09:05 UTC',
  '    ⤺ system             System software                                    Rolled Back     -          -                                  Wed May 27 21:35 UTC',
  '      ⤺ upgrade          Update system software on node "node-2"            Rolled Back     node-2     -                                  Wed May 27 21:35 UTC',
  '* app                    Update installed application                       Unstarted       -          /masters,/checks                   -',
];

const failedUpgradeFooter = ['The /masters/node-1/system-upgrade phase ("Update system software on node \\"node-1\\"") has failed', '\texit status 1: unit planet.service failed'];

describe('cli/format-plan', () => {
  describe('the plan table', () => {
    it("lays the seed's plan out as the seed prints it (its Node column, wider there, aside)", () => {
      const ours = formatPlanTable(seedPlan(), { color: false }).split('\n');
      assert.equal(ours.pop(), '', 'ends with a newline');
      assert.equal(ours.length, seedTable.length);
      // The seed's Node column is 18 wide although every cell is `-` (its addresses were scrubbed from
      // the example): every other column is where the seed has it once that column is 9 wide (`Node`
      // and the padding of 5).
      const nodeColumn = seedTable[0]?.indexOf('Node') ?? -1;
      assert.equal(nodeColumn, 25 + 60 + 14);
      const narrowed = seedTable.map((line) => line.slice(0, nodeColumn + 9) + line.slice(nodeColumn + 18));
      // Two rows of the seed lost their Node cell (a typo in the example); all others match exactly.
      const typos = new Set([8, 10]);
      narrowed.forEach((line, index) => {
        if (!typos.has(index)) assert.equal(ours[index], line, `line ${index}`);
      });
      assert.equal(ours[8], '    * drain              Drain node "node-1"                                         Unstarted     -        -                                  -');
      assert.equal(ours[10], '    * taint              Taint node "node-1"                                         Unstarted     -        /masters/node-1/system-upgrade     -');
    });

    it('shows every state with its marker and label, depth three, nodes, requires, UTC times, then the failed phase and its error', () => {
      assert.equal(formatPlanTable(failedUpgrade(), { color: false }), lines(...failedUpgradeTable, ...failedUpgradeFooter));
    });

    it('prints no escape codes without colour, and red failed rows and footer with it', () => {
      const plain = formatPlanTable(failedUpgrade(), { color: false });
      assert.ok(!plain.includes('\u001b'));
      const coloured = formatPlanTable(failedUpgrade(), { color: true });
      const red3 = new Set([4, 5, 7]);
      const expected = failedUpgradeTable.map((line, index) => (red3.has(index) ? `${red}${line}${reset}` : line));
      assert.equal(coloured, lines(...expected, ...failedUpgradeFooter.map((line) => `${red}${line}${reset}`)));
    });

    it('has no footer when nothing failed, and takes `now` without changing anything', () => {
      const op = operation([leaf('/init', 'Initialize', 'completed', { updated: may27(21, 27) })]);
      const text = formatPlanTable(op, { color: false, now: may27(23, 0) });
      assert.equal(
        text,
        lines(
          'Phase      Description     State         Node     Requires     Updated',
          '-----      -----------     -----         ----     --------     -------',
          '✓ init     Initialize      Completed     -        -            Wed May 27 21:27 UTC',
        ),
      );
      assert.equal(text, formatPlanTable(op, { color: false }));
    });

    it('an empty plan is the header alone', () => {
      assert.equal(
        formatPlanTable(operation([]), { color: false }),
        lines('Phase     Description     State     Node     Requires     Updated', '-----     -----------     -----     ----     --------     -------'),
      );
    });

    it('a phase with a comma-joined requires list, and the whole id never shown (only its last segment)', () => {
      const op = operation([group('/a', 'A', 'unstarted', [leaf('/a/b', 'B', 'unstarted', { requires: ['/x', '/y/z'] })])]);
      const table = formatPlanTable(op, { color: false });
      assert.ok(table.includes('  * b     B               Unstarted     -        /x,/y/z      -\n'), table);
    });
  });

  describe('the failure footer', () => {
    it('names the first failed leaf depth first, not the group it makes failed', () => {
      assert.equal(firstFailedPhase(failedUpgrade().plan)?.id, '/masters/node-1/system-upgrade');
      assert.equal(firstFailedPhase(seedPlan().plan), undefined);
    });

    it('quotes the description as Go does and indents every line of the error', () => {
      const op = operation([leaf('/x', 'Say "hi"\there', 'failed', { error: 'first line\nsecond line' })], { state: 'failed' });
      assert.equal(formatFailureFooter(op, { color: false }), lines('The /x phase ("Say \\"hi\\"\\there") has failed', '\tfirst line', '\tsecond line'));
    });

    it('is the sentence alone when the phase has no error', () => {
      const op = operation([leaf('/x', 'X', 'failed')]);
      assert.equal(formatFailureFooter(op, { color: false }), lines('The /x phase ("X") has failed'));
    });

    it('is empty when no leaf failed', () => {
      const op = operation([group('/g', 'G', 'in_progress', [leaf('/g/a', 'A', 'rolled_back'), leaf('/g/b', 'B', 'completed')])]);
      assert.equal(formatFailureFooter(op, { color: true }), '');
    });
  });

  describe('the short form', () => {
    it('is Phase, State and Updated, with a rolled-back phase marked ×, then the footer', () => {
      assert.equal(
        formatPlanShort(failedUpgrade(), { color: false }),
        lines(
          'Phase                    State           Updated',
          '-----                    -----           -------',
          '✓ init                   Completed       Wed May 27 21:27 UTC',
          '✓ checks                 Completed       Wed May 27 21:28 UTC',
          '× masters                Failed          Tue Jun  2 09:05 UTC',
          '  × node-1               Failed          Wed May 27 21:31 UTC',
          '    ✓ drain              Completed       Wed May 27 21:30 UTC',
          '    × system-upgrade     Failed          Wed May 27 21:31 UTC',
          '    * taint              Unstarted       -',
          '  → node-2               In Progress     Tue Jun  2 09:05 UTC',
          '    → drain              In Progress     Tue Jun  2 09:05 UTC',
          '    × system             Rolled Back     Wed May 27 21:35 UTC',
          '      × upgrade          Rolled Back     Wed May 27 21:35 UTC',
          '* app                    Unstarted       -',
          ...failedUpgradeFooter,
        ),
      );
    });
  });

  describe('JSON and YAML', () => {
    it('JSON: two-space indented, Gravity key names, Gravity state names, RFC 3339 times, ending with a newline', () => {
      const op = failedUpgrade();
      op.plan.phases[0] = leaf('/init', 'Initialize update operation', 'completed', {
        updated: may27(21, 27, 5),
        executor: { kind: 'run', argv: ['mkdir', '-p', '/var/x'], rollback: ['rm', '-rf', '/var/x'], env: { A: '1' }, shell: false, timeoutMs: 3_600_000, retries: 2, retryBackoffMs: 500 },
      });
      op.plan.phases[3] = leaf('/app', 'Update installed application', 'unstarted', { requires: ['/masters'], parallel: 2, executor: { kind: 'hook', hook: 'update' } });
      const text = formatPlanJson(op);
      assert.ok(text.startsWith('{\n  "operation_id": "30c5d94c-1fbc-48eb-a952-a8632d519891",\n  "operation_type": "update",\n'), text.slice(0, 120));
      assert.ok(text.endsWith('}\n'));
      const parsed = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(parsed, JSON.parse(JSON.stringify(planDocument(op))));
      const doc = planDocument(op);
      assert.equal(doc.state, 'failed');
      assert.equal(doc.created_at, '2020-05-27T21:27:00.000Z');
      assert.deepEqual(doc.phases[0], {
        id: '/init',
        description: 'Initialize update operation',
        state: 'completed',
        requires: [],
        executor: { kind: 'run', argv: ['mkdir', '-p', '/var/x'], rollback: ['rm', '-rf', '/var/x'], env: { A: '1' }, shell: false, timeout_ms: 3_600_000, retries: 2, retry_backoff_ms: 500 },
        updated: '2020-05-27T21:27:05.000Z',
        phases: [],
      });
      assert.deepEqual(doc.phases[3], {
        id: '/app',
        description: 'Update installed application',
        state: 'unstarted',
        requires: ['/masters'],
        parallel: 2,
        executor: { kind: 'hook', hook: 'update' },
        phases: [],
      });
      const upgrade = doc.phases[2]?.phases[0]?.phases[1];
      assert.deepEqual(
        { id: upgrade?.id, state: upgrade?.state, node: upgrade?.node, error: upgrade?.error },
        { id: '/masters/node-1/system-upgrade', state: 'failed', node: 'node-1', error: 'exit status 1: unit planet.service failed' },
      );
      assert.equal(doc.phases[2]?.phases[1]?.phases[1]?.phases[0]?.state, 'rolled_back');
      assert.equal(doc.phases[2]?.phases[1]?.state, 'in_progress');
      assert.equal(planDocument(operation([], { rolledBack: true, state: 'failed' })).rolled_back, true);
      assert.equal('rolled_back' in planDocument(operation([])), false);
    });

    it('YAML: the same document, long lines never folded', () => {
      const op = failedUpgrade();
      const long = 'x'.repeat(200);
      op.plan.phases[0] = leaf('/init', long, 'completed');
      const text = formatPlanYaml(op);
      assert.ok(text.startsWith('operation_id: 30c5d94c-1fbc-48eb-a952-a8632d519891\noperation_type: update\n'), text.slice(0, 100));
      assert.ok(text.includes(`description: ${long}\n`));
      assert.deepEqual(parse(text), JSON.parse(formatPlanJson(op)));
    });

    it('formatPlan picks the format', () => {
      const op = failedUpgrade();
      assert.equal(formatPlan(op, 'text', { color: false }), formatPlanTable(op, { color: false }));
      assert.equal(formatPlan(op, 'short', { color: false }), formatPlanShort(op, { color: false }));
      assert.equal(formatPlan(op, 'json', { color: true }), formatPlanJson(op));
      assert.equal(formatPlan(op, 'yaml', { color: true }), formatPlanYaml(op));
    });
  });

  describe('dates and quoting', () => {
    it("formats Gravity's human and short dates in UTC, the day padded with a space", () => {
      assert.equal(formatHumanDate(may27(21, 27, 5)), 'Wed May 27 21:27 UTC');
      assert.equal(formatHumanDate(may27(21, 27, 5), true), 'Wed May 27 21:27:05 UTC');
      assert.equal(formatHumanDate(june2), 'Tue Jun  2 09:05 UTC');
      assert.equal(formatHumanDate(Date.UTC(2021, 0, 1, 0, 0, 9), true), 'Fri Jan  1 00:00:09 UTC');
      assert.equal(formatShortDate(may27(21, 27)), '2020-05-27 21:27');
      assert.equal(formatShortDate(Date.UTC(2021, 0, 1, 3, 4)), '2021-01-01 03:04');
    });

    it("quotes as Go's %q: escapes, control bytes in hex, printable Unicode as it is", () => {
      const table: [string, string][] = [
        ['plain', '"plain"'],
        ['say "hi"', '"say \\"hi\\""'],
        ['back\\slash', '"back\\\\slash"'],
        ['a\nb\tc\rd', '"a\\nb\\tc\\rd"'],
        ['\u0001\u007f', '"\\x01\\x7f"'],
        ['café → ✓', '"café → ✓"'],
        ['zero\u200bwidth', '"zero\\u200bwidth"'],
      ];
      for (const [input, quoted] of table) assert.equal(goQuote(input), quoted, JSON.stringify(input));
    });
  });

  describe('follow lines', () => {
    it('a phase change: time with seconds, a tab, the leaf position and total right-aligned in three', () => {
      assert.equal(
        formatFollowLine(may27(21, 27, 5), 3, 12, '/masters/node-1/drain', 'completed'),
        'Wed May 27 21:27:05 UTC\t[  3/ 12] Phase /masters/node-1/drain is completed',
      );
      assert.equal(formatFollowLine(june2, 1000, 1000, '/a', 'in_progress'), 'Tue Jun  2 09:05:00 UTC\t[1000/1000] Phase /a is in_progress');
      assert.equal(formatFollowLine(june2, 1, 2, '/a', 'failed', { color: true }), `${blue}Tue Jun  2 09:05:00 UTC${reset}\t[  1/  2] Phase /a is failed`);
    });

    it('the end of the operation', () => {
      assert.equal(formatFollowEndLine(may27(21, 30), 'completed'), 'Wed May 27 21:30:00 UTC\tOperation plan is completed');
      assert.equal(formatFollowEndLine(may27(21, 30), 'rolled back'), 'Wed May 27 21:30:00 UTC\tOperation plan is rolled back');
      assert.equal(formatFollowEndLine(may27(21, 30), 'completed', { color: true }), `${blue}Wed May 27 21:30:00 UTC${reset}\t\u001b[32mOperation plan is completed${reset}`);
    });
  });

  describe('gravity rollback', () => {
    it("prints the seed's confirmation: the operation table in Gravity's names, the advice, the question", () => {
      const op = operation([]);
      assert.equal(
        formatOperationTable([op]),
        lines(
          'Type                 ID                                       State                  Created',
          '----                 --                                       -----                  -------',
          'operation_update     30c5d94c-1fbc-48eb-a952-a8632d519891     update_in_progress     2020-05-27 21:27',
        ),
      );
      assert.equal(
        formatRollbackWarning(op) + rollbackQuestion,
        [
          'You are about to rollback the following operation:',
          'Type                 ID                                       State                  Created',
          '----                 --                                       -----                  -------',
          'operation_update     30c5d94c-1fbc-48eb-a952-a8632d519891     update_in_progress     2020-05-27 21:27',
          '',
          'Consider checking the operation plan and using --dry-run flag first to see which actions will be performed.',
          'You can suppress this warning in future by providing --confirm flag.',
          'Proceed? (yes/no): ',
        ].join('\n'),
      );
    });

    it('aligns several operations and names every type and state as Gravity does', () => {
      const table = formatOperationTable([
        { id: 'b', type: 'custom', state: 'failed', created: june2 },
        { id: 'a', type: 'gc', state: 'completed', created: may27(8, 0) },
      ]);
      assert.equal(
        table,
        lines('Type                 ID     State         Created', '----                 --     -----         -------', 'operation_custom     b      failed        2020-06-02 09:05', 'operation_gc         a      completed     2020-05-27 08:00'),
      );
      assert.equal(gravityOperationType('expand'), 'operation_expand');
      assert.equal(gravityOperationState('shrink', 'in_progress'), 'shrink_in_progress');
      assert.equal(gravityOperationState('shrink', 'failed'), 'failed');
    });

    it("prints the seed's rollback lines, and with --dry-run its [DRY-RUN] lines", () => {
      const steps: [string, string | undefined][] = [
        ['/masters/node-2/untaint', undefined],
        ['/masters/node-2/endpoints', undefined],
        ['/masters/node-2/uncordon', undefined],
        ['/masters/node-2/taint', undefined],
        ['/masters/node-2/health', 'node-2'],
        ['/masters/node-2/elect', 'node-2'],
        ['/masters/node-2/system-upgrade', 'node-2'],
      ];
      assert.equal(
        steps.map(([id, node]) => formatRollbackLine(id, node, false)).join('\n'),
        [
          'Rolling back "/masters/node-2/untaint" locally',
          'Rolling back "/masters/node-2/endpoints" locally',
          'Rolling back "/masters/node-2/uncordon" locally',
          'Rolling back "/masters/node-2/taint" locally',
          'Rolling back "/masters/node-2/health" on node node-2',
          'Rolling back "/masters/node-2/elect" on node node-2',
          'Rolling back "/masters/node-2/system-upgrade" on node node-2',
        ].join('\n'),
      );
      assert.equal(
        steps.map(([id, node]) => formatRollbackLine(id, node, true)).join('\n'),
        [
          '[DRY-RUN] Rolling back "/masters/node-2/untaint" locally',
          '[DRY-RUN] Rolling back "/masters/node-2/endpoints" locally',
          '[DRY-RUN] Rolling back "/masters/node-2/uncordon" locally',
          '[DRY-RUN] Rolling back "/masters/node-2/taint" locally',
          '[DRY-RUN] Rolling back "/masters/node-2/health" on node node-2',
          '[DRY-RUN] Rolling back "/masters/node-2/elect" on node node-2',
          '[DRY-RUN] Rolling back "/masters/node-2/system-upgrade" on node node-2',
        ].join('\n'),
      );
    });
  });

  describe('execute lines', () => {
    it("starts as Gravity's, ends with how long it took", () => {
      assert.equal(formatExecuteLine('/init/mkdir', undefined), 'Executing "/init/mkdir" locally');
      assert.equal(formatExecuteLine('/masters/node-2/drain', 'node-2'), 'Executing "/masters/node-2/drain" on remote node node-2');
      assert.equal(formatFinishedLine('execute', '/init/mkdir', 1234), 'Completed "/init/mkdir" in 1.2s');
      assert.equal(formatFinishedLine('rollback', '/init/mkdir', 350), 'Rolled back "/init/mkdir" in 350ms');
      assert.equal(formatFinishedLine('execute', '/init/mkdir'), 'Completed "/init/mkdir"');
      assert.equal(formatFailedLine('execute', '/init/mkdir', 1234, 'mkdir /var/x: permission denied'), 'Failed "/init/mkdir" after 1.2s: mkdir /var/x: permission denied');
      assert.equal(formatFailedLine('rollback', '/init/mkdir', 61_000, 'exit status 2\nstderr: boom'), 'Rollback of "/init/mkdir" failed after 1m01s: exit status 2');
      assert.equal(formatFailedLine('execute', '/x', undefined, ''), 'Failed "/x"');
    });

    it('formats elapsed times compactly, never rounding up', () => {
      const table: [number, string][] = [
        [0, '0ms'],
        [-3, '0ms'],
        [999.9, '999ms'],
        [1000, '1.0s'],
        [1299, '1.2s'],
        [9_999, '9.9s'],
        [10_000, '10s'],
        [59_999, '59s'],
        [60_000, '1m00s'],
        [133_000, '2m13s'],
        [3_599_999, '59m59s'],
        [3_720_000, '1h02m'],
        [26 * 3_600_000, '26h00m'],
      ];
      for (const [ms, text] of table) assert.equal(formatElapsed(ms), text, `${ms} ms`);
    });
  });

  describe('control characters in the plan', () => {
    const hostile = 'x\u001b[31mred\u001b]0;title\u0007\rover\u009b2J';
    const shown = 'x\\u001b[31mred\\u001b]0;title\\u0007\\u000dover\\u009b2J';
    
    it('a description, node and error are shown escaped in the table and the footer; gravity\'s own red is kept', () => {
      const op = operation([leaf('/a', hostile, 'failed', { node: `n\u001b[2J1`, error: `exit code 7: ${hostile}\nsecond \u009b line` })]);
      const text = formatPlanTable(op, { color: true });
      assert.ok(text.includes(shown), text);
      assert.ok(text.includes('n\\u001b[2J1'));
      assert.ok(text.includes(`\texit code 7: ${shown}${reset}\n`));
      assert.ok(text.includes('second \\u009b line'));
      const withoutOwn = text.split(red).join('').split(reset).join('');
      // eslint-disable-next-line no-control-regex -- the point of the test
      assert.doesNotMatch(withoutOwn, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      assert.equal(formatFailedLine('execute', '/a', undefined, hostile), `Failed "/a": ${shown}`);
      assert.equal(formatExecuteLine('/a', 'n\u001b1'), 'Executing "/a" on remote node n\\u001b1');
    });

    it('JSON keeps the data as it is', () => {
      const op = operation([leaf('/a', hostile, 'unstarted')]);
      assert.equal((JSON.parse(formatPlan(op, 'json', { color: false })) as { phases: { description: string }[] }).phases[0]?.description, hostile);
    });
  });
});
