// Heavy synchronous work of many clients, one piece per turn of the event loop: between two pieces
// the agent answers everything else (the health endpoint above all), so however many clients ask at
// once, another request waits for at most one piece. The queue is bounded: past it, work is refused
// with E_PANEL_BUSY rather than piled up.

import { GravityError } from '../errors.ts';

export interface TurnQueue {
  /** Runs `work` in a later turn, after the work queued before it; rejects with E_PANEL_BUSY when the queue is full. */
  run<T>(work: () => T): Promise<T>;
  /** Pieces waiting or running. */
  readonly pending: number;
}

/**
 * @example const heavy = turnQueue({ maxPending: 16 }); const events = await heavy.run(() => store.history.list(query));
 */
export function turnQueue(options: { maxPending: number }): TurnQueue {
  const queue: (() => void)[] = [];
  let scheduled = false;

  const next = (): void => {
    scheduled = false;
    const job = queue.shift();
    job?.();
    if (queue.length > 0) {
      scheduled = true;
      setImmediate(next);
    }
  };

  return {
    get pending() {
      return queue.length;
    },
    run<T>(work: () => T): Promise<T> {
      if (queue.length >= options.maxPending) {
        return Promise.reject(new GravityError('E_PANEL_BUSY', `the Control Panel already has ${options.maxPending} requests of this kind waiting; try again shortly`));
      }
      return new Promise<T>((resolve, reject) => {
        queue.push(() => {
          try {
            resolve(work());
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
