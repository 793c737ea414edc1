// The config's `store` section: which backend keeps the status history, operations and users. The
// embedded SQLite file needs nothing; an etcd cluster needs its endpoints (at most 16, each
// `http(s)://host:port`, all of one scheme), an optional key prefix, and for https the client's TLS
// files (resolved against the config file's folder). Every mistake is one problem with its path.

import net from 'node:net';
import path from 'node:path';
import type { StoreBackendConfig } from '../store/index.ts';
import { Fields } from './fields.ts';
import { maxEtcdEndpoints, maxEtcdPrefixLength } from './limits.ts';
import { show } from './yaml-source.ts';

const hostPattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/u;
const prefixPattern = /^\/[A-Za-z0-9._/-]*$/u;

/** `http(s)://host:port` with a port from 1 to 65535 (a v6 address in brackets), or undefined. */
export function parseEtcdEndpoint(text: string): { scheme: 'http' | 'https'; url: string } | undefined {
  const match = /^(https?):\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/u.exec(text);
  if (match === null) return undefined;
  const port = Number(match[4]);
  if (port < 1 || port > 65535) return undefined;
  if (match[2] !== undefined && !net.isIPv6(match[2])) return undefined;
  if (match[3] !== undefined && !hostPattern.test(match[3])) return undefined;
  return { scheme: match[1] === 'https' ? 'https' : 'http', url: text };
}

function endpointsOf(fields: Fields): { urls: string[]; scheme?: 'http' | 'https' } | undefined {
  const raw = fields.raw.endpoints;
  if (raw === undefined || raw === null) return fields.problem('endpoints', `required: a list of 1 to ${maxEtcdEndpoints} etcd client URLs, e.g. [http://10.0.0.1:2379]`);
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > maxEtcdEndpoints) {
    return fields.problem('endpoints', `must be a list of 1 to ${maxEtcdEndpoints} etcd client URLs, got ${show(raw)}`);
  }
  const urls: string[] = [];
  const schemes = new Set<string>();
  let valid = true;
  for (const [index, value] of raw.entries()) {
    const parsed = typeof value === 'string' ? parseEtcdEndpoint(value) : undefined;
    if (parsed === undefined) {
      fields.problem(`endpoints[${index}]`, `must be http://host:port or https://host:port with a port from 1 to 65535, got ${show(value)}`);
      valid = false;
      continue;
    }
    urls.push(parsed.url);
    schemes.add(parsed.scheme);
  }
  if (!valid) return undefined;
  if (schemes.size > 1) return fields.problem('endpoints', 'must all be http or all be https');
  return { urls, ...(schemes.has('https') ? { scheme: 'https' as const } : { scheme: 'http' as const }) };
}

/**
 * Compiles the `store` section; undefined when absent (the embedded SQLite store) or wrong (with its problems recorded).
 * @example const store = compileStoreConfig(root.raw.store, baseDir, problems);
 */
export function compileStoreConfig(raw: unknown, baseDir: string, problems: string[]): StoreBackendConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fields = new Fields(raw, 'store', problems, ['kind', 'endpoints', 'prefix', 'tls']);
  const kind = fields.oneOf('kind', ['sqlite', 'etcd'] as const, 'sqlite');
  if (kind === undefined) return undefined;
  if (kind === 'sqlite') {
    for (const key of ['endpoints', 'prefix', 'tls']) if (fields.has(key)) fields.problem(key, 'is only for kind: etcd');
    return { kind: 'sqlite' };
  }
  const before = problems.length;
  const endpoints = endpointsOf(fields);
  const prefix = fields.string('prefix', { what: 'a key prefix starting with / of letters, digits and ._/-, e.g. /gravity/prod/', pattern: prefixPattern, maxLength: maxEtcdPrefixLength });
  const tlsFields = new Fields(fields.raw.tls, 'store.tls', problems, ['ca', 'cert', 'key']);
  const file = (key: string, what: string, required: boolean): string | undefined => {
    const value = tlsFields.string(key, { what, required });
    return value === undefined ? undefined : path.resolve(baseDir, value);
  };
  const hasTls = fields.has('tls');
  const ca = file('ca', "the path of the CA certificate that signed etcd's certificate", hasTls);
  const cert = file('cert', "the path of the client's certificate", false);
  const key = file('key', "the path of the client certificate's key", false);
  if ((cert === undefined) !== (key === undefined) && problems.length === before) fields.problem('tls', 'needs both cert and key, or neither');
  if (endpoints?.scheme === 'https' && !hasTls) fields.problem('tls', 'required for https endpoints: at least ca, the CA that signed etcd\'s certificate');
  if (endpoints?.scheme === 'http' && hasTls) fields.problem('tls', 'is only for https endpoints');
  if (problems.length > before || endpoints === undefined) return undefined;
  return {
    kind: 'etcd',
    endpoints: endpoints.urls,
    ...(prefix === undefined ? {} : { prefix: prefix.endsWith('/') ? prefix : `${prefix}/` }),
    ...(ca === undefined ? {} : { tls: { ca, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) } }),
  };
}
