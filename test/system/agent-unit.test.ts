// gravity-agent.service as text: every setting the docs promise, the state dir as StateDirectory= or
// ReadWritePaths=, no private /tmp when gravity's files live there, restart backoff only on a systemd
// that has it, the numbers' claims (stop timeout covers the agent's shutdown, a crash loop never hits
// the start limit), quoting of odd paths, and `systemd-analyze verify` passing on every variant.

import assert from 'node:assert/strict';
import { agentUnitName, agentUnitSections, agentUnitTiming, renderAgentUnit, restartBackoffSince } from '../../src/system/agent-unit.ts';
import type { AgentUnitOptions } from '../../src/system/agent-unit.ts';
import { parseDuration } from '../../src/duration.ts';
import { isGravityError } from '../../src/errors.ts';
import { systemdAnalyzeAvailable, verifyUnit } from './verify-unit.ts';

const node = process.execPath;
const base: AgentUnitOptions = { command: [node, '/opt/gravity/dist/src/cli/main.js'], stateDir: '/var/lib/gravity', configFile: '/etc/gravity/gravity.yaml' };

/** The unit's settings as `Section.Key` → values. */
function settings(options: AgentUnitOptions): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const section of agentUnitSections(options)) {
    for (const [key, value] of section.settings) map.set(`${section.name}.${key}`, [...(map.get(`${section.name}.${key}`) ?? []), value]);
  }
  return map;
}

function one(map: Map<string, string[]>, key: string): string | undefined {
  const values = map.get(key);
  assert.ok(values === undefined || values.length === 1, `${key} set more than once`);
  return values?.[0];
}

describe('system/agent-unit', () => {
  it('is a Type=notify service with the watchdog, restart on failure, and a stop timeout', () => {
    const unit = settings(base);
    assert.equal(one(unit, 'Service.Type'), 'notify');
    assert.equal(one(unit, 'Service.NotifyAccess'), 'main');
    assert.equal(one(unit, 'Service.ExecStart'), `${node} /opt/gravity/dist/src/cli/main.js start --foreground --state-dir /var/lib/gravity --config /etc/gravity/gravity.yaml`);
    assert.equal(one(unit, 'Service.Restart'), 'on-failure');
    assert.equal(one(unit, 'Service.RestartSec'), '5s');
    assert.equal(one(unit, 'Service.WatchdogSec'), '30s');
    assert.equal(one(unit, 'Service.TimeoutStopSec'), '45s');
    assert.equal(one(unit, 'Service.KillMode'), 'mixed');
    assert.equal(one(unit, 'Unit.StartLimitIntervalSec'), '60s');
    assert.equal(one(unit, 'Unit.StartLimitBurst'), '15');
    assert.equal(one(unit, 'Install.WantedBy'), 'multi-user.target');
    assert.equal(agentUnitName, 'gravity-agent.service');
  });

  it('keeps its numbers honest: the stop timeout covers the agent shutdown; a crash loop never reaches the start limit', () => {
    const unit = settings(base);
    const stopMs = parseDuration(one(unit, 'Service.TimeoutStopSec') ?? '') ?? 0;
    assert.ok(stopMs > 30_000, 'runAgent gives its tree 30 s to stop; systemd must wait longer');
    // The fastest a crash loop can start: one start per RestartSec. Within the interval that is fewer than the burst.
    const starts = Math.ceil(agentUnitTiming.startLimitIntervalSec / agentUnitTiming.restartSec) + 1;
    assert.ok(starts < agentUnitTiming.startLimitBurst, `${starts} starts per ${agentUnitTiming.startLimitIntervalSec}s must stay under the burst`);
    // And the default limit (5 in 10 s with 100 ms restarts) gives up after half a second: not ours.
    assert.ok(agentUnitTiming.restartSec >= 1);
  });

  it('lets systemd own a state dir below /var/lib (StateDirectory=), and opens any other one (ReadWritePaths=)', () => {
    const own = settings(base);
    assert.equal(one(own, 'Service.StateDirectory'), 'gravity');
    assert.equal(one(own, 'Service.StateDirectoryMode'), '0700');
    assert.equal(one(own, 'Service.ReadWritePaths'), undefined);

    const nested = settings({ ...base, stateDir: '/var/lib/gravity/node-1/' });
    assert.equal(one(nested, 'Service.StateDirectory'), 'gravity/node-1');

    const elsewhere = settings({ ...base, stateDir: '/srv/gravity' });
    assert.equal(one(elsewhere, 'Service.StateDirectory'), undefined);
    assert.equal(one(elsewhere, 'Service.ReadWritePaths'), '/srv/gravity');
  });

  it('hardens what does not break probes and hooks, and keeps /tmp shared when gravity lives there', () => {
    // A node binary of its own, not the one running the tests: that one may itself live in /tmp.
    const installed: AgentUnitOptions = { ...base, command: ['/usr/bin/node', '/opt/gravity/dist/src/cli/main.js'] };
    const unit = settings(installed);
    for (const [key, value] of [
      ['ProtectSystem', 'full'],
      ['ProtectHome', 'read-only'],
      ['PrivateTmp', 'yes'],
      ['NoNewPrivileges', 'yes'],
    ]) {
      assert.equal(one(unit, `Service.${key ?? ''}`), value, key);
    }
    // Probes read /proc, run commands and connect to ports: none of these may appear.
    for (const key of ['PrivateNetwork', 'ProtectProc', 'MemoryDenyWriteExecute', 'PrivateDevices', 'SystemCallFilter', 'IPAddressDeny']) {
      assert.equal(one(unit, `Service.${key}`), undefined, key);
    }
    const inTmp = settings({ ...installed, stateDir: '/tmp/gravity-state', configFile: '/tmp/gravity.yaml' });
    assert.equal(one(inTmp, 'Service.PrivateTmp'), undefined);
    const nodeInTmp = settings({ ...installed, command: ['/tmp/node-v24/bin/node', '/opt/gravity/dist/src/cli/main.js'] });
    assert.equal(one(nodeInTmp, 'Service.PrivateTmp'), undefined);
  });

  it('has restart backoff (RestartSteps=, RestartMaxDelaySec=) only on a systemd that knows it', () => {
    const old = settings({ ...base, systemdVersion: restartBackoffSince - 2 });
    assert.equal(one(old, 'Service.RestartSteps'), undefined);
    assert.equal(one(old, 'Service.RestartMaxDelaySec'), undefined);
    const current = settings({ ...base, systemdVersion: restartBackoffSince });
    assert.equal(one(current, 'Service.RestartSteps'), '5');
    assert.equal(one(current, 'Service.RestartMaxDelaySec'), '120s');
  });

  it('quotes paths with spaces and escapes % and $; refuses a state dir it cannot write into a path list', () => {
    const unit = settings({ ...base, command: [node, '/opt/my gravity/100%/main.js'], configFile: '/etc/gravity/$HOME.yaml' });
    assert.equal(
      one(unit, 'Service.ExecStart'),
      `${node} "/opt/my gravity/100%%/main.js" start --foreground --state-dir /var/lib/gravity --config /etc/gravity/$$HOME.yaml`,
    );
    assert.throws(() => renderAgentUnit({ ...base, stateDir: '/srv/my state' }), (error) => isGravityError(error, 'E_USAGE'));
    assert.throws(() => renderAgentUnit({ ...base, command: ['node', 'main.js'] }), (error) => isGravityError(error, 'E_USAGE'));
  });

  it('renders a comment, the three sections, and ends with a newline', () => {
    const text = renderAgentUnit(base);
    assert.match(text, /^# gravity-agent\.service: /);
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('[')),
      ['[Unit]', '[Service]', '[Install]'],
    );
    assert.ok(text.endsWith('[Install]\nWantedBy=multi-user.target\n'));
  });

  describe('systemd-analyze verify', function () {
    this.timeout(30_000);
    before(function () {
      if (!systemdAnalyzeAvailable()) this.skip();
    });

    const variants: [string, AgentUnitOptions][] = [
      ['the default state dir and config', base],
      ['no config file', { command: base.command, stateDir: '/var/lib/gravity' }],
      ['a state dir elsewhere', { ...base, stateDir: '/srv/gravity/node-1' }],
      ['everything in /tmp', { ...base, stateDir: '/tmp/gravity-state', configFile: '/tmp/gravity.yaml' }],
      ['a loader and odd paths', { ...base, command: [node, '--import', '/opt/x/tsx loader.mjs', '/opt/my gravity/100%/main.ts'] }],
      ['an unknown systemd version', { ...base, systemdVersion: 0 }],
    ];
    for (const [name, options] of variants) {
      it(`passes for ${name}`, () => {
        const verdict = verifyUnit(agentUnitName, renderAgentUnit(options));
        assert.equal(verdict.said, '', verdict.said);
        assert.equal(verdict.code, 0);
      });
    }

    it('is strict enough to catch a broken unit (a bad value, a missing binary)', () => {
      const broken = renderAgentUnit(base).replace('RestartSec=5s', 'RestartSec=soon');
      assert.match(verifyUnit(agentUnitName, broken).said, /RestartSec|parse/);
      const missing = verifyUnit(agentUnitName, renderAgentUnit({ ...base, command: ['/nonexistent/node', '/opt/main.js'] }));
      assert.notEqual(missing.code, 0, missing.said);
      assert.match(missing.said, /nonexistent/);
    });
  });
});
