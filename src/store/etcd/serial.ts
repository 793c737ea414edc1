// Calls that must take effect in the order they were made (history appends, changelog appends) run
// one after another through a queue: the interface lets a writer make the next call before the
// previous one has resolved, and etcd would otherwise commit them in whatever order they arrive.

/**
 * A queue: each task starts when the one before it has settled.
 * @example const inOrder = serial(); await inOrder(() => append(events));
 */
export function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}
