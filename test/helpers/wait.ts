// Integration tests wait for things that happen on other threads or processes. They poll with a
// deadline instead of sleeping a fixed time: fast when things are fast, and a clear failure (naming
// what was awaited) when they never happen.

/** Polls `predicate` every `intervalMs` until it returns true; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `probe` until it returns a value other than undefined, and returns that value. */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'value',
  intervalMs = 10,
): Promise<T> {
  let found: T | undefined;
  await waitFor(
    async () => {
      found = await probe();
      return found !== undefined;
    },
    timeoutMs,
    what,
    intervalMs,
  );
  return found as T;
}
