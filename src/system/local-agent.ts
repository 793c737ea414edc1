// The agent of a state dir as a process on this host: which pid it is (asked over its control socket,
// or, when it does not answer, read from its pid lock), and waiting until that process has ended.
// `gravity stop`, `gravity agent shutdown` and `gravity agent deploy` share these.

import { callAgent } from '../api/control-client.ts';
import type { PingResult } from '../api/control-protocol.ts';
import type { Clock } from '../clock.ts';
import { delay, systemClock } from '../clock.ts';
import { isGravityError } from '../errors.ts';
import { processAlive, processIsZombie } from '../processes.ts';
import { liveLockHolder } from '../supervisor/state-dir.ts';

export type AgentProcess = { pid: number; answered: true; ping: PingResult } | { pid: number; answered: false };

/** True when the pid names a live process; a zombie (dead, not yet reaped) counts as gone. */
export function processRunning(pid: number): boolean {
  return processAlive(pid) && !processIsZombie(pid);
}

/** The pid in the state dir's lock, when that process lives. */
export function lockHolderPid(stateDir: string): number | undefined {
  return liveLockHolder(stateDir);
}

/**
 * The running agent of the state dir: its ping when it answers, else the live holder of its pid lock
 * (an agent that hangs still holds it); undefined when no agent runs.
 * @example const agent = await findLocalAgent('/var/lib/gravity'); if (agent) process.kill(agent.pid, 'SIGTERM');
 */
export async function findLocalAgent(stateDir: string, timeoutMs = 2000): Promise<AgentProcess | undefined> {
  try {
    const ping = await callAgent({ stateDir, timeoutMs }, 'ping');
    return { pid: ping.pid, answered: true, ping };
  } catch (error) {
    if (!isGravityError(error, 'E_AGENT_NOT_RUNNING') && !isGravityError(error, 'E_AGENT_UNREACHABLE')) throw error;
  }
  const pid = lockHolderPid(stateDir);
  return pid === undefined ? undefined : { pid, answered: false };
}

/** `1.5s`, `45s`: a duration in seconds for messages. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

export interface WaitForExitOptions {
  timeoutMs: number;
  clock?: Clock;
  pollMs?: number;
  /** Called every `progressEveryMs` while the process still runs, with the time waited so far. */
  onProgress?: (waitedMs: number) => void;
  progressEveryMs?: number;
}

/**
 * Resolves true once the process has ended, false if it still runs at the deadline.
 * @example if (!(await waitForExit(pid, { timeoutMs: 45_000 }))) throw new Error('still running');
 */
export async function waitForExit(pid: number, options: WaitForExitOptions): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const pollMs = options.pollMs ?? 100;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  let nextProgress = progressEveryMs;
  for (;;) {
    if (!processRunning(pid)) return true;
    const waited = clock.monotonic() - started;
    if (waited >= options.timeoutMs) return false;
    if (waited >= nextProgress) {
      options.onProgress?.(waited);
      nextProgress += progressEveryMs;
    }
    await delay(clock, pollMs);
  }
}
