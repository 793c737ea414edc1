// Every process group this thread started that may still have a living member, and how to end them.
// Nothing the agent starts may outlive it: runProcess registers each command's group here as it
// starts and releases it once nothing of the group is left, and the agent's orderly shutdown ends
// whatever is still registered (SIGTERM, a grace period, SIGKILL, then a wait until the group is
// really gone, all within a deadline) and logs how each one ended. A worker thread has a registry of
// its own (module state is per thread); it forwards every change to the main thread
// (worker-entry.ts), which registers the worker's groups in its own and ends them when the thread is
// gone, so that a worker thread that is terminated leaves no process behind.

import { delay, systemClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { processGroupAlive } from '../processes.ts';

/** A process group as registered: its id (the pid of its first process) and what it runs. */
export interface ProcessGroupInfo {
  pgid: number;
  /** The command line, for the log. */
  command: string;
}

/** A change of the registry, as a watcher (a worker thread's forwarder) sees it. */
export type ProcessGroupChange = { kind: 'started'; group: ProcessGroupInfo } | { kind: 'gone'; pgid: number };

/**
 * How a group ended: `gone` (nothing of it was left to end), `terminated` (gone within the grace after
 * SIGTERM), `killed` (SIGKILL after the grace), `survived` (still alive at the deadline: a process
 * stuck in the kernel, or one this process may not signal).
 */
export type ProcessGroupEnd = 'gone' | 'terminated' | 'killed' | 'survived';

export interface EndedProcessGroup extends ProcessGroupInfo {
  how: ProcessGroupEnd;
}

export interface EndProcessGroupsOptions {
  /** Between SIGTERM and SIGKILL. 500 ms by default (as runProcess). */
  graceMs?: number;
  /** The whole wait, SIGKILL included; a group still alive then has `survived`. 5 s by default. */
  timeoutMs?: number;
  /** How often a group is checked. 20 ms by default. */
  pollMs?: number;
  clock?: Clock;
  /** Only these groups (each must be registered); every registered group by default. */
  pgids?: readonly number[];
  /** Called as each group ends, before the whole call resolves. */
  onEnded?: (group: EndedProcessGroup) => void;
}

export const defaultProcessGroupGraceMs = 500;
export const defaultProcessGroupTimeoutMs = 5000;
const defaultPollMs = 20;

interface Entry {
  info: ProcessGroupInfo;
  /** Set while the group is being ended: a second caller waits for the same end. */
  ending?: Promise<ProcessGroupEnd>;
}

const live = new Map<number, Entry>();
const watchers = new Set<(change: ProcessGroupChange) => void>();

function notify(change: ProcessGroupChange): void {
  for (const watcher of watchers) watcher(change);
}

function forget(pgid: number, entry: Entry): void {
  if (live.get(pgid) !== entry) return;
  live.delete(pgid);
  notify({ kind: 'gone', pgid });
}

/** True while some process (a zombie included) is in the group: one cheap system call, no /proc scan. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Groups with no process left are forgotten, so that the registry never grows with them. */
function prune(): void {
  for (const [pgid, entry] of live) {
    if (entry.ending === undefined && !groupExists(pgid)) forget(pgid, entry);
  }
}

/**
 * Registers a group that was just started; call `release` once nothing of it is left.
 * @example const tracked = trackProcessGroup({ pgid: child.pid, command: 'sh -c ...' }); ... tracked.release();
 */
export function trackProcessGroup(info: ProcessGroupInfo): { release(): void } {
  prune();
  const entry: Entry = { info: { ...info } };
  live.set(info.pgid, entry);
  notify({ kind: 'started', group: entry.info });
  return { release: () => forget(info.pgid, entry) };
}

/** The groups registered now. */
export function liveProcessGroups(): ProcessGroupInfo[] {
  return [...live.values()].map((entry) => ({ ...entry.info }));
}

/**
 * Calls `listener` with every later change of the registry (and at once with each group registered
 * now, as `started`). Returns how to stop.
 */
export function watchProcessGroups(listener: (change: ProcessGroupChange) => void): () => void {
  for (const entry of live.values()) listener({ kind: 'started', group: { ...entry.info } });
  watchers.add(listener);
  return () => watchers.delete(listener);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone already; EPERM: a member changed its credentials. The wait below tells which.
  }
}

/**
 * Ends one process group: SIGTERM, then SIGKILL after the grace (or half the timeout, if shorter),
 * then waits until no living member is left or the timeout passes. Not registered groups work too.
 */
export async function endProcessGroup(pgid: number, options: Omit<EndProcessGroupsOptions, 'pgids' | 'onEnded'> = {}): Promise<ProcessGroupEnd> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = Math.max(0, options.timeoutMs ?? defaultProcessGroupTimeoutMs);
  const graceMs = Math.min(Math.max(0, options.graceMs ?? defaultProcessGroupGraceMs), timeoutMs / 2);
  const pollMs = Math.max(1, options.pollMs ?? defaultPollMs);
  if (!processGroupAlive(pgid)) return 'gone';
  const started = clock.monotonic();
  signalGroup(pgid, 'SIGTERM');
  while (clock.monotonic() - started < graceMs) {
    await delay(clock, Math.min(pollMs, Math.max(1, graceMs - (clock.monotonic() - started))));
    if (!processGroupAlive(pgid)) return 'terminated';
  }
  signalGroup(pgid, 'SIGKILL');
  for (;;) {
    if (!processGroupAlive(pgid)) return 'killed';
    if (clock.monotonic() - started >= timeoutMs) return 'survived';
    await delay(clock, pollMs);
  }
}

/**
 * Ends a registered group as endProcessGroup does, and forgets it once it is gone; a group already
 * being ended is not signalled again: its end is returned. A group not registered is ended all the same.
 * @example await endTrackedProcessGroup(pid, { graceMs: 500 }); // 'terminated' | 'killed' | ...
 */
export function endTrackedProcessGroup(pgid: number, options: Omit<EndProcessGroupsOptions, 'pgids' | 'onEnded'> = {}): Promise<ProcessGroupEnd> {
  const entry = live.get(pgid);
  if (entry === undefined) return endProcessGroup(pgid, options);
  entry.ending ??= endProcessGroup(pgid, options).then((how) => {
    if (how === 'survived') entry.ending = undefined; // a later call tries again
    else forget(pgid, entry);
    return how;
  });
  return entry.ending;
}

/**
 * Ends every registered group (or those of `pgids`) at once and resolves when each has ended or the
 * timeout has passed; a group that is gone is forgotten. A group already being ended is not signalled
 * twice: its end is awaited.
 * @example
 * const ended = await endProcessGroups({ onEnded: (group) => logger.info(group, `process group ${group.how}`) });
 */
export async function endProcessGroups(options: EndProcessGroupsOptions = {}): Promise<EndedProcessGroup[]> {
  const pgids = options.pgids ?? [...live.keys()];
  const ends = pgids.flatMap((pgid) => {
    const entry = live.get(pgid);
    if (entry === undefined) return [];
    const info = { ...entry.info };
    return [
      endTrackedProcessGroup(pgid, options).then((how) => {
        const ended: EndedProcessGroup = { ...info, how };
        options.onEnded?.(ended);
        return ended;
      }),
    ];
  });
  return Promise.all(ends);
}

/**
 * SIGKILL to every registered group at once, without waiting: for an exit that cannot wait (a second
 * signal while stopping, a fatal error). What is killed needs no grace to be gone.
 */
export function killProcessGroupsNow(): number {
  let signalled = 0;
  for (const pgid of live.keys()) {
    if (!processGroupAlive(pgid)) continue;
    signalGroup(pgid, 'SIGKILL');
    signalled += 1;
  }
  return signalled;
}
