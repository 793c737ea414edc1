// Checks whose work cannot be cancelled (a statfs on a hung NFS mount, a getaddrinfo lookup) still
// have to answer by the probe's deadline: the check races the work against the abort signal and
// reports a timeout, leaving the stray operation to finish on its own.

export type Raced<T> = { done: true; value: T } | { done: false };

/**
 * Resolves with the work's value, or `{ done: false }` when the signal fires first.
 * Rejections of `work` are passed through.
 * @example const raced = await untilAborted(statfs(path), signal); if (!raced.done) return timedOut();
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<Raced<T>> {
  if (signal.aborted) {
    // The work still runs; do not let its eventual rejection go unhandled.
    work.catch(() => undefined);
    return Promise.resolve({ done: false });
  }
  return new Promise<Raced<T>>((resolve, reject) => {
    const onAbort = (): void => resolve({ done: false });
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ done: true, value });
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The standard message for a check cut short by its deadline. */
export function timedOut(timeoutMs: number, doing: string): string {
  return `timed out after ${timeoutMs}ms ${doing}`;
}
