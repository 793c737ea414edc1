// How long the event loop has stalled lately, from Node's own event-loop delay histogram
// (perf_hooks.monitorEventLoopDelay): the watchdog withholds its ping after a long stall even when
// its own timer happened to fire on time.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoopStallSource } from './watchdog.ts';

export interface LoopStallMonitor extends LoopStallSource {
  stop(): void;
}

/**
 * @example const stalls = monitorLoopStalls(); stalls.takeMaxStallMs(); // ms; stalls.stop() when done
 */
export function monitorLoopStalls(resolutionMs = 20): LoopStallMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    takeMaxStallMs() {
      // max is in nanoseconds and includes the sampling resolution itself.
      const max = histogram.count === 0 ? 0 : Math.max(0, histogram.max / 1e6 - resolutionMs);
      histogram.reset();
      return max;
    },
    stop() {
      histogram.disable();
    },
  };
}
