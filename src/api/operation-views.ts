// Operations as the Control Panel sends them, whatever their size in the store: a summary per
// operation for lists (counts of its leaves by state, a short description) and, for one operation at a
// time, its plan tree with every text cut to a limit and, past a size budget, its remaining phases left
// out and counted. Pure: the store reads and the caching are panel-operations.ts's.

import { leaves, resolvePlan } from '../plan/phase-state.ts';
import type { Operation, Phase, PhaseChange, PhaseExecutor, PhaseSpec } from '../plan/types.ts';
import type { OperationHeadline, OperationRecord } from '../store/types.ts';
import type { OperationDetailResponse, OperationSummary, PhaseCounts } from './panel-protocol.ts';
import { truncateText } from './truncated-text.ts';

/** How much of a list an executor or a phase's requirements may show. */
const maxListItems = 64;

export interface DetailLimits {
  /** Every text is cut to this many characters. */
  textChars: number;
  /** The phases shown stop once their estimated JSON reaches this many bytes. */
  budgetBytes: number;
}

/** A plan cut to its limits, with the whole plan's shape (ids only) to count and derive states from. */
export interface BoundedPlan {
  /** Ids and children only: small, and enough to rebuild every phase's state. */
  skeleton: PhaseSpec;
  /** The phases that fit the budget, texts cut; a prefix of the plan in depth-first order. */
  shown: PhaseSpec;
  /** Phases in the plan, the root not counted. */
  phaseCount: number;
  omittedPhases: number;
}

/** The plan's ids and shape only. */
export function planSkeleton(spec: PhaseSpec): PhaseSpec {
  return { id: spec.id, description: '', requires: [], phases: spec.phases.map(planSkeleton) };
}

function emptyCounts(): PhaseCounts {
  return { unstarted: 0, in_progress: 0, completed: 0, failed: 0, rolled_back: 0 };
}

/** How many leaves of the plan are in each state. */
export function phaseCounts(skeleton: PhaseSpec, changes: readonly PhaseChange[]): PhaseCounts {
  const counts = emptyCounts();
  for (const leaf of leaves(resolvePlan(skeleton, changes))) counts[leaf.state] += 1;
  return counts;
}

/**
 * The summary of an operation from its headline (description head of more than `textChars`
 * characters when it is longer) and its leaf counts.
 */
export function operationSummary(headline: OperationHeadline, counts: PhaseCounts, textChars: number): OperationSummary {
  const { descriptionHead, descriptionBytes, ...rest } = headline;
  return { ...rest, description: truncateText(descriptionHead, textChars, descriptionBytes), descriptionBytes, phases: counts };
}

function boundList(items: readonly string[], textChars: number): string[] {
  const kept = items.slice(0, maxListItems).map((item) => truncateText(item, textChars));
  if (items.length > maxListItems) kept.push(`… [truncated: ${items.length - maxListItems} more]`);
  return kept;
}

function boundExecutor(executor: PhaseExecutor, textChars: number): PhaseExecutor {
  switch (executor.kind) {
    case 'run': {
      const entries = Object.entries(executor.env);
      const env: Record<string, string> = {};
      for (const [key, value] of entries.slice(0, maxListItems)) env[truncateText(key, textChars)] = truncateText(value, textChars);
      if (entries.length > maxListItems) env['…'] = `[truncated: ${entries.length - maxListItems} more]`;
      return {
        ...executor,
        argv: boundList(executor.argv, textChars),
        ...(executor.rollback === undefined ? {} : { rollback: boundList(executor.rollback, textChars) }),
        env,
        ...(executor.workingDir === undefined ? {} : { workingDir: truncateText(executor.workingDir, textChars) }),
      };
    }
    case 'hook':
      return { ...executor, hook: truncateText(executor.hook, textChars) };
    default:
      return { ...executor };
  }
}

/** One phase with its texts cut, without its children. */
function boundPhase(spec: PhaseSpec, textChars: number): PhaseSpec {
  const bounded: PhaseSpec = {
    id: truncateText(spec.id, textChars),
    description: truncateText(spec.description, textChars),
    requires: boundList(spec.requires, textChars),
    phases: [],
  };
  if (spec.node !== undefined) bounded.node = truncateText(spec.node, textChars);
  if (spec.parallel !== undefined) bounded.parallel = spec.parallel;
  if (spec.executor !== undefined) bounded.executor = boundExecutor(spec.executor, textChars);
  return bounded;
}

/**
 * The plan cut to the limits: depth first, each phase's texts cut, and once the phases taken reach
 * the budget (counting room for each one's state, time and error), every later phase left out.
 */
export function boundPlan(spec: PhaseSpec, limits: DetailLimits): BoundedPlan {
  // Room for a phase's state, time and error (cut to textChars, escaped at worst to 6 bytes a character).
  const perPhaseExtra = 120 + limits.textChars * 6;
  let used = 0;
  let phaseCount = 0;
  let omittedPhases = 0;
  const take = (phase: PhaseSpec): PhaseSpec | undefined => {
    const bounded = boundPhase(phase, limits.textChars);
    const size = JSON.stringify(bounded).length + perPhaseExtra;
    if (used + size > limits.budgetBytes) return undefined;
    used += size;
    return bounded;
  };
  const visit = (phase: PhaseSpec, into: PhaseSpec | undefined): void => {
    for (const child of phase.phases) {
      phaseCount += 1;
      const taken = into === undefined || omittedPhases > 0 ? undefined : take(child);
      if (taken === undefined) omittedPhases += 1;
      else into?.phases.push(taken);
      visit(child, taken);
    }
  };
  const shown = boundPhase(spec, limits.textChars);
  used = JSON.stringify(shown).length + perPhaseExtra;
  visit(spec, shown);
  return { skeleton: planSkeleton(spec), shown, phaseCount, omittedPhases };
}

/** Every phase of a resolved plan by id. */
function byId(root: Phase): Map<string, Phase> {
  const found = new Map<string, Phase>();
  const visit = (phase: Phase): void => {
    found.set(phase.id, phase);
    phase.phases.forEach(visit);
  };
  visit(root);
  return found;
}

/**
 * One operation with its bounded plan: the states, times and errors from the changelog (errors cut
 * too), each group's state that of the whole plan's group, not only of the children shown.
 */
export function operationDetail(
  record: Omit<OperationRecord, 'plan'>,
  plan: BoundedPlan,
  changes: readonly PhaseChange[],
  textChars: number,
): OperationDetailResponse {
  const whole = byId(resolvePlan(plan.skeleton, changes));
  const shown = resolvePlan(plan.shown, changes);
  const settle = (phase: Phase): void => {
    const full = whole.get(phase.id);
    if (full !== undefined) {
      phase.state = full.state;
      if (full.updated === undefined) delete phase.updated;
      else phase.updated = full.updated;
    }
    if (phase.error !== undefined) phase.error = truncateText(phase.error, textChars);
    phase.phases.forEach(settle);
  };
  settle(shown);
  const operation: Operation = { ...record, description: truncateText(record.description, textChars), plan: shown };
  return { operation, phaseCount: plan.phaseCount, omittedPhases: plan.omittedPhases };
}
