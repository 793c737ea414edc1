// A stand-in for systemd's tools in tests of the commands that go through systemd, on a host where
// systemd is not PID 1: real `systemctl` and `systemd-run` executables (shell scripts) first on PATH,
// which record every call and answer from files in their directory (is the unit loaded, is a unit
// active, should a verb fail). GRAVITY_SYSTEMD=on makes gravity take the systemd branch.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv } from '../cli/run-cli.ts';

const systemctl = `#!/bin/sh
printf '%s\\n' "systemctl $*" >> "$FAKE_SYSTEMD_DIR/calls"
verb="$1"
if [ -f "$FAKE_SYSTEMD_DIR/fail-$verb" ]; then
  echo "Failed to $verb gravity-agent.service: Access denied" >&2
  exit 1
fi
case "$verb" in
  --version) echo "systemd 252 (252.38-1~deb12u1)" ;;
  show) if [ -f "$FAKE_SYSTEMD_DIR/loaded" ]; then echo loaded; else echo not-found; fi ;;
  is-active)
    state=$(cat "$FAKE_SYSTEMD_DIR/active-$2" 2>/dev/null || echo inactive)
    echo "$state"
    [ "$state" = active ] || exit 3 ;;
  enable) touch "$FAKE_SYSTEMD_DIR/loaded" ;;
esac
exit 0
`;

const systemdRun = `#!/bin/sh
printf '%s\\n' "systemd-run $*" >> "$FAKE_SYSTEMD_DIR/calls"
if [ -f "$FAKE_SYSTEMD_DIR/fail-run" ]; then
  echo "Failed to start transient service unit: Unit gravity-resume.service already exists." >&2
  exit 1
fi
exit 0
`;

export interface FakeSystemd {
  dir: string;
  /** The environment for the CLI: the fake tools first on PATH, GRAVITY_SYSTEMD=on. */
  env: NodeJS.ProcessEnv;
  /** Every call so far, one line each: `systemctl enable --now gravity-agent.service`. */
  calls(): string[];
  /** Whether systemd "knows" gravity-agent.service (systemctl show ... LoadState). */
  setLoaded(loaded: boolean): void;
  setActive(unit: string, state: string): void;
  /** Makes `systemctl <verb>` (or `systemd-run`, verb `run`) fail with exit 1. */
  failOn(verb: string): void;
  remove(): void;
}

export function fakeSystemd(): FakeSystemd {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-fake-systemd-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of [
    ['systemctl', systemctl],
    ['systemd-run', systemdRun],
  ] as const) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    dir,
    env: cliEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, GRAVITY_SYSTEMD: 'on', FAKE_SYSTEMD_DIR: dir }),
    calls: () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []),
    setLoaded: (loaded) => {
      if (loaded) writeFileSync(join(dir, 'loaded'), '');
      else rmSync(join(dir, 'loaded'), { force: true });
    },
    setActive: (unit, state) => writeFileSync(join(dir, `active-${unit}`), state),
    failOn: (verb) => writeFileSync(join(dir, `fail-${verb}`), ''),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
