// Operations and their plan trees as the operations page lists them: newest first, each plan as
// indented rows, and how far along it is.

import type { OperationSummary } from '../../api/panel-protocol.ts';
import type { Phase, PhaseState } from '../../plan/types.ts';

export interface PhaseRow {
  phase: Phase;
  /** 0 for the plan's top-level phases. */
  depth: number;
}

/** Newest first (by creation), the order of the page. */
export function newestFirst<T extends { created: number }>(operations: readonly T[]): T[] {
  return [...operations].sort((a, b) => b.created - a.created);
}

/** The phases of a plan below its root, depth first, each with its depth. */
export function phaseRows(plan: Phase): PhaseRow[] {
  const rows: PhaseRow[] = [];
  const visit = (phase: Phase, depth: number): void => {
    rows.push({ phase, depth });
    for (const child of phase.phases) visit(child, depth + 1);
  };
  for (const phase of plan.phases) visit(phase, 0);
  return rows;
}

/** How many leaves are in each state. */
export function leafCounts(plan: Phase): Record<PhaseState, number> {
  const counts: Record<PhaseState, number> = { unstarted: 0, in_progress: 0, completed: 0, failed: 0, rolled_back: 0 };
  const visit = (phase: Phase): void => {
    if (phase.phases.length === 0) counts[phase.state] += 1;
    phase.phases.forEach(visit);
  };
  visit(plan);
  return counts;
}

/** The words a phase state is shown with. */
export function phaseStateText(state: PhaseState): string {
  return state.replace('_', ' ');
}

/** How many leaves a summary counts. */
export function summaryLeaves(summary: OperationSummary): number {
  return Object.values(summary.phases).reduce((sum, count) => sum + count, 0);
}

/**
 * What changes in a summary when its operation's plan does (a state, a count, a time): an open
 * operation's plan is fetched again when this changes.
 */
export function summaryVersion(summary: OperationSummary): string {
  const { phases } = summary;
  return [summary.state, summary.updated, summary.rolledBack === true ? 1 : 0, phases.unstarted, phases.in_progress, phases.completed, phases.failed, phases.rolled_back].join(' ');
}
