// The logger: level from --debug, GRAVITY_LOG_LEVEL and --quiet; JSON records with level names; and
// one structured record per supervisor decision, at a level that matches its weight.

import assert from 'node:assert/strict';
import { InspectionBus } from '../src/actors/inspection.ts';
import type { SupervisorAction } from '../src/actors/inspection.ts';
import { isGravityError } from '../src/errors.ts';
import { logSupervisorDecisions, resolveLogLevel, supervisorDecisionLevel } from '../src/log.ts';
import { captureLog } from './helpers/log-capture.ts';

describe('log', () => {
  it('picks the level: --debug, then GRAVITY_LOG_LEVEL, then --quiet, then info', () => {
    assert.equal(resolveLogLevel({ env: {} }), 'info');
    assert.equal(resolveLogLevel({ env: {}, quiet: true }), 'warn');
    assert.equal(resolveLogLevel({ env: { GRAVITY_LOG_LEVEL: 'ERROR' } }), 'error');
    assert.equal(resolveLogLevel({ env: { GRAVITY_LOG_LEVEL: 'trace' }, quiet: true }), 'trace');
    assert.equal(resolveLogLevel({ env: { GRAVITY_LOG_LEVEL: 'error' }, debug: true }), 'debug');
    assert.equal(resolveLogLevel({ env: { GRAVITY_LOG_LEVEL: '' } }), 'info');
    assert.throws(() => resolveLogLevel({ env: { GRAVITY_LOG_LEVEL: 'loud' } }), (error) => isGravityError(error, 'E_USAGE'));
  });

  it('writes JSON records with level names and the pid', () => {
    const { logger, records } = captureLog({ debug: false, env: { GRAVITY_LOG_LEVEL: 'info' } });
    logger.debug('hidden');
    logger.info({ stateDir: '/x' }, 'shown');
    assert.equal(records.length, 1);
    assert.equal(records[0]?.level, 'info');
    assert.equal(records[0]?.msg, 'shown');
    assert.equal(records[0]?.stateDir, '/x');
    assert.equal(records[0]?.pid, process.pid);
    assert.equal(typeof records[0]?.time, 'string');
  });

  it('logs one record per supervisor decision with its fields, and nothing for other records', () => {
    const bus = new InspectionBus();
    const { logger, records } = captureLog();
    const off = logSupervisorDecisions(bus, logger);
    bus.publish({ kind: 'snapshot', path: 'agent/a', time: 1, status: 'active', value: 'running' });
    bus.publish({ kind: 'supervisor', path: 'agent', time: 1, child: 'a', action: 'restart', reason: 'error: boom', delayMs: 200, restarts: 3 });
    bus.publish({ kind: 'supervisor', path: 'agent/probes', time: 2, child: 'p', action: 'give_up', reason: 'restart intensity exceeded' });
    off();
    bus.publish({ kind: 'supervisor', path: 'agent', time: 3, child: 'a', action: 'stop', reason: 'shutdown' });
    assert.equal(records.length, 2);
    const [restart, giveUp] = records;
    assert.deepEqual(
      { level: restart?.level, supervisor: restart?.supervisor, child: restart?.child, action: restart?.action, reason: restart?.reason, delayMs: restart?.delayMs, restarts: restart?.restarts },
      { level: 'warn', supervisor: 'agent', child: 'a', action: 'restart', reason: 'error: boom', delayMs: 200, restarts: 3 },
    );
    assert.equal(giveUp?.level, 'error');
    assert.equal(giveUp?.supervisor, 'agent/probes');
    assert.ok(!('delayMs' in (giveUp ?? {})));
  });

  it('weighs each decision: escalate and give_up are errors, restart and kill warnings, the rest info', () => {
    const table: [SupervisorAction, string][] = [
      ['escalate', 'error'],
      ['give_up', 'error'],
      ['restart', 'warn'],
      ['kill', 'warn'],
      ['start', 'info'],
      ['stop', 'info'],
      ['remove', 'info'],
      ['ignore', 'info'],
    ];
    for (const [action, level] of table) assert.equal(supervisorDecisionLevel(action), level, action);
  });
});
