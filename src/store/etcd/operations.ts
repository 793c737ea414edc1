// Operations in etcd: each operation's record (its own state) apart from its plan (written once, so
// that listing headlines never reads plans), an order key per operation so that "newest first" is a
// range read, the append-only changelog numbered by a per-operation counter taken in the same
// transaction as the change (the order kept is the order committed), and the process groups of
// running phases. Every write that needs its operation to exist checks it in its transaction. The
// lock lives in lock.ts.

import type { IKeyValue } from 'etcd3';
import { GravityError } from '../../errors.ts';
import type { OperationState, PhaseChange, PhaseProcess, PhaseSpec } from '../../plan/types.ts';
import type { OperationHeadline, OperationRecord, OperationStore } from '../types.ts';
import { damaged } from './errors.ts';
import { getKv, isObject, keyOf, parseJson, retry, scan, text } from './context.ts';
import type { EtcdContext } from './context.ts';
import { keys, prefixEnd } from './keys.ts';
import { readCounter } from './sequence.ts';
import { serial } from './serial.ts';

/** An operation as its record key holds it: everything but the plan. */
type StoredOperation = Omit<OperationRecord, 'plan'>;

function isOperation(value: unknown): value is StoredOperation {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    typeof value.description === 'string' &&
    typeof value.state === 'string' &&
    typeof value.created === 'number' &&
    typeof value.updated === 'number' &&
    (value.rolledBack === undefined || value.rolledBack === true)
  );
}

function isPlan(value: unknown): value is PhaseSpec {
  return isObject(value) && typeof value.id === 'string' && Array.isArray(value.phases);
}

function isChange(value: unknown): value is PhaseChange {
  return (
    isObject(value) &&
    typeof value.operationId === 'string' &&
    typeof value.phaseId === 'string' &&
    typeof value.state === 'string' &&
    typeof value.time === 'number' &&
    (value.error === undefined || typeof value.error === 'string')
  );
}

function isProcess(value: unknown): value is PhaseProcess {
  return (
    isObject(value) &&
    typeof value.operationId === 'string' &&
    typeof value.phaseId === 'string' &&
    typeof value.pgid === 'number' &&
    typeof value.hostname === 'string' &&
    typeof value.since === 'number' &&
    (value.startTime === undefined || typeof value.startTime === 'number')
  );
}

function storedOperation(record: StoredOperation): StoredOperation {
  return {
    id: record.id,
    type: record.type,
    description: record.description,
    state: record.state,
    created: record.created,
    updated: record.updated,
    ...(record.rolledBack === true ? { rolledBack: true } : {}),
  };
}

function storedChange(change: PhaseChange): PhaseChange {
  return {
    operationId: change.operationId,
    phaseId: change.phaseId,
    state: change.state,
    time: change.time,
    ...(change.error === undefined ? {} : { error: change.error }),
  };
}

function storedProcess(recorded: PhaseProcess): PhaseProcess {
  return {
    operationId: recorded.operationId,
    phaseId: recorded.phaseId,
    pgid: recorded.pgid,
    hostname: recorded.hostname,
    since: recorded.since,
    ...(recorded.startTime === undefined ? {} : { startTime: recorded.startTime }),
  };
}

/** The first `chars` characters (code points, as SQLite's substr counts them). */
function head(description: string, chars: number): string {
  const count = Math.max(0, Math.trunc(chars));
  return Array.from(description).slice(0, count).join('');
}

function toHeadline(record: StoredOperation, descriptionChars: number): OperationHeadline {
  const headline: OperationHeadline = {
    id: record.id,
    type: record.type,
    descriptionHead: head(record.description, descriptionChars),
    descriptionBytes: Buffer.byteLength(record.description),
    state: record.state,
    created: record.created,
    updated: record.updated,
  };
  if (record.rolledBack === true) headline.rolledBack = true;
  return headline;
}

function notFound(operationId: string): GravityError {
  return new GravityError('E_OPERATION_NOT_FOUND', `operation ${operationId} not found`);
}

/**
 * The operations of an etcd store, but for the lock (lock.ts).
 * @example const operations = etcdOperations(context); await operations.create({ id, type: 'custom', description, created, plan });
 */
export function etcdOperations(context: EtcdContext): Omit<OperationStore, 'acquireLock' | 'releaseLock' | 'lockHolder'> {
  const { ns } = context;
  const changesInOrder = serial();

  const readRecord = async (id: string): Promise<{ record: StoredOperation; kv: IKeyValue } | undefined> => {
    const key = keys.operationRecord(id);
    const kv = await getKv(context, key);
    return kv === undefined ? undefined : { record: storedOperation(parseJson(key, text(kv), isOperation)), kv };
  };

  const withPlan = async (record: StoredOperation): Promise<OperationRecord> => {
    const key = keys.operationPlan(record.id);
    const kv = await getKv(context, key);
    if (kv === undefined) throw damaged(key);
    return { ...record, plan: parseJson(key, text(kv), isPlan) };
  };

  /** The ids of the newest `limit` operations (all of them when undefined), newest first. */
  const newestIds = async (limit?: number): Promise<string[]> => {
    if (limit !== undefined && limit <= 0) return [];
    let range = ns.getAll().inRange({ start: keys.operationOrder, end: prefixEnd(keys.operationOrder) }).sort('Key', 'Descend');
    if (limit !== undefined) range = range.limit(limit);
    const response = await range.exec();
    context.observe(response.header);
    return response.kvs.map(text);
  };

  const records = async (ids: readonly string[]): Promise<StoredOperation[]> => {
    const found = await Promise.all(ids.map(readRecord));
    return found.flatMap((entry) => (entry === undefined ? [] : [entry.record]));
  };

  const create = (record: Omit<OperationRecord, 'state' | 'updated'>): Promise<void> =>
    context.optimistic('write to', 'the operations', async () => {
      if ((await readRecord(record.id)) !== undefined) throw new GravityError('E_OPERATION_EXISTS', `operation ${record.id} already exists`);
      const counter = await readCounter(context, keys.operationSeq);
      const seq = counter.value + 1;
      const stored = storedOperation({ ...record, state: 'in_progress', updated: record.created });
      const response = await ns
        .if(keys.operationSeq, 'Mod', '==', counter.modRevision)
        .and(keys.operationRecord(record.id), 'Version', '==', 0)
        .then(
          ns.put(keys.operationSeq).value(String(seq)),
          ns.put(keys.operationRecord(record.id)).value(JSON.stringify(stored)),
          ns.put(keys.operationPlan(record.id)).value(JSON.stringify(record.plan)),
          ns.put(keys.operationOrderOf(record.created, seq)).value(record.id),
        )
        .commit();
      context.observe(response.header);
      return response.succeeded ? { done: undefined } : retry;
    });

  const appendChange = (change: PhaseChange): Promise<void> =>
    context.optimistic('write to', `the changelog of operation ${change.operationId}`, async () => {
      const operation = await readRecord(change.operationId);
      if (operation === undefined) throw notFound(change.operationId);
      const counter = await readCounter(context, keys.changeSeq(change.operationId));
      const seq = counter.value + 1;
      const response = await ns
        .if(counter.key, 'Mod', '==', counter.modRevision)
        .and(keys.operationRecord(change.operationId), 'Version', '>', 0)
        .then(ns.put(counter.key).value(String(seq)), ns.put(keys.change(change.operationId, seq)).value(JSON.stringify(storedChange(change))))
        .commit();
      context.observe(response.header);
      return response.succeeded ? { done: undefined } : retry;
    });

  const setState = (operationId: string, state: OperationState, time: number, rolledBack?: boolean): Promise<void> =>
    context.optimistic('write to', `operation ${operationId}`, async () => {
      const current = await readRecord(operationId);
      if (current === undefined) throw notFound(operationId);
      // rolledBack describes the state being set: left out, the operation is not (or no longer) rolled back.
      const updated = storedOperation({ ...current.record, state, updated: time, rolledBack: rolledBack === true ? true : undefined });
      const key = keys.operationRecord(operationId);
      const response = await ns.if(key, 'Mod', '==', current.kv.mod_revision).then(ns.put(key).value(JSON.stringify(updated))).commit();
      context.observe(response.header);
      return response.succeeded ? { done: undefined } : retry;
    });

  const recordPhaseProcess = async (recorded: PhaseProcess): Promise<void> => {
    if (!Number.isSafeInteger(recorded.pgid) || recorded.pgid <= 1) throw new RangeError(`a phase's process group id must be an integer above 1, got ${recorded.pgid}`);
    await context.run('write to', async () => {
      const response = await ns
        .if(keys.operationRecord(recorded.operationId), 'Version', '>', 0)
        .then(ns.put(keys.process(recorded.operationId, recorded.phaseId, recorded.pgid)).value(JSON.stringify(storedProcess(recorded))))
        .commit();
      context.observe(response.header);
      if (!response.succeeded) throw notFound(recorded.operationId);
    });
  };

  return {
    create,
    get: (id) =>
      context.run('read', async () => {
        const found = await readRecord(id);
        return found === undefined ? undefined : withPlan(found.record);
      }),
    last: () =>
      context.run('read', async () => {
        const [id] = await newestIds(1);
        if (id === undefined) return undefined;
        const found = await readRecord(id);
        return found === undefined ? undefined : withPlan(found.record);
      }),
    list: () => context.run('read', async () => Promise.all((await records(await newestIds())).map(withPlan))),
    headlines: (limit, descriptionChars) =>
      context.run('read', async () => (await records(await newestIds(Math.max(0, Math.trunc(limit))))).map((record) => toHeadline(record, descriptionChars))),
    headline: (id, descriptionChars) =>
      context.run('read', async () => {
        const found = await readRecord(id);
        return found === undefined ? undefined : toHeadline(found.record, descriptionChars);
      }),
    appendChange: (change) => changesInOrder(() => appendChange(change)),
    changes: (operationId) =>
      context.run('read', async () => (await scan(context, keys.changesOf(operationId))).map((kv) => storedChange(parseJson(keyOf(kv), text(kv), isChange)))),
    setState,
    recordPhaseProcess,
    clearPhaseProcess: (operationId, phaseId, pgid) =>
      context.run('write to', async () => {
        const response = await ns.delete().key(keys.process(operationId, phaseId, pgid)).exec();
        context.observe(response.header);
      }),
    phaseProcesses: (operationId) =>
      context.run('read', async () => {
        const found = (await scan(context, keys.processesOf(operationId))).map((kv) => ({ recorded: storedProcess(parseJson(keyOf(kv), text(kv), isProcess)), revision: BigInt(kv.mod_revision) }));
        // Oldest first; of one millisecond, the one recorded (or recorded again) first.
        found.sort((a, b) => a.recorded.since - b.recorded.since || (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
        return found.map((entry) => entry.recorded);
      }),
  };
}
