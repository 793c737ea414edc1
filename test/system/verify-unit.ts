// Checks a unit's text the way systemd would read it: `systemd-analyze verify` on a file in a temp
// dir. It works without systemd as PID 1; parse warnings ("Unknown key", "Failed to parse") do not
// change its exit code, so a unit passes only when it exits 0 and says nothing at all.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const systemdAnalyze = '/usr/bin/systemd-analyze';

export function systemdAnalyzeAvailable(): boolean {
  return existsSync(systemdAnalyze);
}

export interface Verdict {
  code: number | null;
  /** Everything it printed: empty for a clean unit. */
  said: string;
}

/** Writes `text` as `name` in a temp dir and verifies it. */
export function verifyUnit(name: string, text: string): Verdict {
  const dir = mkdtempSync(join(tmpdir(), 'gravity-unit-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    const result = spawnSync(systemdAnalyze, ['verify', '--man=no', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
    return { code: result.status, said: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
