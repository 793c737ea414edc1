// Following a request on an operation: starts it, then yields what it reports, in order, and returns
// its answer (or throws its error). The agent streams this over its control socket; a CLI running the
// subtree itself reads the very same sequence. A follower that leaves (its signal aborts) stops
// following only: the run goes on.

import type { OperationRequest } from '../machines/operation.ts';
import type { OperationAnswer, OperationProgress, RunOutcome } from './operation-run.ts';
import type { OperationsService } from './operations-service.ts';

/** The first item of a followed run: the request was accepted, and where its actor runs. */
export interface OperationAccepted {
  kind: 'accepted';
  operationId: string;
  /** The operation actor's path in the tree, e.g. `agent/operations/operation:<id>`. */
  path: string;
}

export type OperationStreamItem = OperationAccepted | OperationProgress;

/**
 * @example
 * const steps = followRun(service, { action: 'resume', operationId }, signal);
 * for (let next = await steps.next(); !next.done; next = await steps.next()) show(next.value);
 */
export async function* followRun(
  service: OperationsService,
  request: OperationRequest,
  signal: AbortSignal,
): AsyncGenerator<OperationStreamItem, OperationAnswer, undefined> {
  const queue: OperationProgress[] = [];
  let wake: (() => void) | undefined;
  const run = await service.start(request);
  const stopFollowing = run.follow((progress) => {
    queue.push(progress);
    wake?.();
  });
  let outcome: RunOutcome | undefined;
  void run.outcome.then((settled) => {
    outcome = settled;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    yield { kind: 'accepted', operationId: request.operationId, path: service.pathOf(request.operationId) };
    for (;;) {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) yield item;
      if (signal.aborted) return {};
      if (outcome !== undefined) {
        if (outcome.ok) return outcome.answer;
        throw outcome.error;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stopFollowing();
    signal.removeEventListener('abort', onAbort);
  }
}
