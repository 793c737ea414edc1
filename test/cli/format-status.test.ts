// `gravity status` text against fixed ClusterReports: healthy, degraded by a failed probe, a failed
// warning probe, degraded by the status hook, an offline node; and the tabwriter alignment it uses.

import assert from 'node:assert/strict';
import type { SystemFactsResult } from '../../src/api/control-protocol.ts';
import { degradedReason, formatBytes, formatStatus, formatStatusText, nodeStatusText, tabwrite } from '../../src/cli/format-status.ts';
import type { ClusterReport, NodeReport, ProbeReport } from '../../src/health/types.ts';

const versions = { client: '0.1.0', server: '0.1.0' };

function probe(name: string, status: ProbeReport['status'], extra: Partial<ProbeReport> = {}): ProbeReport {
  return { name, checker: name, status, severity: 'critical', ...extra };
}

function node(name: string, addr: string, extra: Partial<NodeReport> = {}): NodeReport {
  return { name, addr, role: 'master', member: 'alive', status: 'running', probes: [probe('web', 'running'), probe('disk-space', 'running')], ...extra };
}

function cluster(extra: Partial<ClusterReport> = {}): ClusterReport {
  return {
    name: 'prod',
    status: 'running',
    application: { name: 'shop', version: '1.2.3' },
    nodes: [node('node-1', '10.0.0.1'), node('node-2', '10.0.0.2', { role: 'node' })],
    time: Date.UTC(2020, 1, 18, 21, 37, 7),
    ...extra,
  };
}

const refused = 'dial tcp 127.0.0.1:8080: connect: connection refused';

describe('cli/format-status', () => {
  it('a healthy cluster', () => {
    assert.equal(
      formatStatusText(cluster(), versions),
      [
        'Cluster name:     prod',
        'Cluster status:   active',
        'Application:      shop, version 1.2.3',
        'Gravity version:  0.1.0 (client) / 0.1.0 (server)',
        'Cluster nodes:',
        '    Masters:',
        '        * node-1 / 10.0.0.1',
        '            Status:  healthy',
        '    Nodes:',
        '        * node-2 / 10.0.0.2',
        '            Status:  healthy',
        '',
      ].join('\n'),
    );
  });

  it('degraded by a failed probe: the node is degraded and the probe marked [×] with its error', () => {
    const report = cluster({
      status: 'degraded',
      nodes: [node('node-1', '10.0.0.1', { status: 'degraded', probes: [probe('web', 'failed', { checker: 'tcp', error: refused }), probe('disk-space', 'running')] })],
    });
    assert.equal(
      formatStatusText(report, versions),
      [
        'Cluster name:     prod',
        'Cluster status:   degraded (one or more of cluster nodes are not healthy)',
        'Application:      shop, version 1.2.3',
        'Gravity version:  0.1.0 (client) / 0.1.0 (server)',
        'Cluster nodes:',
        '    Masters:',
        '        * node-1 / 10.0.0.1',
        '            Status:  degraded',
        `            [×]      web (${refused})`,
        '',
      ].join('\n'),
    );
  });

  it('a failed warning probe is marked [!] after the critical ones, and does not by itself make the node degraded', () => {
    const report = cluster({
      nodes: [
        node('node-1', '10.0.0.1', {
          probes: [
            probe('disk-space', 'failed', { severity: 'warning', error: 'disk /var/lib/gravity is 85% full (warning at 80%)' }),
            probe('web', 'running'),
          ],
        }),
      ],
    });
    const text = formatStatusText(report, versions);
    assert.match(text, /^Cluster status: {3}active$/m);
    assert.ok(
      text.endsWith(['        * node-1 / 10.0.0.1', '            Status:  healthy', '            [!]      disk-space (disk /var/lib/gravity is 85% full (warning at 80%))', ''].join('\n')),
      text,
    );

    const both = cluster({
      status: 'degraded',
      nodes: [
        node('node-1', '10.0.0.1', {
          status: 'degraded',
          probes: [probe('disk-space', 'failed', { severity: 'warning', error: 'full' }), probe('web', 'failed', { error: refused }), probe('dns', 'failed')],
        }),
      ],
    });
    assert.ok(
      formatStatusText(both, versions).endsWith(
        ['            Status:  degraded', `            [×]      web (${refused})`, '            [×]      dns', '            [!]      disk-space (full)', ''].join('\n'),
      ),
    );
  });

  it('degraded by the status hook: the reason is shown, the nodes are healthy', () => {
    const report = cluster({ status: 'degraded', reason: 'application status check failed' });
    const text = formatStatusText(report, versions);
    assert.match(text, /^Cluster status: {3}degraded \(application status check failed\)$/m);
    assert.doesNotMatch(text, /\[×\]/);
    assert.equal(text.match(/Status: {2}healthy/g)?.length, 2);
    assert.equal(degradedReason(report), 'application status check failed');
  });

  it("a failing status hook: its message, then the end of its output under 'last output:'", () => {
    const report = cluster({
      status: 'degraded',
      reason: 'application status check failed',
      statusHook: { result: 'failed', message: 'hook status failed: exit code 3: db down', output: 'checking\ndb down' },
    });
    const lines = formatStatusText(report, versions).split('\n');
    const at = lines.indexOf('Status hook:      failed: hook status failed: exit code 3: db down');
    assert.ok(at > 0, lines.join('\n'));
    assert.deepEqual(lines.slice(at + 1, at + 4), ['                  last output:', '                    checking', '                    db down']);
    assert.match(lines[at + 4] ?? '', /^Gravity version: {2}0\.1\.0/);
    assert.match(formatStatusText(cluster({ statusHook: { result: 'passed' } }), versions), /^Status hook: {6}passed$/m);
    assert.doesNotMatch(formatStatusText(cluster(), versions), /Status hook/);
  });

  it('an offline node: a node that reports nothing, or whose member has failed', () => {
    const report = cluster({
      status: 'degraded',
      nodes: [node('node-1', '10.0.0.1'), node('node-2', '10.0.0.2', { role: 'node', status: 'unknown', probes: [] }), node('node-3', '', { role: 'node', member: 'failed' })],
    });
    assert.equal(
      formatStatusText(report, { client: '0.2.0' }),
      [
        'Cluster name:     prod',
        'Cluster status:   degraded (one or more of cluster nodes are not healthy)',
        'Application:      shop, version 1.2.3',
        'Gravity version:  0.2.0 (client) / n/a (server)',
        'Cluster nodes:',
        '    Masters:',
        '        * node-1 / 10.0.0.1',
        '            Status:  healthy',
        '    Nodes:',
        '        * node-2 / 10.0.0.2',
        '            Status:  offline',
        '        * node-3',
        '            Status:  offline',
        '',
      ].join('\n'),
    );
  });

  it('leaves out what is not known: no application, no version, no workers', () => {
    const text = formatStatusText(cluster({ application: undefined, nodes: [node('node-1', '10.0.0.1')] }), versions);
    assert.doesNotMatch(text, /Application:|Nodes:/);
    assert.match(text, /^Cluster name: {5}prod$/m);
    assert.match(formatStatusText(cluster({ application: { name: 'shop' } }), versions), /^Application: {6}shop$/m);
  });

  it('names node statuses as Gravity does', () => {
    assert.equal(nodeStatusText(node('n', 'a')), 'healthy');
    assert.equal(nodeStatusText(node('n', 'a', { status: 'degraded' })), 'degraded');
    assert.equal(nodeStatusText(node('n', 'a', { status: 'unknown' })), 'offline');
    assert.equal(nodeStatusText(node('n', 'a', { member: 'left' })), 'offline');
    assert.equal(nodeStatusText(node('n', 'a', { member: 'leaving' })), 'healthy');
    assert.equal(degradedReason(cluster()), undefined);
  });

  it('json is the ClusterReport', () => {
    const report = cluster({ status: 'degraded', reason: 'application status check failed' });
    assert.deepEqual(JSON.parse(formatStatus(report, versions, 'json')), report);
    assert.equal(formatStatus(report, versions, 'text'), formatStatusText(report, versions));
  });

  describe('tabwrite', () => {
    it('aligns a column over consecutive lines only, as Go tabwriter', () => {
      assert.deepEqual(tabwrite(['a:\t1', 'long key:\t2', 'break', 'b:\t3']), ['a:         1', 'long key:  2', 'break', 'b:  3']);
    });

    it('aligns nested columns within the runs of lines that have them', () => {
      assert.deepEqual(tabwrite(['a\tb\tc', 'aaa\tbbbb\tc', 'aa\tb'], 1), ['a   b    c', 'aaa bbbb c', 'aa  b']);
    });

    it('counts a character outside ASCII as one column', () => {
      assert.deepEqual(tabwrite(['[×]\tx', 'ab:\ty']), ['[×]  x', 'ab:  y']);
    });
  });

  describe('the System section', () => {
    const system: SystemFactsResult = {
      cpu: { count: 2, model: 'AMD EPYC 7B13' },
      memory: { total: 8 * 1024 ** 3, available: 3.25 * 1024 ** 3 },
      os: { distro: 'Ubuntu', release: '22.04.4 LTS', kernel: '5.15.0-105-generic' },
      disks: [
        { mount: '/', fs: '/dev/sda1', type: 'ext4', size: 50 * 1024 ** 3, used: 20 * 1024 ** 3, available: 27.5 * 1024 ** 3 },
        { mount: '/var/lib/gravity', fs: '/dev/sdb1', type: 'xfs', size: 2 * 1024 ** 4, used: 512 * 1024 ** 2, available: 2047.5 * 1024 ** 3 },
      ],
      disksTruncated: false,
      readAt: 1000,
    };

    it('follows the nodes: CPU count and model, memory, OS with its kernel, one aligned line per disk', () => {
      const text = formatStatusText(cluster({ nodes: [node('node-1', '10.0.0.1')] }), versions, system);
      assert.deepEqual(text.split('\n').slice(-9), [
        '            Status:  healthy',
        'System:',
        '    CPU:     2 × AMD EPYC 7B13',
        '    Memory:  3.3 GiB available of 8.0 GiB',
        '    OS:      Ubuntu 22.04.4 LTS (kernel 5.15.0-105-generic)',
        '    Disks:',
        '        /                 50.0 GiB  20.0 GiB used   27.5 GiB available',
        '        /var/lib/gravity  2.0 TiB   512.0 MiB used  2.0 TiB available',
        '',
      ]);
    });

    it('says when disks were left out, and shows control characters in the facts escaped', () => {
      const text = formatStatusText(cluster(), versions, { ...system, cpu: { count: 1, model: 'x\u001b[2J' }, disks: [], disksTruncated: true });
      assert.ok(text.includes('1 × x\\u001b[2J'), text);
      assert.doesNotMatch(text, /Disks:/);
      const more = formatStatusText(cluster(), versions, { ...system, disksTruncated: true });
      assert.ok(more.endsWith('        (more filesystems not shown)\n'), more);
    });

    it('--format json carries the facts as system; without them, the report alone', () => {
      const report = cluster();
      assert.deepEqual(JSON.parse(formatStatus(report, versions, 'json', system)), { ...report, system });
      assert.deepEqual(JSON.parse(formatStatus(report, versions, 'json')), report);
      assert.equal(formatStatus(report, versions, 'text', system), formatStatusText(report, versions, system));
    });

    it('formatBytes: whole bytes below 1 KiB, then one decimal in binary units', () => {
      assert.deepEqual([0, 1023, 1024, 1536, 5 * 1024 ** 2, 1024 ** 5 * 3].map(formatBytes), ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB', '3.0 PiB']);
    });
  });

  it('control characters in probe errors, names and the hook\'s output are shown escaped', () => {
    const hostile = 'x\u001b[31mred\u001b]0;title\u0007\rover\u009b2J';
    const shown = 'x\\u001b[31mred\\u001b]0;title\\u0007\\u000dover\\u009b2J';
    const report = cluster({
      status: 'degraded',
      reason: `application status check failed\u001b[2J`,
      statusHook: { result: 'failed', message: hostile, output: `one\n${hostile}` },
      nodes: [node('node-1', '10.0.0.1', { status: 'degraded', probes: [probe(`web\u009b`, 'failed', { error: hostile })] })],
    });
    const text = formatStatusText(report, versions);
    assert.ok(text.includes(`[×]      web\\u009b (${shown})`), text);
    assert.ok(text.includes(`Status hook:      failed: ${shown}`), text);
    assert.ok(text.includes(`                    ${shown}\n`), text);
    assert.ok(text.includes('(application status check failed\\u001b[2J)'));
    // eslint-disable-next-line no-control-regex -- the point of the test
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
