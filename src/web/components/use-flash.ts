// A set of ids that is lit for a moment: the chart's edges flash when the actor takes them.

import { useEffect, useRef, useState } from 'preact/hooks';

/** How long taken transitions stay lit. */
export const flashMs = 800;

/**
 * @example const [flashing, flash] = useFlash(); flash(['t3_0']); // lit for flashMs
 */
export function useFlash(durationMs = flashMs): [ReadonlySet<string>, (ids: readonly string[]) => void] {
  const [lit, setLit] = useState<ReadonlySet<string>>(() => new Set());
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const flash = (ids: readonly string[]): void => {
    window.clearTimeout(timer.current);
    setLit(new Set(ids));
    if (ids.length > 0) timer.current = window.setTimeout(() => setLit(new Set()), durationMs);
  };
  return [lit, flash];
}
