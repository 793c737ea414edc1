// The status history in etcd: each event under its time and a sequence number (so that listing since
// a time is one range read, and events of one millisecond keep the order they were appended), with
// an id key per event so that an id already stored is skipped. Appends go through a queue and commit
// in transactions that also move the sequence counter and check that none of their ids is stored yet.

import type { Clock } from '../../clock.ts';
import type { HistoryEvent, HistoryQuery, HistoryStore } from '../types.ts';
import { isObject, keyOf, parseJson, retry, scan, text } from './context.ts';
import type { EtcdContext } from './context.ts';
import { keys, prefixEnd } from './keys.ts';
import { readCounter } from './sequence.ts';
import { serial } from './serial.ts';

/** Events per transaction: each takes two puts and one compare, within etcd's default of 128 operations. */
const eventsPerTxn = 60;

export interface EtcdHistoryOptions {
  retentionMs: number;
  clock: Pick<Clock, 'now'>;
}

function isEvent(value: unknown): value is HistoryEvent {
  if (!isObject(value)) return false;
  const optional = (field: unknown): boolean => field === undefined || typeof field === 'string';
  return typeof value.id === 'string' && typeof value.time === 'number' && typeof value.type === 'string' && optional(value.node) && optional(value.checker) && optional(value.detail);
}

/** The event as stored: its fields in one order, absent ones left out. */
function stored(event: HistoryEvent): HistoryEvent {
  return {
    id: event.id,
    time: event.time,
    type: event.type,
    ...(event.node === undefined ? {} : { node: event.node }),
    ...(event.checker === undefined ? {} : { checker: event.checker }),
    ...(event.detail === undefined ? {} : { detail: event.detail }),
  };
}

function checkEvent(event: HistoryEvent): void {
  if (typeof event.id !== 'string' || event.id === '') throw new TypeError('a history event needs an id');
  if (!Number.isSafeInteger(event.time)) throw new TypeError(`history event ${event.id} needs a time in whole ms, got ${String(event.time)}`);
  if (typeof event.type !== 'string') throw new TypeError(`history event ${event.id} needs a type`);
}

/** A bound of a query as a time that has a key (safe integers only). */
function clampTime(time: number): number {
  return Math.min(Math.max(time, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER - 1);
}

function matches(event: HistoryEvent, query: HistoryQuery): boolean {
  return (
    (query.node === undefined || event.node === query.node) &&
    (query.checker === undefined || event.checker === query.checker) &&
    (query.type === undefined || event.type === query.type)
  );
}

/**
 * The status history of an etcd store.
 * @example const history = etcdHistory(context, { retentionMs, clock }); await history.append(events);
 */
export function etcdHistory(context: EtcdContext, options: EtcdHistoryOptions): HistoryStore {
  const { ns } = context;
  const inOrder = serial();

  const read = async (start: string, end: string): Promise<HistoryEvent[]> =>
    (await scan(context, keys.historyEvents, start, end)).map((kv) => parseJson(keyOf(kv), text(kv), isEvent)).map(stored);

  /** Commits one chunk of events new to this batch; resolves to how many were new to the store. */
  const appendChunk = (chunk: readonly HistoryEvent[]): Promise<number> =>
    context.optimistic('write to', 'the status history', async () => {
      const counter = await readCounter(context, keys.historySeq);
      const present = await Promise.all(chunk.map(async (event) => (await ns.get(keys.historyId(event.id)).exists()) === true));
      const fresh = chunk.filter((_, index) => present[index] !== true);
      if (fresh.length === 0) return { done: 0 };
      let txn = ns.if(keys.historySeq, 'Mod', '==', counter.modRevision);
      for (const event of fresh) txn = txn.and(keys.historyId(event.id), 'Version', '==', 0);
      const puts = fresh.flatMap((event, index) => {
        const key = keys.historyEvent(event.time, counter.value + 1 + index);
        return [ns.put(key).value(JSON.stringify(stored(event))), ns.put(keys.historyId(event.id)).value(key)];
      });
      const response = await txn.then(ns.put(keys.historySeq).value(String(counter.value + fresh.length)), ...puts).commit();
      context.observe(response.header);
      return response.succeeded ? { done: fresh.length } : retry;
    });

  const append = async (events: readonly HistoryEvent[]): Promise<number> => {
    for (const event of events) checkEvent(event);
    // As Satellite: an event already past the retention would be evicted at once, so it is refused.
    const oldest = options.clock.now() - options.retentionMs;
    const seen = new Set<string>();
    const kept = events.filter((event) => {
      if (event.time < oldest || seen.has(event.id)) return false;
      seen.add(event.id);
      return true;
    });
    let added = 0;
    for (let at = 0; at < kept.length; at += eventsPerTxn) added += await appendChunk(kept.slice(at, at + eventsPerTxn));
    return added;
  };

  /** At most `limit` events of a range, from its oldest (Ascend) or its newest (Descend), in that order. */
  const page = async (start: string, end: string, order: 'Ascend' | 'Descend', limit: number): Promise<HistoryEvent[]> => {
    if (limit <= 0) return [];
    const response = await ns.getAll().inRange({ start, end }).sort('Key', order).limit(limit).exec();
    context.observe(response.header);
    return response.kvs.map((kv) => stored(parseJson(keyOf(kv), text(kv), isEvent)));
  };

  /** An unfiltered list cut by `last` or `limit`: one range read of only the events it returns. */
  const bounded = async (start: string, end: string, query: HistoryQuery): Promise<HistoryEvent[]> => {
    const count = (value: number): number => Math.max(0, Math.trunc(value));
    if (query.last === undefined) return page(start, end, 'Ascend', count(query.limit ?? 0));
    const newest = (await page(start, end, 'Descend', count(query.last))).reverse();
    return query.limit === undefined ? newest : newest.slice(0, count(query.limit));
  };

  const list = async (query: HistoryQuery = {}): Promise<HistoryEvent[]> => {
    const since = query.since === undefined ? undefined : Math.ceil(query.since);
    const until = query.until === undefined ? undefined : Math.floor(query.until);
    if (since !== undefined && until !== undefined && since > until) return [];
    const start = since === undefined ? keys.historyEvents : keys.historyEventsFrom(clampTime(since));
    const end = until === undefined ? prefixEnd(keys.historyEvents) : keys.historyEventsFrom(clampTime(until) + 1);
    const filtered = query.node !== undefined || query.checker !== undefined || query.type !== undefined;
    if (!filtered && (query.last !== undefined || query.limit !== undefined)) return bounded(start, end, query);
    let events = (await read(start, end)).filter((event) => matches(event, query));
    if (query.last !== undefined) events = events.slice(Math.max(0, events.length - Math.max(0, Math.trunc(query.last))));
    if (query.limit !== undefined) events = events.slice(0, Math.max(0, Math.trunc(query.limit)));
    return events;
  };

  /** Deletes one page of events older than `before` with their id keys; resolves to how many, or undefined when none are left. */
  const evictPage = (before: number): Promise<number | undefined> =>
    context.optimistic('write to', 'the status history', async () => {
      const response = await ns
        .getAll()
        .inRange({ start: keys.historyEvents, end: keys.historyEventsFrom(clampTime(before)) })
        .sort('Key', 'Ascend')
        .limit(eventsPerTxn)
        .exec();
      context.observe(response.header);
      if (response.kvs.length === 0) return { done: undefined };
      const [first, ...rest] = response.kvs;
      let txn = ns.if(keyOf(first!), 'Mod', '==', first!.mod_revision);
      for (const kv of rest) txn = txn.and(keyOf(kv), 'Mod', '==', kv.mod_revision);
      const deletes = response.kvs.flatMap((kv) => {
        const key = keyOf(kv);
        const event = parseJson(key, text(kv), isEvent);
        return [ns.delete().key(key), ns.delete().key(keys.historyId(event.id))];
      });
      const committed = await txn.then(...deletes).commit();
      context.observe(committed.header);
      return committed.succeeded ? { done: response.kvs.length } : retry;
    });

  const evict = async (before: number): Promise<number> => {
    const cut = Math.ceil(before);
    let dropped = 0;
    for (;;) {
      const page = await evictPage(cut);
      if (page === undefined) return dropped;
      dropped += page;
    }
  };

  const latest = async (): Promise<HistoryEvent[]> => {
    const newest = new Map<string, HistoryEvent>();
    for (const event of await read(keys.historyEvents, prefixEnd(keys.historyEvents))) {
      if (event.node === undefined) continue;
      const group = JSON.stringify([event.node, event.checker ?? null]);
      // Read oldest first: a later event of the group replaces the one kept, and moves to the end.
      newest.delete(group);
      newest.set(group, event);
    }
    return [...newest.values()];
  };

  return {
    append: (events) => inOrder(() => context.run('write to', () => append(events))),
    list: (query) => context.run('read', () => list(query)),
    evict: (before) => context.run('write to', () => evict(before)),
    latest: () => context.run('read', () => latest()),
  };
}
