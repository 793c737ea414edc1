// Heavy work of many clients, one piece per turn of the event loop: between two pieces the agent
// answers everything else (the health endpoint above all), so however many clients ask at once,
// another request waits for at most one piece. A piece that returns a promise holds its place until
// the promise settles: pieces never overlap. The queue is bounded: past it, work is refused
// with E_PANEL_BUSY rather than piled up.

import { GravityError } from '../errors.ts';

export interface TurnQueue {
  /** Runs `work` in a later turn, after the work queued before it has settled; rejects with E_PANEL_BUSY when the queue is full. */
  run<T>(work: () => T | Promise<T>): Promise<T>;
  /** Pieces waiting or running. */
  readonly pending: number;
}

/**
 * @example const heavy = turnQueue({ maxPending: 16 }); const events = await heavy.run(() => store.history.list(query));
 */
export function turnQueue(options: { maxPending: number }): TurnQueue {
  const queue: (() => Promise<void>)[] = [];
  let scheduled = false;

  const next = (): void => {
    const job = queue.shift();
    if (job === undefined) {
      scheduled = false;
      return;
    }
    void job().then(() => {
      if (queue.length > 0) setImmediate(next);
      else scheduled = false;
    });
  };

  return {
    get pending() {
      return queue.length;
    },
    run<T>(work: () => T | Promise<T>): Promise<T> {
      if (queue.length >= options.maxPending) {
        return Promise.reject(new GravityError('E_PANEL_BUSY', `the Control Panel already has ${options.maxPending} requests of this kind waiting; try again shortly`));
      }
      return new Promise<T>((resolve, reject) => {
        queue.push(async () => {
          try {
            resolve(await work());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        if (!scheduled) {
          scheduled = true;
          setImmediate(next);
        }
      });
    },
  };
}
