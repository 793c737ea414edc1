// The `systemd-unit` checker: a systemd unit is active (`systemctl is-active`). Where systemd is not
// the service manager (a container, a host booted with another init) it says so plainly instead of
// relaying systemctl's "System has not been booted with systemd" on every check.

import { access, readFile } from 'node:fs/promises';
import { runProcess } from '../actors/run-process.ts';
import { describeError, errorCode, oneLine } from './support/describe-error.ts';
import { KeyReader } from './support/keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const systemdUnitCheckerId = 'systemd-unit';

export interface SystemdUnitConfig {
  /** The full unit name, `.service` added when the name had no unit type. */
  unit: string;
}

const unitTypes = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];

/** Where the checker looks for systemd; tests point these at stand-ins. */
export interface SystemdHost {
  /** sd_booted(3): systemd is the service manager when this directory exists. */
  runDir: string;
  systemctl: string;
  pid1CommFile: string;
}

export const systemdHost: SystemdHost = { runDir: '/run/systemd/system', systemctl: 'systemctl', pid1CommFile: '/proc/1/comm' };

/** Adds `.service` to a bare name, as systemctl does. */
export function fullUnitName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && unitTypes.includes(name.slice(dot + 1)) ? name : `${name}.service`;
}

async function pid1Name(host: SystemdHost): Promise<string> {
  try {
    return (await readFile(host.pid1CommFile, 'utf8')).trim();
  } catch (error) {
    return `unknown: ${describeError(error)}`;
  }
}

/** Why a unit is not active, from `systemctl show` (best effort: empty when that fails too). */
async function unitDetail(unit: string, host: SystemdHost, context: CheckContext): Promise<string> {
  const outcome = await runProcess({
    argv: [host.systemctl, 'show', '--property=LoadState,ActiveState,SubState,Result', '--', unit],
    timeoutMs: context.timeoutMs,
    signal: context.signal,
  });
  if (outcome.exitCode !== 0) return '';
  const fields = new Map(
    outcome.output
      .split('\n')
      .map((line) => line.split('='))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair[0] !== undefined && pair[1] !== undefined),
  );
  const parts: string[] = [];
  const load = fields.get('LoadState');
  if (load !== undefined && load !== 'loaded') parts.push(load === 'not-found' ? 'no such unit' : `load state ${load}`);
  const sub = fields.get('SubState');
  if (sub !== undefined && sub !== '' && sub !== fields.get('ActiveState')) parts.push(`sub-state ${sub}`);
  const result = fields.get('Result');
  if (result !== undefined && result !== '' && result !== 'success') parts.push(`result ${result}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** The check itself, against a given host layout. */
export async function checkUnit(config: SystemdUnitConfig, context: CheckContext, host: SystemdHost = systemdHost): Promise<CheckResult> {
  try {
    await access(host.runDir);
  } catch (error) {
    const why = errorCode(error) === 'ENOENT' ? '' : `; ${host.runDir}: ${describeError(error)}`;
    return { status: 'failed', error: `systemd is not running on this host (PID 1 is ${await pid1Name(host)}${why})` };
  }
  const outcome = await runProcess({
    argv: [host.systemctl, 'is-active', '--', config.unit],
    timeoutMs: context.timeoutMs,
    signal: context.signal,
  });
  if (outcome.error !== undefined) return { status: 'failed', error: outcome.error };
  if (outcome.timedOut || outcome.aborted) {
    return { status: 'failed', error: `systemctl is-active ${config.unit} timed out after ${context.timeoutMs}ms` };
  }
  if (outcome.exitCode === 0) return { status: 'running' };
  const state = oneLine(outcome.output);
  if (!/^[a-z-]+$/.test(state)) {
    return { status: 'failed', error: `systemctl is-active ${config.unit} exited with code ${outcome.exitCode ?? outcome.signal ?? '?'}: ${state}` };
  }
  return { status: 'failed', error: `unit ${config.unit} is ${state}${await unitDetail(config.unit, host, context)}` };
}

/**
 * @example probes: [{ checker: systemd-unit, name: docker-unit, unit: docker }]   # docker.service
 */
export const systemdUnitChecker: Checker<SystemdUnitConfig> = {
  id: systemdUnitCheckerId,
  description: 'a systemd unit is active (systemctl is-active; .service is added to a bare name)',
  keys: ['unit'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const unit = keys.string('unit', {
      required: true,
      what: 'a unit name such as docker, docker.service or var-lib.mount',
      pattern: /^[A-Za-z0-9:_.\\@-]{1,250}$/,
    });
    return unit === undefined ? undefined : { unit: fullUnitName(unit) };
  },
  check(config: SystemdUnitConfig, context: CheckContext): Promise<CheckResult> {
    return checkUnit(config, context);
  },
};
