// One request on an operation, from the moment the operations subtree accepts it to its answer. It
// outlives the incarnations of its `operation:<id>` actor (a crashed one is restarted and resumes the
// same request), carries their progress to whoever follows (the CLI in this process, or a client of
// the agent's control socket), keeps the answer once there is one, and counts the attempts so that a
// request whose actor keeps crashing ends failed instead of looping.

import type { GravityError } from '../errors.ts';
import type { OperationRequest } from '../machines/operation.ts';
import type { ProgressEvent } from '../plan/engine.ts';
import type { Operation } from '../plan/types.ts';
import type { ActorScope } from '../supervisor/actor-scope.ts';

/** What a follower of a run is told: the engine's progress, and the subtree's own notices. */
export type OperationProgress = ProgressEvent | { kind: 'notice'; message: string };

/** A request's answer when it succeeded. */
export interface OperationAnswer {
  /** The operation's state after `resume` and `complete`. */
  state?: Operation['state'];
  /** The leaves in the order they were (or, for a dry run, would be) rolled back. */
  order?: string[];
}

export type RunOutcome = { ok: true; answer: OperationAnswer } | { ok: false; error: GravityError };

/** How many times a request's actor may start (the first run and its resumes after crashes). */
export const maxOperationAttempts = 3;

/**
 * @example
 * const run = new OperationRun({ action: 'resume', operationId });
 * run.follow((progress) => console.log(progress.kind));
 * const outcome = await run.outcome;
 */
export class OperationRun {
  /** Starts of its actor so far. */
  attempts = 0;
  /** The current incarnation's scope, for the tree. */
  scope: ActorScope | undefined;
  /** Set by a stop request; a run that starts after it starts stopped. */
  stopRequested = false;
  readonly outcome: Promise<RunOutcome>;
  private readonly listeners = new Set<(progress: OperationProgress) => void>();
  private resolveOutcome!: (outcome: RunOutcome) => void;
  private settled = false;
  private stopper: (() => void) | undefined;

  constructor(readonly request: OperationRequest) {
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
  }

  get done(): boolean {
    return this.settled;
  }

  /** Adds a follower; returns how to remove it. */
  follow(listener: (progress: OperationProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(progress: OperationProgress): void {
    for (const listener of [...this.listeners]) listener(progress);
  }

  /** The answer, once: later calls are ignored. */
  settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveOutcome(outcome);
  }

  /** What stops the current incarnation's engine; set while one runs. */
  setStopper(stopper: (() => void) | undefined): void {
    this.stopper = stopper;
    if (stopper !== undefined && this.stopRequested) stopper();
  }

  /** Asks the run to stop: its running phases are aborted, their processes killed. */
  stop(): void {
    this.stopRequested = true;
    this.stopper?.();
  }
}
