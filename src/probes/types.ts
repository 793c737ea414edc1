// The contract every built-in checker implements, and the probe settings they share. A checker is
// one file under src/probes/: an id, a config type with defaults and a validator that reports every
// problem at once, and a check that returns a result (a failing target is a result, never an
// exception). Flap damping and scheduling are not here: the probe machine does them.

/** What one check found. `error` is one line that tells the operator what is wrong. */
export interface CheckResult {
  status: 'running' | 'failed';
  error?: string;
}

export type ProbeSeverity = 'critical' | 'warning';

/** What a check gets besides its own config. */
export interface CheckContext {
  /** Aborted at the probe's deadline: a check must stop its work (and kill its processes) then. */
  signal: AbortSignal;
  /** The probe's timeout in milliseconds (the deadline the signal enforces). */
  timeoutMs: number;
  /** The agent's state directory (disk-space watches it by default). */
  stateDir: string;
}

/** A checker: `C` is its own compiled config (the probe's checker-specific keys, defaulted). */
export interface Checker<C = unknown> {
  /** The `checker:` name in the config, and the probe's default name. */
  readonly id: string;
  /** One line for docs and `--help`. */
  readonly description: string;
  /** The checker-specific keys it accepts, for unknown-key errors. */
  readonly keys: readonly string[];
  /** Validates and defaults the checker-specific keys; pushes every problem as `<at>.<key>: ...`. */
  compile(raw: Readonly<Record<string, unknown>>, at: string, problems: string[], context: { stateDir: string }): C | undefined;
  check(config: C, context: CheckContext): Promise<CheckResult>;
}

/** The settings every probe has, whatever its checker (compiled, with defaults). */
export interface ProbeSettings {
  /** Unique per node; defaults to the checker id. */
  name: string;
  checker: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before the probe is `failed` (Consul's failures_before_critical). */
  failuresBeforeFailed: number;
  /** Consecutive successes before a failed probe is `running` again. */
  successesBeforeRunning: number;
  severity: ProbeSeverity;
}

/** A compiled probe: shared settings plus its checker's own config. */
export interface ProbeSpec extends ProbeSettings {
  config: unknown;
  /** The entry as written (plain data): what crosses to the probes' worker thread, compiled again there. */
  source: Readonly<Record<string, unknown>>;
}
