// Whether the agent of a state dir runs as the systemd service gravity-agent.service. `gravity system
// install` leaves a small record in the state dir naming the unit it wrote; `gravity start`, `stop`
// and `agent ...` go through systemctl only when that record is there, systemd runs, and systemd
// knows the unit. So an ordinary user's `gravity start --state-dir ./state` on the same host still
// runs in the foreground: the installed service belongs to another state dir.

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GravityError } from '../errors.ts';
import { stateDirError } from '../supervisor/state-dir.ts';
import { systemdRunning } from './systemd-env.ts';
import { unitLoaded } from './systemctl.ts';

export const serviceRecordName = 'systemd-unit.json';

export interface ServiceRecord {
  /** The unit's name, gravity-agent.service. */
  unit: string;
  /** Where the unit file was written. */
  unitFile: string;
  /** Epoch ms. */
  installedAt: number;
}

function isServiceRecord(value: unknown): value is ServiceRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.unit === 'string' && typeof record.unitFile === 'string' && typeof record.installedAt === 'number';
}

/** The record in the state dir, or undefined when there is none (a damaged one is an error). */
export function readServiceRecord(stateDir: string): ServiceRecord | undefined {
  const path = join(stateDir, serviceRecordName);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw stateDirError(stateDir, error as NodeJS.ErrnoException, 'read the service record in');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    parsed = error;
  }
  if (!isServiceRecord(parsed)) {
    throw new GravityError('E_STATE_DIR', `${path} is damaged: it does not name a unit`, {
      hint: "run 'gravity system install' again, or remove the file if the agent is not installed as a service",
    });
  }
  return parsed;
}

/** Writes the record (atomically: a temp file renamed into place). */
export function writeServiceRecord(stateDir: string, record: ServiceRecord): void {
  const path = join(stateDir, serviceRecordName);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function removeServiceRecord(stateDir: string): void {
  try {
    unlinkSync(join(stateDir, serviceRecordName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * The service record when the state dir's agent is run by systemd right now, else undefined.
 * @example if (await managedBySystemd(stateDir)) await systemdTool('systemctl', ['start', 'gravity-agent.service']);
 */
export async function managedBySystemd(stateDir: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ServiceRecord | undefined> {
  if (!systemdRunning(env)) return undefined;
  const record = readServiceRecord(stateDir);
  if (record === undefined) return undefined;
  return (await unitLoaded(record.unit)) ? record : undefined;
}
