// A reader for one mapping of a YAML file (a config section, a hook job). It refuses unknown keys and
// records each malformed or missing value as one problem `<path>: <what is wrong>, got <value>`,
// returning undefined for it, so that a loader reads every key and reports every mistake at once.
// The problems' paths are mapped to lines and columns by src/config/yaml-source.ts.

import { parseDuration } from '../duration.ts';
import { maxStringLength } from './limits.ts';
import { show } from './yaml-source.ts';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @example const cluster = new Fields(data.cluster, 'cluster', problems, ['name']); const name = cluster.string('name', { what: 'a name' });
 */
export class Fields {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly #at: string;
  readonly #problems: string[];

  /** `raw` undefined is an absent section (every key takes its default). */
  constructor(raw: unknown, at: string, problems: string[], allowed: readonly string[]) {
    this.#at = at;
    this.#problems = problems;
    if (raw === undefined || raw === null) {
      this.raw = {};
    } else if (isRecord(raw)) {
      this.raw = raw;
      for (const key of Object.keys(raw)) {
        if (!allowed.includes(key)) this.problem(key, `unknown key (allowed: ${allowed.join(', ')})`);
      }
    } else {
      this.raw = {};
      problems.push(`${at === '' ? '(top level)' : at}: must be a mapping with the keys ${allowed.join(', ')}, got ${show(raw)}`);
    }
  }

  /** The path of one of this mapping's keys. */
  path(key: string): string {
    return this.#at === '' ? key : `${this.#at}.${key}`;
  }

  problem(key: string, message: string): undefined {
    this.#problems.push(`${this.path(key)}: ${message}`);
    return undefined;
  }

  #wrong(key: string, what: string): undefined {
    return this.problem(key, `must be ${what}, got ${show(this.raw[key])}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /**
   * A non-empty string matching `pattern` (described by `what`), of at most `maxLength` characters
   * (maxStringLength by default); `fallback` when absent.
   */
  string(key: string, options: { what: string; pattern?: RegExp; fallback?: string; required?: boolean; maxLength?: number }): string | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) {
      return options.required === true ? this.problem(key, `required: ${options.what}`) : options.fallback;
    }
    if (typeof value !== 'string' || value.trim() === '') return this.#wrong(key, options.what);
    const maxLength = options.maxLength ?? maxStringLength;
    if (value.length > maxLength) return this.#wrong(key, `at most ${maxLength} characters long`);
    if (options.pattern !== undefined && !options.pattern.test(value)) return this.#wrong(key, options.what);
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) return this.#wrong(key, `one of ${values.join(', ')}`);
    return value as T;
  }

  /** true or false; `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') return this.#wrong(key, 'true or false');
    return value;
  }

  /** A whole number in [min, max]. */
  integer(key: string, options: { fallback: number; min: number; max: number }): number | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return options.fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < options.min || value > options.max) {
      return this.#wrong(key, `a whole number from ${options.min} to ${options.max}`);
    }
    return value;
  }

  /**
   * A duration (`500ms`, `1s`, `2m`, `7d`) in milliseconds, from `min` to `max` (written as users
   * write them, e.g. `{ min: '1s', max: '24h' }`).
   */
  duration(key: string, options: { fallback: number; min: string; max: string }): number | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return options.fallback;
    const range = `a duration from ${options.min} to ${options.max}`;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) return this.#wrong(key, `${range}, such as 500ms, 30s, 2m, 1h or 7d`);
    const minMs = parseDuration(options.min) ?? 0;
    const maxMs = parseDuration(options.max) ?? 0;
    if (ms < minMs || ms > maxMs) return this.#wrong(key, range);
    return ms;
  }
}
