// Whether systemd is the service manager of this host, as sd_booted(3) decides it: the directory
// /run/systemd/system exists. GRAVITY_SYSTEMD overrides the guess (`on`, `off`, `auto`), so that a
// container without systemd, or a test with a fake `systemctl` on PATH, can choose either branch of
// the commands that go through systemd.

import { existsSync } from 'node:fs';
import { GravityError } from '../errors.ts';

/** What sd_booted() looks at. */
export const systemdBootedPath = '/run/systemd/system';

export type SystemdMode = 'auto' | 'on' | 'off';
const modes: readonly SystemdMode[] = ['auto', 'on', 'off'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The GRAVITY_SYSTEMD setting; unset or empty is `auto`, anything else unknown is a usage error.
 * @example systemdMode({ GRAVITY_SYSTEMD: 'off' }) // 'off'
 */
export function systemdMode(env: Env = process.env): SystemdMode {
  const value = env.GRAVITY_SYSTEMD?.trim().toLowerCase() ?? '';
  if (value === '') return 'auto';
  if ((modes as readonly string[]).includes(value)) return value as SystemdMode;
  throw new GravityError('E_USAGE', `GRAVITY_SYSTEMD must be one of ${modes.join(', ')}, got ${JSON.stringify(env.GRAVITY_SYSTEMD)}`, {
    hint: 'unset GRAVITY_SYSTEMD to let gravity look for a running systemd (/run/systemd/system)',
  });
}

/**
 * True when commands should go through systemd: GRAVITY_SYSTEMD=on, or `auto` and systemd booted the host.
 * @example if (systemdRunning()) await systemctl(['daemon-reload']);
 */
export function systemdRunning(env: Env = process.env, bootedPath = systemdBootedPath): boolean {
  const mode = systemdMode(env);
  if (mode !== 'auto') return mode === 'on';
  return existsSync(bootedPath);
}
