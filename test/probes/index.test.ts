// The probe compiler: the settings every probe shares (name, interval with its 1 s floor, timeout not
// above the interval, flap-damping thresholds, severity), unknown checkers and keys, duplicate names,
// and every problem of a config reported at once. Also the registry that checkers.ts fills and the
// default probes an agent runs without a config.

import assert from 'node:assert/strict';
import { builtinCheckerIds, defaultProbeEntries, defaultProbes } from '../../src/probes/checkers.ts';
import { checkers, compileProbe, compileProbes } from '../../src/probes/index.ts';

const context = { stateDir: '/var/lib/gravity' };

function compileOne(raw: unknown): { problems: string[]; spec: ReturnType<typeof compileProbe> } {
  const problems: string[] = [];
  const spec = compileProbe(raw, 'probes[0]', problems, context);
  return { problems, spec };
}

describe('probe registry', () => {
  it('holds every built-in checker once checkers.ts is imported', () => {
    assert.deepEqual([...checkers.keys()].sort(), [...builtinCheckerIds].sort());
    assert.deepEqual([...builtinCheckerIds].sort(), [
      'command',
      'disk-space',
      'dns',
      'docker',
      'etcd-healthz',
      'http',
      'kube-apiserver',
      'load',
      'memory',
      'process',
      'sysctl',
      'systemd-unit',
      'tcp',
      'time-drift',
    ]);
    for (const checker of checkers.values()) {
      assert.ok(checker.description.length > 10, checker.id);
      for (const key of checker.keys) assert.ok(!['name', 'checker', 'interval', 'timeout', 'severity'].includes(key), `${checker.id}.${key} shadows a shared key`);
    }
  });
});

describe('compileProbe', () => {
  it('fills the shared settings with their defaults, the name with the checker id', () => {
    const { problems, spec } = compileOne({ checker: 'tcp', address: '127.0.0.1:8080' });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      { ...spec, source: undefined },
      {
        name: 'tcp',
        checker: 'tcp',
        intervalMs: 10_000,
        timeoutMs: 5000,
        failuresBeforeFailed: 1,
        successesBeforeRunning: 1,
        severity: 'critical',
        config: { address: { host: '127.0.0.1', port: 8080 } },
        source: undefined,
      },
    );
  });

  it('takes every shared setting', () => {
    const { problems, spec } = compileOne({
      checker: 'http',
      name: 'web',
      url: 'http://127.0.0.1/',
      interval: '1s',
      timeout: '500ms',
      failuresBeforeFailed: 3,
      successesBeforeRunning: 2,
      severity: 'warning',
    });
    assert.deepEqual(problems, []);
    assert.equal(spec?.name, 'web');
    assert.equal(spec?.intervalMs, 1000);
    assert.equal(spec?.timeoutMs, 500);
    assert.equal(spec?.failuresBeforeFailed, 3);
    assert.equal(spec?.successesBeforeRunning, 2);
    assert.equal(spec?.severity, 'warning');
  });

  it('keeps the default timeout within a short interval', () => {
    assert.equal(compileOne({ checker: 'load', interval: '2s' }).spec?.timeoutMs, 2000);
  });

  const refused: { name: string; raw: unknown; problems: RegExp[] }[] = [
    { name: 'an interval of 0s', raw: { checker: 'load', interval: '0s' }, problems: [/^probes\[0\]\.interval: must be a duration from 1s to 24h, got "0s"$/] },
    { name: 'an interval of 500ms', raw: { checker: 'load', interval: '500ms' }, problems: [/^probes\[0\]\.interval: must be a duration from 1s to 24h, got "500ms"$/] },
    { name: 'an interval that is not a duration', raw: { checker: 'load', interval: 10 }, problems: [/^probes\[0\]\.interval: must be a duration/] },
    { name: 'a timeout over the interval', raw: { checker: 'load', interval: '1s', timeout: '2s' }, problems: [/^probes\[0\]\.timeout: must not exceed the interval/] },
    { name: 'a timeout over the default interval', raw: { checker: 'load', timeout: '1m' }, problems: [/^probes\[0\]\.timeout: must not exceed the interval/] },
    { name: 'an unknown checker', raw: { checker: 'ping', address: 'x:1' }, problems: [/^probes\[0\]\.checker: unknown checker "ping" \(known: command, disk-space, .*time-drift\)$/] },
    { name: 'no checker', raw: { address: '127.0.0.1:80' }, problems: [/^probes\[0\]\.checker: required: one of /] },
    { name: 'not a mapping', raw: 'tcp', problems: [/^probes\[0\]: must be a mapping/] },
    { name: 'a missing address', raw: { checker: 'tcp' }, problems: [/^probes\[0\]\.address: required: host:port/] },
    {
      name: 'an unknown key',
      raw: { checker: 'tcp', address: '127.0.0.1:80', adress: 'x', url: 'http://x/' },
      problems: [/^probes\[0\]\.adress: unknown key for checker tcp \(allowed: .*address\)$/, /^probes\[0\]\.url: unknown key for checker tcp/],
    },
    { name: 'zero failures', raw: { checker: 'load', failuresBeforeFailed: 0 }, problems: [/^probes\[0\]\.failuresBeforeFailed: must be a whole number from 1 to 100, got 0$/] },
    { name: 'fractional successes', raw: { checker: 'load', successesBeforeRunning: 1.5 }, problems: [/^probes\[0\]\.successesBeforeRunning: /] },
    { name: 'an unknown severity', raw: { checker: 'load', severity: 'major' }, problems: [/^probes\[0\]\.severity: must be critical or warning, got "major"$/] },
    { name: 'a bad name', raw: { checker: 'load', name: 'my probe' }, problems: [/^probes\[0\]\.name: must be 1-63 letters/] },
    {
      name: 'every mistake at once',
      raw: { checker: 'tcp', interval: '0s', timeout: 'soon', severity: 'high', failuresBeforeFailed: -1, port: 80 },
      problems: [/\.port: unknown key/, /\.interval: must be a duration from 1s to 24h/, /\.timeout: must be a duration/, /\.severity: /, /\.failuresBeforeFailed: /, /\.address: required/],
    },
  ];
  for (const { name, raw, problems: expected } of refused) {
    it(`refuses ${name}`, () => {
      const { problems, spec } = compileOne(raw);
      assert.equal(spec, undefined);
      assert.equal(problems.length, expected.length, JSON.stringify(problems));
      for (const pattern of expected) assert.ok(problems.some((problem) => pattern.test(problem)), `${String(pattern)} in ${JSON.stringify(problems)}`);
    });
  }
});

describe('compileProbes', () => {
  it('compiles a list, and an absent list to none', () => {
    const problems: string[] = [];
    assert.deepEqual(compileProbes(undefined, 'probes', problems, context), []);
    const specs = compileProbes(
      [
        { checker: 'tcp', name: 'web', address: '127.0.0.1:80' },
        { checker: 'tcp', name: 'db', address: '127.0.0.1:5432' },
      ],
      'probes',
      problems,
      context,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      specs.map((spec) => spec.name),
      ['web', 'db'],
    );
  });

  it('refuses something that is not a list', () => {
    const problems: string[] = [];
    compileProbes({ checker: 'tcp' }, 'probes', problems, context);
    assert.deepEqual(problems, ['probes: must be a list of probes']);
  });

  it('refuses two probes with the same name (also the default name)', () => {
    const problems: string[] = [];
    compileProbes(
      [
        { checker: 'tcp', address: '127.0.0.1:80' },
        { checker: 'tcp', address: '127.0.0.1:81' },
      ],
      'probes',
      problems,
      context,
    );
    assert.deepEqual(problems, ['probes[1].name: another probe is already named "tcp"']);
  });

  it('reports every problem of every entry at once', () => {
    const problems: string[] = [];
    const specs = compileProbes(
      [
        { checker: 'nope' },
        { checker: 'tcp', interval: '0s' },
        { checker: 'http', url: 'http://x/', interval: '1s', timeout: '5s' },
        { checker: 'disk-space', criticalPercent: 150 },
        { checker: 'load', name: 'cpu' },
        { checker: 'load', name: 'cpu' },
      ],
      'probes',
      problems,
      context,
    );
    assert.deepEqual(specs.map((spec) => spec.name), ['cpu']);
    const expected = [
      /^probes\[0\]\.checker: unknown checker "nope"/,
      /^probes\[1\]\.interval: must be a duration from 1s to 24h/,
      /^probes\[1\]\.address: required/,
      /^probes\[2\]\.timeout: must not exceed the interval/,
      /^probes\[3\]\.criticalPercent: must be a percentage/,
      /^probes\[5\]\.name: another probe is already named "cpu"$/,
    ];
    assert.equal(problems.length, expected.length, JSON.stringify(problems));
    expected.forEach((pattern, index) => assert.match(problems[index] ?? '', pattern));
  });
});

describe('default probes', () => {
  it('watch the state dir at both thresholds, memory and load', () => {
    const probes = defaultProbes('/srv/gravity');
    assert.deepEqual(
      probes.map((probe) => [probe.name, probe.checker, probe.severity]),
      [
        ['disk-space', 'disk-space', 'critical'],
        ['disk-space-warning', 'disk-space', 'warning'],
        ['memory', 'memory', 'warning'],
        ['load', 'load', 'warning'],
      ],
    );
    assert.deepEqual(probes[0]?.config, { path: '/srv/gravity', threshold: 'critical', thresholdPercent: 90 });
    assert.deepEqual(probes[1]?.config, { path: '/srv/gravity', threshold: 'warning', thresholdPercent: 80 });
  });

  it('add time drift once there are peers', () => {
    assert.equal(defaultProbeEntries('/srv/gravity', { peers: [] }).length, 4);
    const probes = defaultProbes('/srv/gravity', { peers: ['10.0.0.2:7575'] });
    assert.equal(probes.at(-1)?.checker, 'time-drift');
    assert.deepEqual((probes.at(-1)?.config as { peers: string[] }).peers, ['10.0.0.2:7575']);
  });
});
