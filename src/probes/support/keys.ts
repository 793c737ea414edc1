// Readers for a checker's own config keys. Every checker validates its keys the same way: a missing
// or malformed value becomes one problem `<at>.<key>: <what is wrong>, got <value>` and the reader
// returns undefined, so that a checker's compile() can read all of its keys and report every problem
// at once instead of stopping at the first.

import { show } from '../../config/yaml-source.ts';
import { formatDuration, parseDuration } from '../../duration.ts';


/** host:port with a port in 1..65535; IPv6 hosts in brackets (`[::1]:80`). */
export interface HostPort {
  host: string;
  port: number;
}

/** Splits `host:port`; undefined when it is not one. */
export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (host === undefined || host === '' || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Formats a host and port back into `host:port` (brackets around IPv6). */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Reads one checker's keys from the raw probe entry, pushing `<at>.<key>: ...` problems.
 * @example const keys = new KeyReader(raw, 'probes[0]', problems); const address = keys.hostPort('address', { required: true });
 */
export class KeyReader {
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #at: string;
  readonly #problems: string[];

  constructor(raw: Readonly<Record<string, unknown>>, at: string, problems: string[]) {
    this.#raw = raw;
    this.#at = at;
    this.#problems = problems;
  }

  /** Records a problem with a key (for checks across keys). */
  problem(key: string, message: string): void {
    this.#problems.push(`${this.#at}.${key}: ${message}`);
  }

  has(key: string): boolean {
    return this.#raw[key] !== undefined;
  }

  #missing(key: string, what: string): undefined {
    this.problem(key, `required: ${what}`);
    return undefined;
  }

  #wrong(key: string, what: string): undefined {
    this.problem(key, `must be ${what}, got ${show(this.#raw[key])}`);
    return undefined;
  }

  /** A non-empty string; `pattern` further restricts it (described by `what`). */
  string(key: string, options: { required: true; what: string; pattern?: RegExp }): string | undefined;
  string(key: string, options: { required?: false; what: string; pattern?: RegExp; fallback: string }): string | undefined;
  string(key: string, options: { required?: false; what: string; pattern?: RegExp }): string | undefined;
  string(key: string, options: { required?: boolean; what: string; pattern?: RegExp; fallback?: string }): string | undefined {
    const value = this.#raw[key];
    if (value === undefined) return options.required === true ? this.#missing(key, options.what) : options.fallback;
    if (typeof value !== 'string' || value.trim() === '') return this.#wrong(key, options.what);
    if (options.pattern !== undefined && !options.pattern.test(value)) return this.#wrong(key, options.what);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean | undefined {
    const value = this.#raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return this.#wrong(key, 'true or false');
    return value;
  }

  /** A number in [min, max]; `integer` demands a whole number. */
  number(key: string, options: { fallback: number; min: number; max: number; integer?: boolean; what?: string }): number | undefined {
    const value = this.#raw[key];
    if (value === undefined) return options.fallback;
    const integer = options.integer === true;
    const what = options.what ?? `${integer ? 'a whole number' : 'a number'} from ${options.min} to ${options.max}`;
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) return this.#wrong(key, what);
    if (value < options.min || value > options.max) return this.#wrong(key, what);
    return value;
  }

  /** A duration string (`100ms`, `1s`) in milliseconds, from `minMs` to `maxMs`. */
  duration(key: string, options: { fallback: number; minMs: number; maxMs: number }): number | undefined {
    const value = this.#raw[key];
    if (value === undefined) return options.fallback;
    const range = `a duration from ${formatDuration(options.minMs)} to ${formatDuration(options.maxMs)}`;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) return this.#wrong(key, `${range}, such as 100ms, 1s or 2m`);
    if (ms < options.minMs || ms > options.maxMs) return this.#wrong(key, range);
    return ms;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T | undefined {
    const value = this.#raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      return this.#wrong(key, `one of ${values.join(', ')}`);
    }
    return value as T;
  }

  /** `host:port`. */
  hostPort(key: string, options: { required: true }): HostPort | undefined;
  hostPort(key: string, options: { fallback: HostPort }): HostPort | undefined;
  hostPort(key: string, options: { required?: true; fallback?: HostPort }): HostPort | undefined {
    const value = this.#raw[key];
    if (value === undefined) return options.required === true ? this.#missing(key, 'host:port, e.g. 127.0.0.1:8080') : options.fallback;
    const parsed = typeof value === 'string' ? parseHostPort(value) : undefined;
    if (parsed === undefined) return this.#wrong(key, 'host:port with a port from 1 to 65535, e.g. 127.0.0.1:8080 or [::1]:8080');
    return parsed;
  }

  /** An absolute http:// or https:// URL (or only the given protocols). */
  url(key: string, options: { required: true; protocols?: readonly string[] }): string | undefined {
    const value = this.#raw[key];
    const protocols = options.protocols ?? ['http:', 'https:'];
    const what = `an ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL, e.g. ${protocols[0]}//127.0.0.1:8080/healthz`;
    if (value === undefined) return this.#missing(key, what);
    if (typeof value !== 'string') return this.#wrong(key, what);
    let url: URL;
    try {
      url = new URL(value);
    } catch (error) {
      return this.#wrong(key, `${what} (${(error as Error).message})`);
    }
    if (!protocols.includes(url.protocol) || url.hostname === '') return this.#wrong(key, what);
    return url.href;
  }

  /** A non-empty list; each element goes through `element` (which returns undefined after pushing its own problem). */
  list<T>(
    key: string,
    options: { required?: boolean; fallback?: T[]; minItems?: number; what: string },
    element: (value: unknown, at: string) => T | undefined,
  ): T[] | undefined {
    const value = this.#raw[key];
    if (value === undefined) return options.required === true ? this.#missing(key, options.what) : options.fallback;
    if (!Array.isArray(value)) return this.#wrong(key, options.what);
    const minItems = options.minItems ?? 1;
    if (value.length < minItems) return this.#wrong(key, options.what);
    const items: T[] = [];
    let bad = false;
    value.forEach((item: unknown, index) => {
      const parsed = element(item, `${key}[${index}]`);
      if (parsed === undefined) bad = true;
      else items.push(parsed);
    });
    return bad ? undefined : items;
  }

  /** For list elements: reports `<at>.<key>[i]: must be <what>, got <value>`. */
  wrongElement(elementAt: string, what: string, value: unknown): undefined {
    this.problem(elementAt, `must be ${what}, got ${show(value)}`);
    return undefined;
  }
}
