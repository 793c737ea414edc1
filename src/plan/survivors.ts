// A phase's command that outlived whatever ran it. The process group of a running phase is recorded
// in the store before its command starts; if the runner dies (`kill -9`, a crash), the command runs
// on, and running the phase again would start a second copy beside it. Before a phase runs, its
// records are looked at here: a group that is still alive, and whose first process started when the
// record says (a pid given to another process since has another start time), is a survivor. It is
// ended (SIGTERM, grace, SIGKILL, and a wait until it is gone) or, if the phase asks, waited for.

import { endProcessGroup } from '../actors/process-groups.ts';
import type { Clock } from '../clock.ts';
import { delay } from '../clock.ts';
import { processGroupAlive, processGroupMembers, processStartTime } from '../processes.ts';
import type { PhaseProcess, SurvivorPolicy } from './types.ts';

/**
 * True while the recorded group still runs as the one recorded: alive, and its first process (when it
 * is still there) started at the recorded start time. When the first process has gone and the rest
 * of its group lives on, its members started after it. Without a recorded start time, the group's
 * liveness alone decides.
 * @example if (isSurvivor(record)) ...
 */
export function isSurvivor(record: Pick<PhaseProcess, 'pgid' | 'startTime'>): boolean {
  if (!processGroupAlive(record.pgid)) return false;
  const recorded = record.startTime;
  if (recorded === undefined) return true;
  const leader = processStartTime(record.pgid);
  if (leader !== undefined) return leader === recorded;
  return processGroupMembers(record.pgid).some((member) => member.state !== 'Z' && member.startTime !== undefined && member.startTime >= recorded);
}

/** How a survivor was dealt with: ended within the grace, killed after it, ended by itself while waited for, or still alive after SIGKILL. */
export type SurvivorEnd = 'terminated' | 'killed' | 'ended' | 'survived';

export interface SettleSurvivorOptions {
  policy: SurvivorPolicy;
  /** With `wait`: the longest wait before it is ended all the same (Infinity: no limit). */
  waitMs: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs: number;
  /** SIGKILL included, how long ending it may take before it counts as still alive. */
  timeoutMs: number;
  clock: Clock;
  /** Aborting it stops a wait at once (the survivor is left as it is). */
  signal: AbortSignal;
  /** How often a waited-for survivor is looked at. 100 ms by default. */
  pollMs?: number;
}

/**
 * Ends a survivor, or waits for it and ends it only if it outlasts `waitMs`. Resolves with how it
 * went; rejects with the signal's reason when aborted during a wait.
 * @example const how = await settleSurvivor(record, { policy: 'kill', waitMs: 0, graceMs: 500, timeoutMs: 5000, clock, signal });
 */
export async function settleSurvivor(record: Pick<PhaseProcess, 'pgid' | 'startTime'>, options: SettleSurvivorOptions): Promise<SurvivorEnd> {
  if (options.policy === 'wait') {
    const pollMs = Math.max(1, options.pollMs ?? 100);
    const started = options.clock.monotonic();
    while (options.clock.monotonic() - started < options.waitMs) {
      if (options.signal.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
      if (!isSurvivor(record)) return 'ended';
      await delay(options.clock, pollMs);
    }
    if (!isSurvivor(record)) return 'ended';
  }
  const how = await endProcessGroup(record.pgid, { graceMs: options.graceMs, timeoutMs: options.timeoutMs, clock: options.clock });
  return how === 'gone' ? 'ended' : how;
}
