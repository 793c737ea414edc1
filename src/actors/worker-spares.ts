// Warm worker threads for restarts. Starting a worker thread means loading the runtime into a fresh
// V8 isolate, which costs tens of milliseconds; a supervisor restarting a worker-hosted child should
// not pay that while the child is down. When spares are enabled, each thread taken for a child is
// replaced in the background by a new, already loaded one, so the next start (usually a restart)
// takes a ready thread. Every incarnation still gets a fresh thread: nothing is reused.

import { Worker } from 'node:worker_threads';

const spares: Worker[] = [];
let target = 0;
let replenishing = false;

/** The host program every worker thread runs: the .ts source under tsx, else the compiled .js. */
const hostEntry = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js', import.meta.url);

/** A `.ts` entry (tests, running from source under tsx) needs the bootstrap; a `.js` one starts as is. */
function spawn(entry: URL = hostEntry): Worker {
  if (entry.pathname.endsWith('.ts')) {
    return new Worker(new URL('./ts-worker-bootstrap.mjs', import.meta.url), { workerData: { __entry: entry.href } });
  }
  return new Worker(entry);
}

function spawnSpare(): void {
  const worker = spawn();
  // An idle spare must not keep the process alive, and its death must not go unheard.
  worker.unref();
  const forget = (): void => {
    const index = spares.indexOf(worker);
    if (index >= 0) spares.splice(index, 1);
  };
  worker.once('error', forget);
  worker.once('exit', forget);
  spares.push(worker);
}

function replenish(): void {
  if (replenishing) return;
  replenishing = true;
  // After the current turn, so that the thread being started is not slowed by its replacement.
  setImmediate(() => {
    replenishing = false;
    while (spares.length < target) spawnSpare();
  });
}

/**
 * How many warm threads to keep ready (0 turns spares off and ends the idle ones).
 * @example setWorkerSpares(1); // the agent keeps one thread ready for the next restart
 */
export function setWorkerSpares(count: number): void {
  target = Math.max(0, Math.floor(count));
  while (spares.length > target) void spares.pop()?.terminate();
  if (spares.length < target) replenish();
}

/** Ends every idle spare (at shutdown). */
export async function endWorkerSpares(): Promise<void> {
  target = 0;
  await Promise.all(spares.splice(0).map((worker) => worker.terminate()));
}

/** The number of idle spares right now. */
export function idleWorkerSpares(): number {
  return spares.length;
}

/**
 * A thread for a new child: a warm spare if there is one, else a new thread. Given `entry`, always a
 * new thread running that program instead of the host entry (spares run the host entry).
 * @example const worker = takeWorkerThread();
 */
export function takeWorkerThread(entry?: URL): Worker {
  if (entry !== undefined) return spawn(entry);
  const spare = spares.shift();
  if (target > 0) replenish();
  if (spare === undefined) return spawn();
  spare.removeAllListeners('error');
  spare.removeAllListeners('exit');
  spare.ref();
  return spare;
}
