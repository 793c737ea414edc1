// Operations and their plan trees as the operations page lists them: newest first, each plan as
// indented rows, and how far along it is.

import type { Operation, Phase, PhaseState } from '../../plan/types.ts';

export interface PhaseRow {
  phase: Phase;
  /** 0 for the plan's top-level phases. */
  depth: number;
}

/** Newest first (by creation), the order of the page. */
export function newestFirst(operations: readonly Operation[]): Operation[] {
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
