// A background operation under systemd is a transient service started with systemd-run
// (`gravity-resume.service` for `gravity plan resume --no-block`). Its settings are data, rendered
// two ways from the same list: as systemd-run's command line, and as the unit file it amounts to, so
// that tests can check every setting with `systemd-analyze verify` like the units gravity writes.

import { execCommandLine, renderUnit } from './unit-file.ts';

export interface TransientUnit {
  /** The unit's name without `.service`, e.g. `gravity-resume`. */
  name: string;
  description: string;
  /** The command, its first word an absolute path. */
  command: readonly string[];
}

/** How long the operation gets to stop on SIGTERM: running phases are killed and recorded failed. */
export const transientStopSec = 90;

/** The [Service] settings of an operation's transient unit. */
export function transientServiceSettings(unit: TransientUnit): [string, string][] {
  return [
    // exec: systemd-run fails at once when the binary cannot be started, instead of reporting success.
    ['Type', 'exec'],
    ['KillMode', 'mixed'],
    ['TimeoutStopSec', `${transientStopSec}s`],
    ['SyslogIdentifier', unit.name],
  ];
}

/**
 * systemd-run's arguments: a transient service, garbage-collected when it ends (even failed), whose
 * output goes to the journal.
 * @example execFile('systemd-run', systemdRunArgs({ name: 'gravity-resume', description: 'resume', command }));
 */
export function systemdRunArgs(unit: TransientUnit): string[] {
  return [
    `--unit=${unit.name}`,
    '--collect',
    '--quiet',
    `--description=${unit.description}`,
    ...transientServiceSettings(unit).map(([key, value]) => `--property=${key}=${value}`),
    '--',
    ...unit.command,
  ];
}

/**
 * The unit file the transient service amounts to (for `systemd-analyze verify`).
 * @example writeFileSync('/tmp/gravity-resume.service', transientUnitText(unit));
 */
export function transientUnitText(unit: TransientUnit): string {
  return renderUnit([
    { name: 'Unit', settings: [['Description', unit.description]] },
    { name: 'Service', settings: [...transientServiceSettings(unit), ['ExecStart', execCommandLine(unit.command)]] },
  ]);
}
