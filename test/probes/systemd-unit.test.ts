// The systemd-unit checker: on this host systemd is not PID 1, which must be said plainly; the
// systemctl path runs against a stand-in systemctl (a real script) in a temp dir that plays systemd's
// run directory, so the parsing of is-active and show is exercised with real processes.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkUnit, fullUnitName, systemdUnitChecker } from '../../src/probes/systemd-unit.ts';
import type { SystemdHost } from '../../src/probes/systemd-unit.ts';
import { assertProblems, mustCompile, runCheck, tempDir } from './helpers.ts';
import type { BadConfig, TempDir } from './helpers.ts';

describe('systemd-unit checker', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('systemd');
  });
  after(() => dir.remove());

  it('adds .service to a bare unit name', () => {
    assert.equal(fullUnitName('docker'), 'docker.service');
    assert.equal(fullUnitName('var-lib.mount'), 'var-lib.mount');
    assert.equal(fullUnitName('getty@tty1'), 'getty@tty1.service');
    assert.equal(fullUnitName('my.app'), 'my.app.service');
    assert.deepEqual(mustCompile(systemdUnitChecker, { unit: 'docker' }), { unit: 'docker.service' });
  });

  it('says that systemd is not running where PID 1 is something else', async function () {
    if (existsSync('/run/systemd/system')) this.skip();
    const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
    const result = await runCheck(systemdUnitChecker, mustCompile(systemdUnitChecker, { unit: 'docker' }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error, `systemd is not running on this host (PID 1 is ${pid1})`);
  });

  describe('with systemctl', () => {
    let host: SystemdHost;
    const context = (timeoutMs = 2000): { signal: AbortSignal; timeoutMs: number; stateDir: string } => ({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, stateDir: dir.path });

    before(() => {
      const runDir = join(dir.path, 'run-systemd-system');
      mkdirSync(runDir);
      const systemctl = join(dir.path, 'systemctl');
      // is-active prints the state and exits 0 only when active; show prints properties.
      writeFileSync(
        systemctl,
        `#!/bin/sh
unit="$3"; [ "$1" = show ] && unit="$4"
case "$unit" in
  good.service) state=active; sub=running; result=success; load=loaded ;;
  crashed.service) state=failed; sub=failed; result=exit-code; load=loaded ;;
  hang.service) sleep 30 ;;
  *) state=inactive; sub=dead; result=success; load=not-found ;;
esac
if [ "$1" = is-active ]; then echo "$state"; [ "$state" = active ]; exit $?; fi
printf 'LoadState=%s\\nActiveState=%s\\nSubState=%s\\nResult=%s\\n' "$load" "$state" "$sub" "$result"
`,
        { mode: 0o755 },
      );
      host = { runDir, systemctl, pid1CommFile: '/proc/1/comm' };
    });

    it('is running for an active unit', async () => {
      assert.deepEqual(await checkUnit({ unit: 'good.service' }, context(), host), { status: 'running' });
    });

    it('fails for a failed unit, with its result', async () => {
      assert.deepEqual(await checkUnit({ unit: 'crashed.service' }, context(), host), {
        status: 'failed',
        error: 'unit crashed.service is failed (result exit-code)',
      });
    });

    it('fails for a unit that does not exist', async () => {
      assert.deepEqual(await checkUnit({ unit: 'nothere.service' }, context(), host), {
        status: 'failed',
        error: 'unit nothere.service is inactive (no such unit, sub-state dead)',
      });
    });

    it('fails by its deadline when systemctl hangs', async () => {
      const started = Date.now();
      const result = await checkUnit({ unit: 'hang.service' }, context(300), host);
      assert.deepEqual(result, { status: 'failed', error: 'systemctl is-active hang.service timed out after 300ms' });
      assert.ok(Date.now() - started < 2000);
    });

    it('fails clearly when systemctl is missing', async () => {
      const result = await checkUnit({ unit: 'good.service' }, context(), { ...host, systemctl: join(dir.path, 'no-systemctl') });
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /^cannot run .*no-systemctl: no such file or directory/);
    });
  });

  const bad: BadConfig[] = [
    { name: 'a missing unit', raw: {}, problems: [/^probes\[0\]\.unit: required: a unit name/] },
    { name: 'a unit with a space', raw: { unit: 'my app' }, problems: [/^probes\[0\]\.unit: must be a unit name .*got "my app"$/] },
    { name: 'a unit with a slash', raw: { unit: '../etc' }, problems: [/^probes\[0\]\.unit: /] },
  ];
  for (const entry of bad) it(`refuses ${entry.name}`, () => assertProblems(systemdUnitChecker, entry));
});
