// The task pool as a child of the agent's root supervisor: the task-pool machine with its `pool`
// actor provided. Each incarnation makes a TaskPool, publishes it in a TaskPoolSlot (where the
// agent's control handlers find it), and on SHUTDOWN drains it and stops its threads; if the child is
// killed (its shutdown time passed) or fails, the pool is destroyed at once. A pool-level error ends
// the incarnation, so the supervisor restarts it with a fresh pool.

import { fromCallback } from 'xstate';
import type { AnyActorLogic } from 'xstate';
import { GravityError } from '../errors.ts';
import { taskPoolMachine } from '../machines/task-pool.ts';
import type { TaskPoolCommand, TaskPoolEvent, TaskPoolMachineInput } from '../machines/task-pool.ts';
import { TaskPool } from './task-pool.ts';
import type { TaskPoolOptions, TaskRunOptions } from './task-pool.ts';
import type { BuiltinTasks, TaskInput, TaskOutput } from './tasks.ts';

/** Told when the pool of the current incarnation starts and stops (the agent logs it). */
export interface TaskPoolSlotEvents {
  onStarted?(pool: TaskPool): void;
  /** `closed` after a drain, `destroyed` when its threads were terminated at once; `pool` is the stopped pool. */
  onStopped?(how: 'closed' | 'destroyed', pool: TaskPool): void;
}

/**
 * Where the running pool is found by those who run tasks: empty while the child is not running.
 * @example
 * const slot = new TaskPoolSlot();
 * const facts = await slot.run('system-facts', undefined, { deadlineMs: 5000 });
 */
export class TaskPoolSlot {
  #pool: TaskPool | undefined;
  #events: TaskPoolSlotEvents = {};

  /** Replaces who is told when a pool starts and stops (the agent's logger, once it has one). */
  observe(events: TaskPoolSlotEvents): void {
    this.#events = events;
  }

  /** Runs a built-in task on the current pool; E_POOL_CLOSED while no pool runs. */
  run<N extends keyof BuiltinTasks>(name: N, input: TaskInput<BuiltinTasks, N>, options: TaskRunOptions): Promise<TaskOutput<BuiltinTasks, N>> {
    const pool = this.#pool;
    if (pool === undefined) return Promise.reject(new GravityError('E_POOL_CLOSED', `the task pool is not running; task "${name}" was not run`));
    return pool.run(name, input, options);
  }

  /** @internal Used by the pool actor. */
  attach(pool: TaskPool): void {
    this.#pool = pool;
    this.#events.onStarted?.(pool);
  }

  /** @internal Used by the pool actor. */
  detach(pool: TaskPool, how: 'closed' | 'destroyed'): void {
    if (this.#pool !== pool) return;
    this.#pool = undefined;
    this.#events.onStopped?.(how, pool);
  }
}

/**
 * The supervised task pool's logic for one slot (main thread only: the slot does not cross threads).
 * `moreOptions` is asked once per incarnation for options beside the sizes (tests give a task module).
 * @example children.push({ id: 'tasks', start: { logic: taskPoolLogic(slot), input: { minThreads: 1, maxThreads: 2 } }, shutdown: 10_000 });
 */
export function taskPoolLogic(slot: TaskPoolSlot, moreOptions: () => Omit<TaskPoolOptions, 'onError'> = () => ({})): AnyActorLogic {
  return taskPoolMachine.provide({
    actors: {
      pool: fromCallback<TaskPoolCommand, TaskPoolMachineInput>(({ input, sendBack, receive }) => {
        const failed = (error: Error): void => sendBack({ type: 'POOL_FAILED', message: error.message } satisfies TaskPoolEvent);
        const pool = new TaskPool({ ...moreOptions(), ...input, onError: failed });
        slot.attach(pool);
        let closed = false;
        receive((command) => {
          if (command.type !== 'CLOSE') return;
          // New runs are refused from here on; accepted ones finish or meet their deadlines.
          void pool.close().then(
            () => {
              closed = true;
              slot.detach(pool, 'closed');
              sendBack({ type: 'POOL_CLOSED' } satisfies TaskPoolEvent);
            },
            (error: unknown) => failed(error instanceof Error ? error : new Error(String(error))),
          );
        });
        return () => {
          if (closed) return;
          // Killed, failed or stopped without SHUTDOWN: stop every thread now.
          slot.detach(pool, 'destroyed');
          void pool.destroy();
        };
      }),
    },
  });
}
