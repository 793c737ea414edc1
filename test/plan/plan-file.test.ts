// Plan files as users write them, from real files: a valid plan compiles to the PhaseSpec the engine
// stores (absolute ids and requirements, defaults, executors), and each class of mistake, alone or
// several at once, is reported with the line and column where it was written. The worked example of
// docs/plans.md is loaded too, so that the docs stay true.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppManifest } from '../../src/config/types.ts';
import { descendants, getPhase, leaves } from '../../src/plan/phase-state.ts';
import { loadPlanFile, planFileDefaults, planFileKeys } from '../../src/plan/plan-file.ts';
import type { PlanFileOptions } from '../../src/plan/plan-file.ts';
import { failure } from '../helpers/failure.ts';
import { aliasBomb, deepFlow, garbage } from '../helpers/hostile-yaml.ts';

const app: AppManifest = {
  path: '/etc/gravity/app.yaml',
  hooks: {
    status: { command: ['true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 },
    preUpdate: { command: ['true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 },
  },
};
const members = ['node-1', 'node-2'];


describe('plan/plan-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-plan-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(lines: string[], name = 'plan.yaml'): string {
    const file = join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  /** The problems of an invalid file, each as `line:col: path: message`. */
  function problems(lines: string[], options: PlanFileOptions = { members, app }): string[] {
    const file = write(lines);
    const error = failure(() => loadPlanFile(file, options));
    assert.equal(error.code, 'E_PLAN_INVALID', error.message);
    assert.equal(error.message, `invalid plan file ${file}: ${error.details.length} problem(s)`);
    return error.details.map((detail) => {
      assert.ok(detail.startsWith(`${file}:`), detail);
      return detail.slice(file.length + 1);
    });
  }

  describe('a valid plan', () => {
    const plan = [
      'description: Upgrade the demo app', // 1
      'phases:', // 2
      '  - id: init', // 3
      '    description: Prepare', // 4
      '    run: [mkdir, -p, work]', // 5
      '    rollback: [rmdir, work]', // 6
      '  - id: masters', // 7
      '    description: Masters, one node at a time', // 8
      '    requires: [/init]', // 9
      '    phases:', // 10
      '      - id: node-1', // 11
      '        node: node-1', // 12
      '        phases:', // 13
      '          - id: drain', // 14
      '            description: Drain node-1', // 15
      '            run: [kubectl, drain, node-1]', // 16
      '            env: { KUBECONFIG: /etc/k.conf, LEVEL: 3 }', // 17
      '            workingDir: work', // 18
      '            timeout: 10m', // 19
      '            retries: 2', // 20
      '            retryBackoff: 500ms', // 21
      '          - id: hook', // 22
      '            requires: [drain]', // 23
      '            hook: preUpdate', // 24
      '          - id: healthy', // 25
      '            requires: hook', // 26
      '            node: node-2', // 27
      '            waitHealthy: { timeout: 2m }', // 28
      '  - id: workers', // 29
      '    requires: [masters/node-1, /init]', // 30
      '    parallel: 2', // 31
      '    phases:', // 32
      '      - id: w1', // 33
      '        shell: true', // 34
      '        run: echo one > w1 && sync', // 35
      '        rollback: [rm -f w1]', // 36
      '      - id: w2', // 37
      '        waitHealthy:', // 38
      '      - { id: w3, run: ["true"] }', // 39
    ];

    it('compiles to absolute ids and requirements, defaults and executors', () => {
      const { description, plan: root } = loadPlanFile(write(plan), { members, app });
      assert.equal(description, 'Upgrade the demo app');
      assert.equal(root.id, '/');
      assert.equal(root.description, description);
      assert.deepEqual(root.requires, []);
      assert.deepEqual(root.phases.map((phase) => phase.id), ['/init', '/masters', '/workers']);
      assert.deepEqual(
        descendants(root).map((phase) => phase.id),
        ['/init', '/masters', '/masters/node-1', '/masters/node-1/drain', '/masters/node-1/hook', '/masters/node-1/healthy', '/workers', '/workers/w1', '/workers/w2', '/workers/w3'],
      );
      const requires = Object.fromEntries(descendants(root).map((phase) => [phase.id, phase.requires]));
      assert.deepEqual(requires, {
        '/init': [],
        '/masters': ['/init'],
        '/masters/node-1': [],
        '/masters/node-1/drain': [],
        '/masters/node-1/hook': ['/masters/node-1/drain'],
        '/masters/node-1/healthy': ['/masters/node-1/hook'],
        '/workers': ['/masters/node-1', '/init'],
        '/workers/w1': [],
        '/workers/w2': [],
        '/workers/w3': [],
      });

      assert.deepEqual(getPhase(root, '/init'), {
        id: '/init',
        description: 'Prepare',
        requires: [],
        executor: {
          kind: 'run',
          argv: ['mkdir', '-p', 'work'],
          rollback: ['rmdir', 'work'],
          env: {},
          workingDir: dir,
          shell: false,
          timeoutMs: 3_600_000,
          retries: 0,
          retryBackoffMs: 1_000,
        },
        phases: [],
      });
      assert.deepEqual(getPhase(root, '/masters/node-1/drain').executor, {
        kind: 'run',
        argv: ['kubectl', 'drain', 'node-1'],
        env: { KUBECONFIG: '/etc/k.conf', LEVEL: '3' },
        workingDir: join(dir, 'work'),
        shell: false,
        timeoutMs: 600_000,
        retries: 2,
        retryBackoffMs: 500,
      });
      assert.deepEqual(getPhase(root, '/masters/node-1/hook').executor, { kind: 'hook', hook: 'preUpdate' });
      assert.deepEqual(getPhase(root, '/masters/node-1/healthy').executor, { kind: 'waitHealthy', timeoutMs: 120_000 });
      assert.deepEqual(getPhase(root, '/workers/w2').executor, { kind: 'waitHealthy', timeoutMs: planFileDefaults.waitHealthyTimeoutMs });
      const w1 = getPhase(root, '/workers/w1').executor;
      assert.ok(w1?.kind === 'run');
      assert.deepEqual([w1.argv, w1.rollback, w1.shell], [['echo one > w1 && sync'], ['rm -f w1'], true]);

      // A node applies to the phases of its group unless they name their own; groups carry no executor.
      assert.equal(getPhase(root, '/masters/node-1').node, 'node-1');
      assert.equal(getPhase(root, '/masters/node-1/drain').node, 'node-1');
      assert.equal(getPhase(root, '/masters/node-1/healthy').node, 'node-2');
      assert.equal('node' in getPhase(root, '/init'), false);
      assert.equal(getPhase(root, '/workers').parallel, 2);
      assert.equal('parallel' in getPhase(root, '/masters'), false);
      for (const phase of descendants(root)) assert.equal(phase.executor === undefined, phase.phases.length > 0, phase.id);
      assert.equal(leaves(root).length, 7);
    });

    it('needs no app manifest and no members when nothing refers to them', () => {
      const file = write(['description: d', 'phases:', '  - id: a', '    run: [echo, hi]']);
      const { plan: root } = loadPlanFile(file, { members: [] });
      assert.deepEqual(root.phases.map((phase) => phase.id), ['/a']);
    });

    it('onSurvivor: wait is kept on the run executor; kill, the default, is left out', () => {
      const file = write(['description: d', 'phases:', '  - { id: a, run: [echo], onSurvivor: wait }', '  - { id: b, run: [echo], onSurvivor: kill }', '  - { id: c, run: [echo] }']);
      const root = loadPlanFile(file, { members }).plan;
      const policy = (id: string): unknown => {
        const executor = getPhase(root, id).executor;
        return executor?.kind === 'run' ? (executor.onSurvivor ?? 'absent') : 'not run';
      };
      assert.deepEqual(['/a', '/b', '/c'].map(policy), ['wait', 'absent', 'absent']);
    });

    it('accepts a requirement written twice once', () => {
      const file = write(['description: d', 'phases:', '  - { id: a, run: [echo] }', '  - { id: b, requires: [a, /a], run: [echo] }']);
      assert.deepEqual(getPhase(loadPlanFile(file, { members }).plan, '/b').requires, ['/a']);
    });
  });

  describe('each class of mistake, with its line and column', () => {
    const cases: { name: string; lines: string[]; expect: string[]; options?: PlanFileOptions }[] = [
      {
        name: 'unknown keys, at the key',
        lines: ['description: d', 'phase: []', 'phases:', '  - id: a', '    run: [echo]', '    timout: 5s', '  - id: b', '    waitHealthy: { timeout: 1m, every: 5s }'],
        expect: [
          '2:1: phase: unknown key (allowed: description, phases)',
          `6:5: phases[0].timout: unknown key (allowed: ${planFileKeys.phase.join(', ')})`,
          '8:33: phases[1].waitHealthy.every: unknown key (allowed: timeout)',
        ],
      },
      {
        name: 'duplicate ids (the same absolute id)',
        lines: ['description: d', 'phases:', '  - id: a', '    phases:', '      - { id: x, run: [echo] }', '      - { id: x, run: [echo] }', '  - { id: x, run: [echo] }', '  - { id: a, run: [echo] }'],
        expect: ['6:15: phases[0].phases[1].id: duplicate id /a/x (first at line 5)', '8:11: phases[2].id: duplicate id /a (first at line 3)'],
      },
      {
        name: 'requirements that name no phase, absolute or relative',
        lines: ['description: d', 'phases:', '  - id: a', '    phases:', '      - { id: x, requires: [y, /a/z, /b], run: [echo] }', '  - { id: b, requires: [x], run: [echo] }'],
        expect: [
          '5:29: phases[0].phases[0].requires[0]: names no phase: there is no /a/y in this plan',
          '5:32: phases[0].phases[0].requires[1]: names no phase: there is no /a/z in this plan',
          '6:25: phases[1].requires[0]: names no phase: there is no /x in this plan',
        ],
      },
      {
        name: 'malformed requirements',
        lines: ['description: d', 'phases:', '  - { id: a, run: [echo] }', '  - id: b', '    requires: [../a, /a/, 3]', '    run: [echo]', '  - { id: c, requires: { a: 1 }, run: [echo] }'],
        expect: [
          '5:16: phases[1].requires[0]: must name a phase (/a/b, or b for a phase of the same group): ".." is not allowed: phase paths are ids, not file paths, got "../a"',
          '5:22: phases[1].requires[1]: must name a phase (/a/b, or b for a phase of the same group): a phase path does not end with "/", got "/a/"',
          '5:27: phases[1].requires[2]: must be a phase id (/a/b, or b for a phase of the same group), got 3',
          '7:24: phases[2].requires: must be a list of phase ids (/a/b, or b for a phase of the same group), got {"a":1}',
        ],
      },
      {
        name: 'a cycle in requirements, named',
        lines: ['description: d', 'phases:', '  - { id: a, requires: [c], run: [echo] }', '  - { id: b, requires: [a], run: [echo] }', '  - { id: c, requires: [b], run: [echo] }', '  - { id: d, requires: [c], run: [echo] }'],
        expect: ['3:25: phases[0].requires[0]: cycle in requires: /a -> /c -> /b -> /a'],
      },
      {
        name: 'a cycle through groups',
        lines: ['description: d', 'phases:', '  - id: g', '    requires: [/h]', '    phases: [{ id: x, run: [echo] }]', '  - id: h', '    phases:', '      - { id: y, requires: [/g], run: [echo] }'],
        expect: ['4:16: phases[0].requires[0]: cycle in requires: /g -> /h -> /h/y -> /g (a phase also waits for what its groups require, and a group for its own phases)'],
      },
      {
        name: 'a phase requiring itself, its own group or one of its own phases',
        lines: [
          'description: d',
          'phases:',
          '  - { id: s, requires: [s], run: [echo] }',
          '  - id: g',
          '    requires: [g/x]',
          '    phases:',
          '      - { id: x, requires: [/g], run: [echo] }',
          '      - { id: y, requires: [/], run: [echo] }',
        ],
        expect: [
          '3:25: phases[0].requires[0]: cycle in requires: /s -> /s (a phase cannot require itself)',
          "5:16: phases[1].requires[0]: cycle in requires: /g -> /g/x -> /g (/g/x is one of /g's own phases: it cannot start before what /g requires is completed)",
          '7:29: phases[1].phases[0].requires[0]: cycle in requires: /g/x -> /g -> /g/x (/g contains /g/x, so it completes only after /g/x does)',
          '8:29: phases[1].phases[1].requires[0]: cycle in requires: /g/y -> / -> /g/y (/ contains /g/y, so it completes only after /g/y does)',
        ],
      },
      {
        name: 'a leaf with no executor, or two',
        lines: ['description: d', 'phases:', '  - id: a', '    description: nothing to do', '  - id: b', '    run: [echo]', '    hook: status', '    waitHealthy: {}'],
        expect: [
          '3:5: phases[0]: a leaf needs exactly one executor: run: [program, args...], hook: NAME or waitHealthy: {}',
          '7:11: phases[1].hook: a leaf has exactly one executor, but this one has run and hook and waitHealthy: split it into two phases',
        ],
      },
      {
        name: 'a group with an executor, run-only keys elsewhere, parallel on a leaf or below 1',
        lines: [
          'description: d',
          'phases:',
          '  - id: g',
          '    parallel: 0',
          '    run: [echo]',
          '    retries: 1',
          '    phases: [{ id: x, run: [echo] }]',
          '  - { id: h, hook: status, timeout: 1m }',
          '  - { id: l, run: [echo], parallel: 2 }',
          '  - { id: e, phases: [] }',
        ],
        expect: [
          '4:15: phases[0].parallel: must be a whole number from 1 to 1000, got 0',
          '5:10: phases[0].run: a group (a phase with phases:) has no executor: move run: to a phase of its own in the group',
          '6:14: phases[0].retries: only a leaf with run: has retries:',
          '8:37: phases[1].timeout: only a leaf with run: has timeout: (this one has hook:)',
          '9:37: phases[2].parallel: only a group (a phase with phases:) has parallel:',
          '10:22: phases[3].phases: must be a non-empty list of phases, got []',
        ],
      },
      {
        name: 'a node that is not a cluster member',
        lines: ['description: d', 'phases:', '  - { id: a, node: node-9, run: [echo] }', '  - { id: b, node: node-2, run: [echo] }'],
        expect: ['3:20: phases[0].node: not a cluster member (members: node-1, node-2), got "node-9"'],
      },
      {
        name: 'bad durations and numbers',
        lines: [
          'description: d',
          'phases:',
          '  - id: a',
          '    run: [echo]',
          '    timeout: 10 minutes',
          '    retryBackoff: 5',
          '    retries: -1',
          '  - { id: b, waitHealthy: { timeout: 500ms } }',
          '  - { id: c, run: [echo], timeout: 0s }',
        ],
        expect: [
          '5:14: phases[0].timeout: must be a duration from 1ms to 7d, such as 500ms, 30s, 2m, 1h or 7d, got "10 minutes"',
          '6:19: phases[0].retryBackoff: must be a duration from 0ms to 1h, such as 500ms, 30s, 2m, 1h or 7d, got 5',
          '7:14: phases[0].retries: must be a whole number from 0 to 100, got -1',
          '8:38: phases[1].waitHealthy.timeout: must be a duration from 1s to 7d, got "500ms"',
          '9:36: phases[2].timeout: must be a duration from 1ms to 7d, got "0s"',
        ],
      },
      {
        name: 'onSurvivor: kill or wait, on run leaves only',
        lines: ['description: d', 'phases:', '  - { id: a, run: [echo], onSurvivor: later }', '  - { id: b, hook: status, onSurvivor: wait }'],
        expect: ['3:39: phases[0].onSurvivor: must be kill or wait, got "later"', '4:40: phases[1].onSurvivor: only a leaf with run: has onSurvivor: (this one has hook:)'],
      },
      {
        name: 'commands: no shell unless written, argv of strings',
        lines: [
          'description: d',
          'phases:',
          '  - { id: a, run: "touch /tmp/x" }',
          '  - { id: b, run: [touch, 5, true] }',
          '  - { id: c, shell: true, run: [touch, /tmp/x] }',
          '  - { id: d, shell: "yes", run: [echo] }',
          '  - { id: e, run: [] }',
          '  - { id: f, run: [echo], rollback: "rm -f x" }',
        ],
        expect: [
          '3:19: phases[0].run: must be a list: the program and its arguments, e.g. [systemctl, restart, docker] (arguments never pass through a shell; write shell: true to run a command line with sh -c), got "touch /tmp/x"',
          '4:27: phases[1].run[1]: must be a string: quote it ("5"), got 5',
          '4:30: phases[1].run[2]: must be a string: quote it ("true"), got true',
          '5:32: phases[2].run: with shell: true, must be one command line for sh -c (a string, or a list of one string), got ["touch","/tmp/x"]',
          '6:21: phases[3].shell: must be true or false, got "yes"',
          '7:19: phases[4].run: must be a non-empty list: the program and its arguments, e.g. [touch, /tmp/marker], got []',
          '8:37: phases[5].rollback: must be a list: the program and its arguments, e.g. [systemctl, restart, docker] (arguments never pass through a shell; write shell: true to run a command line with sh -c), got "rm -f x"',
        ],
      },
      {
        name: 'env, ids and descriptions',
        lines: [
          'description: d',
          'phases:',
          '  - { id: a, run: [echo], env: { 1BAD: x, OK: [1] } }',
          '  - { id: /b, run: [echo] }',
          '  - { run: [echo] }',
          '  - { id: c, description: 7, run: [echo] }',
        ],
        expect: [
          '3:34: phases[0].env.1BAD: invalid key: not a valid variable name (letters, digits and _, not starting with a digit)',
          '3:47: phases[0].env.OK: must be a string, got [1]',
          '4:11: phases[1].id: must be one segment of letters, digits and ._- such as init or node-1 (no "/": the full id is made from the ids of its groups), got "/b"',
          '5:5: phases[2].id: required: one segment of letters, digits and ._- such as init or node-1 (no "/": the full id is made from the ids of its groups)',
          '6:27: phases[3].description: must be a one-line description, got 7',
        ],
      },
      {
        name: 'hooks: one of the manifest, and a manifest at all',
        lines: ['description: d', 'phases:', '  - { id: a, hook: backup }'],
        expect: ['3:20: phases[0].hook: not a hook of the application manifest /etc/gravity/app.yaml (its hooks: status, preUpdate), got "backup"'],
      },
      {
        name: 'hooks without a manifest',
        lines: ['description: d', 'phases:', '  - { id: a, hook: status }'],
        options: { members },
        expect: [`3:20: phases[0].hook: no application manifest is configured (the config's app: key), so there is no hook "status"`],
      },
      {
        name: 'the top level: description and phases required',
        lines: ['# nothing but a comment', 'other: 1'],
        expect: [
          '2:1: other: unknown key (allowed: description, phases)',
          '2:1: description: required: a one-line description of the operation',
          '2:1: phases: required: a list of phases, each with an id and an executor (run:, hook: or waitHealthy:) or phases of its own',
        ],
      },
      {
        name: 'YAML syntax errors and duplicate keys',
        lines: ['description: d', 'phases:', '  - id: a', '    id: b', '    run: [echo'],
        expect: ['4:5: phases[0].id: duplicate key (first at line 3): map keys must be unique', '6:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
      },
    ];
    for (const { name, lines, expect, options } of cases) {
      it(name, () => assert.deepEqual(problems(lines, options), expect));
    }
  });

  it('reports every mistake of a file at once, in file order', () => {
    const found = problems([
      'description: several mistakes', // 1
      'phases:', // 2
      '  - id: init', // 3
      '    run: [mkdir, work]', // 4
      '    node: node-7', // 5
      '  - id: masters', // 6
      '    requires: [/init, /nowhere]', // 7
      '    parallel: 0', // 8
      '    phases:', // 9
      '      - id: node-1', // 10
      '        requires: [node-2]', // 11
      '        run: [echo, one]', // 12
      '        retryBackoff: soon', // 13
      '      - id: node-2', // 14
      '        requires: [node-1]', // 15
      '        run: [echo, two]', // 16
      '      - id: node-1', // 17
      '        hook: status', // 18
      '  - id: finish', // 19
      '    colour: blue', // 20
    ]);
    assert.deepEqual(found, [
      '5:11: phases[0].node: not a cluster member (members: node-1, node-2), got "node-7"',
      '7:23: phases[1].requires[1]: names no phase: there is no /nowhere in this plan',
      '8:15: phases[1].parallel: must be a whole number from 1 to 1000, got 0',
      '11:20: phases[1].phases[0].requires[0]: cycle in requires: /masters/node-1 -> /masters/node-2 -> /masters/node-1',
      '13:23: phases[1].phases[0].retryBackoff: must be a duration from 0ms to 1h, such as 500ms, 30s, 2m, 1h or 7d, got "soon"',
      '17:13: phases[1].phases[2].id: duplicate id /masters/node-1 (first at line 10)',
      '19:5: phases[2]: a leaf needs exactly one executor: run: [program, args...], hook: NAME or waitHealthy: {}',
      `20:5: phases[2].colour: unknown key (allowed: ${planFileKeys.phase.join(', ')})`,
    ]);
  });

  it('refuses a file it cannot read with E_FILE_UNREADABLE', () => {
    const error = failure(() => loadPlanFile(join(dir, 'absent.yaml'), { members }));
    assert.equal(error.code, 'E_FILE_UNREADABLE');
    assert.match(error.message, /no such file/u);
  });

  describe('limits', () => {
    it('refuses durations past their range at their place', () => {
      assert.deepEqual(
        problems([
          'description: long waits',
          'phases:',
          '  - { id: a, run: [sleep, "1"], timeout: 30d }',
          '  - { id: b, run: [sleep, "1"], retryBackoff: 25d }',
          '  - { id: c, waitHealthy: { timeout: 9007199254740993s } }',
        ]),
        [
          '3:42: phases[0].timeout: must be a duration from 1ms to 7d, got "30d"',
          '4:47: phases[1].retryBackoff: must be a duration from 0ms to 1h, got "25d"',
          '5:38: phases[2].waitHealthy.timeout: must be a duration from 1s to 7d, such as 500ms, 30s, 2m, 1h or 7d, got "9007199254740993s"',
        ],
      );
    });

    it('refuses a description over 1024 characters without echoing it', () => {
      const [line, ...rest] = problems([`description: ${'d'.repeat(2000)}`, 'phases:', '  - { id: a, run: ["true"] }']);
      assert.deepEqual(rest, []);
      assert.equal(line, `1:14: description: must be at most 1024 characters long, got "${'d'.repeat(78)}…" (2000 chars)`);
      const [huge] = problems([`description: ${'d'.repeat(50_000_0)}`, 'phases:', '  - { id: a, run: ["true"] }']);
      assert.equal(huge, `1:14: description: must be at most 4096 characters long, got "${'d'.repeat(78)}…" (500000 chars)`);
    });

    it('refuses a command argument over 4096 characters', () => {
      assert.deepEqual(
        problems(['description: d', 'phases:', `  - { id: a, run: ["echo", ${'x'.repeat(5000)}] }`]).map((line) => line.replace(/, got .*/u, '')),
        ['3:28: phases[0].run[1]: must be at most 4096 characters long'],
      );
    });

    it('refuses a plan file over 1 MiB, naming the limit', () => {
      const file = write(['description: big', 'phases:', '  - { id: a, run: ["true"] }', `# ${'x'.repeat(1024 * 1024)}`]);
      const error = failure(() => loadPlanFile(file, { members, app }));
      assert.equal(error.code, 'E_FILE_TOO_LARGE');
      assert.equal(error.message, `plan file ${file} is larger than 1 MiB`);
    });

    it('refuses /dev/zero and a directory without reading them', () => {
      const zero = failure(() => loadPlanFile('/dev/zero', { members, app }));
      assert.equal(zero.code, 'E_FILE_UNREADABLE');
      assert.match(zero.message, /plan file \/dev\/zero: not a regular file/u);
      assert.match(failure(() => loadPlanFile(dir, { members, app })).message, /is a directory/u);
    });

    it('refuses an alias bomb as a user error at its first alias', () => {
      const file = join(dir, 'bomb.yaml');
      writeFileSync(file, aliasBomb('description'));
      const error = failure(() => loadPlanFile(file, { members, app }));
      assert.equal(error.code, 'E_PLAN_INVALID');
      assert.equal(error.details.length, 1);
      assert.match(error.details[0] ?? '', /^.*bomb\.yaml:2:10: too many aliases/u);
    });

    it('refuses 100,000 nested [ as too deep, with a place', () => {
      const file = join(dir, 'deep.yaml');
      writeFileSync(file, deepFlow('phases', 100_000, true));
      const error = failure(() => loadPlanFile(file, { members, app }));
      assert.equal(error.code, 'E_PLAN_INVALID');
      assert.match(error.details[0] ?? '', /deep\.yaml:1:\d+: nested too deeply: at most 64 levels/u);
    });

    it('lists at most 20 problems of a garbage file and counts the rest in one line', () => {
      const file = join(dir, 'garbage.yaml');
      writeFileSync(file, Buffer.from(garbage(3, 300_000), 'latin1'));
      const error = failure(() => loadPlanFile(file, { members, app }));
      assert.equal(error.code, 'E_PLAN_INVALID');
      assert.ok(error.details.length <= 21, `${error.details.length} lines`);
      assert.ok(error.details.join('\n').length < 21 * (file.length + 400), 'the listing is not a screenful');
      const many = failure(() => loadPlanFile(write(['description: d', 'phases:', ...Array.from({ length: 40 }, (_, index) => `  - { id: p${index}, colour: red }`)]), { members, app }));
      assert.equal(many.details.length, 21);
      assert.match(many.message, / 80 problem/u);
      assert.equal(many.details[20], '… and 60 more problems (fix these first)');
    });
  });

  describe('the worked example of docs/plans.md', () => {
    const exampleFile = new URL('../../docs/examples/plan.yaml', import.meta.url).pathname;
    const docsFile = new URL('../../docs/plans.md', import.meta.url).pathname;

    it('loads, with three groups of marker-writing leaves that undo themselves', () => {
      const { description, plan: root } = loadPlanFile(exampleFile, { members: [] });
      assert.ok(description.length > 0);
      assert.deepEqual(root.phases.map((phase) => phase.id), ['/prepare', '/install', '/finish']);
      for (const group of root.phases) assert.ok(group.phases.length > 0, group.id);
      for (const leaf of leaves(root)) {
        assert.equal(leaf.executor?.kind, 'run', leaf.id);
        if (leaf.id !== '/finish/check') assert.ok(leaf.executor.rollback !== undefined, `${leaf.id} has a rollback`);
      }
    });

    it('is shown in full in docs/plans.md, and every key is documented there', () => {
      const docs = readFileSync(docsFile, 'utf8');
      const example = readFileSync(exampleFile, 'utf8');
      assert.ok(docs.includes(`\`\`\`yaml\n${example}\`\`\``), 'docs/plans.md shows docs/examples/plan.yaml verbatim');
      for (const key of [...planFileKeys.plan, ...planFileKeys.phase, ...planFileKeys.waitHealthy]) {
        assert.ok(docs.includes(`| \`${key}\``), `docs/plans.md documents ${key} in a table`);
      }
    });
  });
});
