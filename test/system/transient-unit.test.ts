// The transient unit of a background operation: systemd-run's arguments and the unit file they amount
// to come from one list of settings, and that unit passes `systemd-analyze verify`.

import assert from 'node:assert/strict';
import { systemdRunArgs, transientUnitText } from '../../src/system/transient-unit.ts';
import type { TransientUnit } from '../../src/system/transient-unit.ts';
import { systemdAnalyzeAvailable, verifyUnit } from './verify-unit.ts';

const unit: TransientUnit = {
  name: 'gravity-resume',
  description: 'gravity: resume operation 0f3c',
  command: [process.execPath, '/opt/gravity/dist/src/cli/main.js', 'plan', 'resume', '--operation-id', '0f3c', '--state-dir', '/var/lib/gravity'],
};

describe('system/transient-unit', () => {
  it('runs systemd-run with a fixed unit name, --collect, Type=exec, and the command after --', () => {
    const args = systemdRunArgs(unit);
    assert.equal(args[0], '--unit=gravity-resume');
    assert.ok(args.includes('--collect'));
    assert.ok(args.includes('--property=Type=exec'));
    assert.ok(args.includes('--property=KillMode=mixed'));
    assert.ok(args.includes('--description=gravity: resume operation 0f3c'));
    const separator = args.indexOf('--');
    assert.deepEqual(args.slice(separator + 1), unit.command);
  });

  it('amounts to a unit with the same settings', () => {
    const text = transientUnitText(unit);
    for (const arg of systemdRunArgs(unit).filter((arg) => arg.startsWith('--property='))) {
      assert.ok(text.includes(`\n${arg.slice('--property='.length)}\n`), `${arg} in\n${text}`);
    }
    assert.match(text, /^ExecStart=\S+ \/opt\/gravity\/dist\/src\/cli\/main\.js plan resume --operation-id 0f3c --state-dir \/var\/lib\/gravity$/m);
  });

  it('passes systemd-analyze verify', function () {
    if (!systemdAnalyzeAvailable()) this.skip();
    this.timeout(20_000);
    const verdict = verifyUnit('gravity-resume.service', transientUnitText(unit));
    assert.equal(verdict.said, '', verdict.said);
    assert.equal(verdict.code, 0);
  });
});
