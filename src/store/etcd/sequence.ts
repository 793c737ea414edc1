// A counter key gives ordered keys their sequence numbers: a writer reads it, and its transaction
// commits only if the counter's mod revision is still the one read, writing the counter forward with
// the records it numbers. Two writers never get the same numbers; the loser reads again.

import type { IKeyValue } from 'etcd3';
import { damaged } from './errors.ts';
import { getKv, text } from './context.ts';
import type { EtcdContext } from './context.ts';

export interface Counter {
  key: string;
  /** The last number given (0 when none yet). */
  value: number;
  /** The counter key's mod revision when read (0 when absent): the transaction compares it. */
  modRevision: string;
}

/** Reads a counter. */
export async function readCounter(context: EtcdContext, key: string): Promise<Counter> {
  const kv: IKeyValue | undefined = await getKv(context, key);
  if (kv === undefined) return { key, value: 0, modRevision: '0' };
  const value = Number(text(kv));
  if (!Number.isSafeInteger(value) || value < 0) throw damaged(key);
  return { key, value, modRevision: kv.mod_revision };
}
