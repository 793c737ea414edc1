// The member runs in a process group of its own, so it outlives an agent that is killed (SIGKILL, the
// OOM killer) before its shutdown could end it; a new member on the same data and ports would then
// fail to start. Its pid and start time are recorded in <state-dir>/etcd-member.pid (0600) as it
// starts, and the next start ends that process group first: only when the pid is still the same
// process (its start time matches), never a process that got the pid since.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { endProcessGroup } from '../actors/process-groups.ts';
import type { ProcessGroupEnd } from '../actors/process-groups.ts';
import type { Clock } from '../clock.ts';
import { privateFileMode } from '../private-files.ts';
import { processStartTime } from '../processes.ts';

export const etcdPidFileName = 'etcd-member.pid';

interface Recorded {
  pid: number;
  startTime: number;
}

function pidFile(stateDir: string): string {
  return path.join(stateDir, etcdPidFileName);
}

/**
 * Records the member's pid and start time; nothing when its start time cannot be read (no /proc).
 * @example recordEtcdMember('/var/lib/gravity', child.pid);
 */
export function recordEtcdMember(stateDir: string, pid: number): void {
  const startTime = processStartTime(pid);
  if (startTime === undefined) return;
  const file = pidFile(stateDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ pid, startTime } satisfies Recorded)}\n`, { mode: privateFileMode });
  renameSync(temporary, file);
}

function readRecorded(stateDir: string): Recorded | undefined {
  try {
    const parsed = JSON.parse(readFileSync(pidFile(stateDir), 'utf8').slice(0, 256)) as Partial<Recorded>;
    return Number.isSafeInteger(parsed.pid) && Number.isSafeInteger(parsed.startTime) ? { pid: parsed.pid!, startTime: parsed.startTime! } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends the recorded member's process group if that process still runs (SIGTERM, SIGKILL after the
 * grace); returns its pid and how it ended, or undefined when there was nothing to end.
 * @example const leftover = await endLeftoverEtcdMember(stateDir, { graceMs: 10_000, clock });
 */
export async function endLeftoverEtcdMember(stateDir: string, options: { graceMs: number; clock: Clock }): Promise<{ pid: number; how: ProcessGroupEnd } | undefined> {
  const recorded = readRecorded(stateDir);
  if (recorded === undefined || processStartTime(recorded.pid) !== recorded.startTime) return undefined;
  const how = await endProcessGroup(recorded.pid, { graceMs: options.graceMs, timeoutMs: 2 * options.graceMs + 5000, clock: options.clock });
  return { pid: recorded.pid, how };
}
