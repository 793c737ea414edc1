// A backend that works synchronously (the embedded SQLite store) serves the async `Store` interface
// through these: it builds its parts as synchronous objects, and `asynchronous` turns each method's
// result into a Promise and each throw into a rejection. The work itself runs at once, inside the
// call, so calls complete in the order they were made and a transaction stays one synchronous step.

/** The synchronous shape of an async interface: each method returns what its Promise resolves to. */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K];
};

/**
 * The async interface served by a synchronous implementation.
 * @example const operations: OperationStore = asynchronous<OperationStore>(sqliteOperations(db, file, guard));
 */
export function asynchronous<T extends object>(sync: Synchronous<T>): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(sync)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): Promise<unknown> => {
      try {
        return Promise.resolve(method.apply(sync, args));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
  }
  return wrapped as T;
}
