// The operations the Control Panel serves, read from the store once per change of the store and
// shared by every client: the list of summaries and each operation's bounded detail are serialized
// once per store version, and a plan (written once, never changed) is read and cut to its limits once
// per operation. However large an operation is in the store, an answer stays within panel-limits.ts.

import { GravityError } from '../errors.ts';
import type { OperationStore } from '../store/types.ts';
import type { BoundedPlan } from './operation-views.ts';
import { boundPlan, operationDetail, operationSummary, phaseCounts } from './operation-views.ts';
import { panelLimits } from './panel-limits.ts';
import type { OperationDetailResponse, OperationsResponse } from './panel-protocol.ts';

export interface PanelOperations {
  /** The newest operations' summaries. */
  list(): Promise<OperationsResponse>;
  /** `list()` as JSON, serialized once per store version. */
  listJson(): Promise<string>;
  /** One operation's bounded detail as JSON (at most panelLimits.detailBytes); E_OPERATION_NOT_FOUND for an unknown id. */
  detailJson(id: string): Promise<string>;
}

export interface PanelOperationsOptions {
  operations: OperationStore;
  /** Changes whenever the store may have changed (SQLite's data_version). */
  version: () => number;
  limits?: Pick<typeof panelLimits, 'operationsListed' | 'summaryTextChars' | 'detailTextChars' | 'detailBytes'>;
  /** How many plans are kept cut and ready (the least recently used go first). */
  plansKept?: number;
}

interface Cached<T> {
  version: number;
  value: T;
}

/**
 * @example const operations = panelOperations({ operations: store.operations, version: () => store.dataVersion() }); reply.send(await operations.listJson());
 */
export function panelOperations(options: PanelOperationsOptions): PanelOperations {
  const { operations } = options;
  const limits = options.limits ?? panelLimits;
  const plansKept = options.plansKept ?? 2 * limits.operationsListed;
  // Map order is use order: the first entry is the least recently used.
  const plans = new Map<string, BoundedPlan>();
  const details = new Map<string, Cached<string>>();
  // The read of a version is shared while it runs: clients asking at once read the store once.
  let listCache: Cached<Promise<{ response: OperationsResponse; json: string }>> | undefined;

  const planOf = async (id: string): Promise<BoundedPlan | undefined> => {
    let plan = plans.get(id);
    if (plan !== undefined) {
      plans.delete(id);
    } else {
      const record = await operations.get(id);
      if (record === undefined) return undefined;
      // The bytes left for the phases once the operation's own fields are counted.
      plan = boundPlan(record.plan, { textChars: limits.detailTextChars, budgetBytes: limits.detailBytes - 16 * 1024 - limits.detailTextChars * 6 });
    }
    plans.set(id, plan);
    for (const oldest of plans.keys()) {
      if (plans.size <= plansKept) break;
      plans.delete(oldest);
      details.delete(oldest);
    }
    return plan;
  };

  const readList = async (): Promise<{ response: OperationsResponse; json: string }> => {
    const summaries: OperationsResponse['operations'] = [];
    for (const headline of await operations.headlines(limits.operationsListed, limits.summaryTextChars + 1)) {
      const plan = await planOf(headline.id);
      if (plan === undefined) continue;
      summaries.push(operationSummary(headline, phaseCounts(plan.skeleton, await operations.changes(headline.id)), limits.summaryTextChars));
    }
    const response: OperationsResponse = { operations: summaries };
    return { response, json: JSON.stringify(response) };
  };

  const currentList = (): Promise<{ response: OperationsResponse; json: string }> => {
    const version = options.version();
    if (listCache?.version === version) return listCache.value;
    const cache = { version, value: readList() };
    listCache = cache;
    // A failed read is not kept: the next request reads again.
    cache.value.catch(() => {
      if (listCache === cache) listCache = undefined;
    });
    return cache.value;
  };

  const buildDetail = async (id: string): Promise<string> => {
    const headline = await operations.headline(id, limits.detailTextChars + 1);
    const plan = headline === undefined ? undefined : await planOf(id);
    if (headline === undefined || plan === undefined) throw new GravityError('E_OPERATION_NOT_FOUND', `operation ${id} not found`);
    const { descriptionHead, descriptionBytes: _bytes, ...rest } = headline;
    const detail = operationDetail({ ...rest, description: descriptionHead }, plan, await operations.changes(id), limits.detailTextChars);
    const json = JSON.stringify(detail);
    if (Buffer.byteLength(json) <= limits.detailBytes) return json;
    // Errors full of escaped characters can still overflow the estimate: then the plan's root alone.
    const rootOnly: OperationDetailResponse = {
      operation: { ...detail.operation, plan: { ...detail.operation.plan, phases: [] } },
      phaseCount: detail.phaseCount,
      omittedPhases: detail.phaseCount,
    };
    return JSON.stringify(rootOnly);
  };

  return {
    list: async () => (await currentList()).response,
    listJson: async () => (await currentList()).json,
    async detailJson(id) {
      const version = options.version();
      const cached = details.get(id);
      if (cached?.version === version && plans.has(id)) return cached.value;
      const json = await buildDetail(id);
      if (plans.has(id)) details.set(id, { version, value: json });
      return json;
    },
  };
}
