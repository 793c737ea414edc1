// The probe machine with its effect provided: `runCheck` compiles the probe's checker config (once)
// and runs the checker with an abort signal that fires when the machine's deadline stops the check.
// This is the `probe` actor of the registry; it runs on the probes' worker thread.

import { performance } from 'node:perf_hooks';
import { fromPromise } from 'xstate';
import { probeMachine } from '../machines/probe.ts';
import type { RunCheckInput, RunCheckOutput } from '../machines/probe.ts';
import { checkers } from '../probes/index.ts';
import '../probes/checkers.ts';

/** Compiled checker configs, by checker and source, so that a probe compiles its config once. */
const compiled = new Map<string, unknown>();

function compiledConfig(input: RunCheckInput): { config: unknown } | { error: string } {
  const checker = checkers.get(input.checker);
  if (checker === undefined) return { error: `unknown checker ${JSON.stringify(input.checker)}` };
  const key = `${input.checker}\u0000${JSON.stringify(input.config)}`;
  if (compiled.has(key)) return { config: compiled.get(key) };
  const problems: string[] = [];
  const raw = (typeof input.config === 'object' && input.config !== null ? input.config : {}) as Record<string, unknown>;
  const config = checker.compile(raw, 'probe', problems, { stateDir: input.stateDir });
  if (config === undefined || problems.length > 0) return { error: `invalid probe config: ${problems.join('; ')}` };
  compiled.set(key, config);
  return { config };
}

/**
 * @example builtinActors.probe = probeLogic; // start: { actor: 'probe', input: ProbeInput }
 */
export const probeLogic = probeMachine.provide({
  actors: {
    runCheck: fromPromise<RunCheckOutput, RunCheckInput>(async ({ input, signal }) => {
      const checkedAt = Date.now();
      const started = performance.now();
      const prepared = compiledConfig(input);
      if ('error' in prepared) return { status: 'failed', error: prepared.error, checkedAt, durationMs: 0 };
      const checker = checkers.get(input.checker)!;
      const result = await checker.check(prepared.config, { signal, timeoutMs: input.timeoutMs, stateDir: input.stateDir });
      return { ...result, checkedAt, durationMs: Math.round(performance.now() - started) };
    }),
  },
});
