// Property-based tests of the loaders of user files: the config, the application manifest, plan
// files, supervision tree specs and durations. Whatever the text (arbitrary strings, YAML-ish token
// soup, generated documents with the real keys, mutations of valid files), a loader either returns
// a result or throws a GravityError of a user kind whose message or every listed problem names the
// file (with line and column where there is one), quickly. Never an internal error, another
// exception, or a hang.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadAppManifest } from '../../src/config/app-manifest.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AppManifest } from '../../src/config/types.ts';
import { maxDurationMs, parseDuration } from '../../src/duration.ts';
import { isGravityError } from '../../src/errors.ts';
import { loadPlanFile } from '../../src/plan/plan-file.ts';
import { loadSupervisorSpecFile } from '../../src/supervisor/spec-file.ts';

/** Each input gets this long, measured on its own; the whole file stays well under 30 s. */
const deadlineMs = 2000;
const numRuns = Number(process.env.FUZZ_RUNS ?? 150);

const app: AppManifest = {
  path: '/etc/gravity/app.yaml',
  hooks: { status: { command: ['true'], env: {}, activeDeadlineSeconds: 30, restartPolicy: 'Never', backoffLimit: 0 } },
};

const validConfig = [
  'cluster: { name: prod }',
  'node:',
  '  name: node-1',
  '  role: master',
  '  advertiseAddr: 10.0.0.1',
  'health: { listen: "127.0.0.1:7575" }',
  'panel: { listen: ":3009", enabled: false }',
  'statusHook: { interval: 30s }',
  'history: { retention: 7d }',
  'probes:',
  '  - checker: tcp',
  '    address: 127.0.0.1:80',
  '    interval: 10s',
  '    timeout: 2s',
  '    failuresBeforeFailed: 3',
  '  - { checker: load, name: load, interval: 1m, severity: warning }',
  '',
].join('\n');

const validManifest = [
  'name: shop',
  'version: "1.2.0"',
  'hooks:',
  '  status:',
  '    job:',
  '      command: [/usr/local/bin/check, --quick]',
  '      env: { MODE: fast, LEVEL: 2 }',
  '      activeDeadlineSeconds: 30',
  '      restartPolicy: OnFailure',
  '      backoffLimit: 2',
  '',
].join('\n');

const validPlan = readFileSync(new URL('../../docs/examples/plan.yaml', import.meta.url), 'utf8');

const validSpec = ['intensity: 3', 'period: 5', 'children:', '  - id: a', '    start: { actor: idle }', ''].join('\n');

/** Keys the loaders know, so that generated documents reach past the unknown-key check. */
const knownKeys = [
  ...['cluster', 'node', 'name', 'role', 'advertiseAddr', 'stateDir', 'health', 'panel', 'listen', 'enabled', 'app', 'statusHook', 'interval', 'history', 'retention', 'probes'],
  ...['checker', 'timeout', 'failuresBeforeFailed', 'successesBeforeRunning', 'severity', 'address', 'url', 'path', 'peers', 'maxDrift'],
  ...['version', 'hooks', 'status', 'job', 'command', 'env', 'workingDir', 'activeDeadlineSeconds', 'restartPolicy', 'backoffLimit'],
  ...['description', 'phases', 'id', 'requires', 'parallel', 'run', 'hook', 'waitHealthy', 'rollback', 'shell', 'retries', 'retryBackoff'],
  ...['intensity', 'period', 'children', 'start', 'actor', 'supervisor', 'restart', 'shutdown'],
  ...['__proto__', 'constructor', 'toString', '<<'],
];
const scalars = ['tcp', 'load', 'http', 'time-drift', '30d', '25d', '1s', '0s', '9007199254740993s', '1e308', 'master', '127.0.0.1:80', 'status', 'idle', '/a/b', 'true', '-1', '1h30m'];

const scalarArb = fc.oneof(
  fc.constantFrom(...scalars),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ minLength: 4000, maxLength: 5000 }).map((text) => text.slice(0, 4100)),
);
const keyArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...knownKeys) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
const { document } = fc.letrec((tie) => ({
  document: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, tie('list'), tie('map')),
  list: fc.array(tie('document'), { maxLength: 5 }),
  map: fc.dictionary(keyArb, tie('document'), { maxKeys: 6 }),
}));
const documentText = fc.oneof(document, fc.dictionary(keyArb, document, { maxKeys: 8 })).map((value) => stringify(value));

const tokens = ['[', ']', '{', '}', '&a ', '*a', ': ', '- ', '\n', '  ', '# c', '"', "'", '|', '>', '? ', ', ', '<<: ', '!!str ', '%YAML 1.2\n', '---\n', '...\n', '\t', '\u0000', '\uFEFF', ...knownKeys, ...scalars];
const tokenSoup = fc.array(fc.constantFrom(...tokens), { maxLength: 200 }).map((parts) => parts.join(''));

/** Edits of a valid file: characters inserted, deleted or replaced, lines repeated or dropped. */
function mutated(valid: string): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'repeat-line', 'drop-line'), fc.constantFrom(...tokens, 'x', '0', ' '));
  return fc.array(edit, { minLength: 1, maxLength: 8 }).map((edits) => {
    let text = valid;
    for (const [at, kind, token] of edits) {
      const position = text.length === 0 ? 0 : at % text.length;
      const lines = text.split('\n');
      const line = lines.length === 0 ? 0 : at % lines.length;
      if (kind === 'insert') text = text.slice(0, position) + token + text.slice(position);
      else if (kind === 'delete') text = text.slice(0, position) + text.slice(position + 1 + (at % 5));
      else if (kind === 'replace') text = text.slice(0, position) + token + text.slice(position + token.length);
      else if (kind === 'repeat-line') text = [...lines.slice(0, line + 1), lines[line] ?? '', ...lines.slice(line + 1)].join('\n');
      else text = [...lines.slice(0, line), ...lines.slice(line + 1)].join('\n');
    }
    return text;
  });
}

function inputs(valid: string): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), tokenSoup, documentText, mutated(valid));
}

describe('config/fuzz: the loaders of user files', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-fuzz-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `text`, loads it, and checks the outcome: a result, or a placed user error, in time. */
  function check(name: string, text: string, load: (file: string) => unknown): void {
    const file = join(dir, name);
    writeFileSync(file, text);
    const started = performance.now();
    try {
      load(file);
    } catch (error) {
      if (!isGravityError(error)) assert.fail(`not a GravityError: ${String((error as Error).stack ?? error)}\ninput: ${JSON.stringify(text)}`);
      assert.equal(error.userError, true, `${error.code}: ${error.message}\ninput: ${JSON.stringify(text)}`);
      assert.notEqual(error.code, 'E_INTERNAL');
      if (error.details.length === 0) {
        assert.ok(error.message.includes(file), `the message names no file: ${error.message}`);
      }
      for (const detail of error.details) {
        if (detail.startsWith('… and ')) continue;
        // A config's problems are in the config or in the manifest its app: key names.
        assert.ok(detail.startsWith(`${file}:`) || /^\S+?:\d+:\d+: /u.test(detail), `not placed: ${detail}\ninput: ${JSON.stringify(text)}`);
        assert.ok(detail.length < file.length + 600, `a long problem: ${detail.slice(0, 300)}…`);
      }
      assert.ok(error.details.length <= 21, `${error.details.length} problems listed`);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < deadlineMs, `took ${Math.round(elapsed)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  }

  it('the config loader', () => {
    fc.assert(
      fc.property(inputs(validConfig), (text) => check('gravity.yaml', text, (file) => loadConfig({ configPath: file, explicit: true, hostname: 'host-1' }))),
      { numRuns },
    );
  });

  it('the application manifest loader', () => {
    fc.assert(fc.property(inputs(validManifest), (text) => check('app.yaml', text, (file) => loadAppManifest(file))), { numRuns });
  });

  it('the plan file loader', () => {
    fc.assert(fc.property(inputs(validPlan), (text) => check('plan.yaml', text, (file) => loadPlanFile(file, { members: ['node-1', 'node-2'], app }))), { numRuns });
  });

  it('the supervision tree spec loader', () => {
    fc.assert(fc.property(inputs(validSpec), (text) => check('tree.yaml', text, (file) => loadSupervisorSpecFile(file))), { numRuns });
  });

  it('the valid files it mutates are valid', () => {
    check('gravity.yaml', validConfig, (file) => loadConfig({ configPath: file, explicit: true, hostname: 'host-1' }));
    writeFileSync(join(dir, 'valid-app.yaml'), validManifest);
    assert.equal(loadAppManifest(join(dir, 'valid-app.yaml')).hooks.status?.backoffLimit, 2);
    writeFileSync(join(dir, 'valid-plan.yaml'), validPlan);
    assert.ok(loadPlanFile(join(dir, 'valid-plan.yaml'), { members: ['node-1', 'node-2'], app }).plan.phases.length > 0);
  });

  it('parseDuration: any text is a whole number of ms within the limit, or not a duration', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), tokenSoup, fc.stringMatching(/^(\d{1,20}(\.\d{1,12})?(ms|s|m|h|d)){1,4}$/u)), (text) => {
        const ms = parseDuration(text);
        assert.ok(ms === undefined || (Number.isSafeInteger(ms) && ms >= 0 && ms <= maxDurationMs), `${JSON.stringify(text)} -> ${ms}`);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]), (count, [unit, size]) => {
        assert.equal(parseDuration(`${count}${unit}`), count * size <= maxDurationMs ? count * size : undefined);
      }),
      { numRuns: 200 },
    );
  });
});
