// Turns a child spec's `start` into XState actor logic: from the built-in registry by name, from a
// module by URL, or as given in code. The same resolver runs on the main thread and in workers.

import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { AnyActorLogic } from 'xstate';
import { GravityError } from '../errors.ts';
import type { ActorStart } from '../supervisor/spec.ts';
import { builtinActors } from './registry.ts';

function isActorLogic(value: unknown): value is AnyActorLogic {
  return typeof value === 'object' && value !== null && typeof (value as { transition?: unknown }).transition === 'function';
}

/** A module specifier as import() takes it: absolute paths become file URLs. */
export function moduleSpecifier(module: string): string {
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

/**
 * @example const logic = await resolveActorLogic({ actor: 'idle' });
 */
export async function resolveActorLogic(start: ActorStart): Promise<AnyActorLogic> {
  if ('logic' in start) return start.logic;
  if ('actor' in start) {
    const logic = builtinActors[start.actor];
    if (logic === undefined) {
      throw new GravityError('E_ACTOR_UNKNOWN', `unknown actor ${JSON.stringify(start.actor)}`, {
        hint: `built-in actors: ${Object.keys(builtinActors).join(', ')}`,
      });
    }
    return logic;
  }
  const name = start.export ?? 'default';
  const loaded = (await import(moduleSpecifier(start.module))) as Record<string, unknown>;
  const logic = loaded[name];
  if (!isActorLogic(logic)) {
    throw new GravityError('E_ACTOR_UNKNOWN', `module ${start.module} has no actor logic exported as ${name}`);
  }
  return logic;
}

/** The input given to the actor at start. */
export function actorInput(start: ActorStart): unknown {
  return start.input;
}
