// What --no-block prints: where the operation runs, its log, and how to follow it.

import assert from 'node:assert/strict';
import { backgroundReport, formatBackgroundReport } from '../../src/system/background-report.ts';

describe('system/background-report', () => {
  it('a detached process: its pid, its log, and the follow command with the location flags', () => {
    const report = backgroundReport({ via: 'detached', pid: 4242, logFile: '/s/logs/operation-a1.log', lockTaken: true }, 'a1', ['--state-dir', '/s', '--config', '/etc/my gravity.yaml']);
    assert.equal(report.follow, "gravity plan --follow --operation-id a1 --state-dir /s --config '/etc/my gravity.yaml'");
    assert.equal(
      formatBackgroundReport(report),
      'operation a1 runs in the background (pid 4242)\n' +
        'log:     /s/logs/operation-a1.log\n' +
        "follow:  gravity plan --follow --operation-id a1 --state-dir /s --config '/etc/my gravity.yaml'\n",
    );
  });

  it('a transient unit: its name and the journal command', () => {
    const report = backgroundReport({ via: 'systemd', unit: 'gravity-resume.service', command: 'systemd-run ...' }, 'a1', ['--state-dir', '/var/lib/gravity']);
    assert.deepEqual(report, {
      operation: 'a1',
      via: 'systemd',
      pid: null,
      unit: 'gravity-resume.service',
      log: null,
      follow: 'gravity plan --follow --operation-id a1 --state-dir /var/lib/gravity',
      journal: 'journalctl -u gravity-resume -f',
      exitCode: null,
    });
    assert.match(formatBackgroundReport(report), /^operation a1 runs in the background as gravity-resume\.service\n.*\njournal: journalctl -u gravity-resume -f\n$/);
  });

  it('an operation that ended before the command returned says so', () => {
    const report = backgroundReport({ via: 'detached', pid: 7, logFile: '/l', lockTaken: false, exitCode: 0 }, 'a1', []);
    assert.match(formatBackgroundReport(report), /^operation a1 ran in the background and has already ended\n/);
  });
});
