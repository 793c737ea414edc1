// Reads the agent's one config file (YAML, /etc/gravity/gravity.yaml by default) into its compiled,
// fully defaulted form. Every mistake in the file, and in the application manifest it names, is
// reported at once, each with its line and column, in one E_CONFIG_INVALID; nothing starts from a
// config that has one. With no file at the default place the agent runs a single-node cluster named
// after the host with default probes, so that `gravity start` works on a fresh machine.

import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GravityError } from '../errors.ts';
import { compileProbes } from '../probes/index.ts';
import { defaultProbes } from '../probes/checkers.ts';
import { parseAppManifest } from './app-manifest.ts';
import { Fields } from './fields.ts';
import { readInputFile } from './input-file.ts';
import { listProblems } from './problem-list.ts';
import { compileEtcdConfig } from './etcd-member-config.ts';
import { compileRpcConfig } from './rpc-config.ts';
import { compileStoreConfig } from './store-config.ts';
import type { AppManifest, GravityConfig, NodeRole } from './types.ts';
import { parseYamlSource, placeProblems, show } from './yaml-source.ts';

export const defaultConfigPath = '/etc/gravity/gravity.yaml';
export const defaultStateDir = '/var/lib/gravity';

/** Defaults of the keys that do not depend on the host. */
export const configDefaults = {
  role: 'master' as NodeRole,
  advertiseAddr: '127.0.0.1',
  health: { host: '0.0.0.0', port: 7575 },
  panel: { enabled: true, host: '0.0.0.0', port: 3009 },
  statusHookInterval: '60s',
  statusHookIntervalMs: 60_000,
  historyRetention: '7d',
  historyRetentionMs: 7 * 86_400_000,
} as const;

/** The ranges of the config's durations (docs/configuration.md). */
export const configRanges = {
  statusHookInterval: { min: '1s', max: '24h' },
  historyRetention: { min: '1m', max: '3650d' },
} as const;

export interface LoadConfigOptions {
  /** The config file; `defaultConfigPath` when undefined. */
  configPath?: string;
  /** The user named the file (`--config`): then a missing file is an error, not "use the defaults". */
  explicit: boolean;
  /** `--state-dir`: wins over the file's `stateDir`. */
  stateDirFlag?: string;
  /** The host's name (cluster and node names default to it); os.hostname() when undefined. */
  hostname?: string;
}

const topKeys = ['cluster', 'node', 'stateDir', 'health', 'panel', 'rpc', 'app', 'statusHook', 'history', 'store', 'etcd', 'probes'];
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/u;
const hostnamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/u;

/** `host:port`, `[v6]:port` or `:port` (all interfaces), port 0-65535 (0: any free port). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]*)):(\d{1,5})$/u.exec(text);
  if (match === null) return undefined;
  const host = match[1] ?? (match[2] === '' || match[2] === undefined ? '0.0.0.0' : match[2]);
  const port = Number(match[3]);
  if (port > 65535 || (match[1] !== undefined && net.isIPv6(host) === false)) return undefined;
  return { host, port };
}

function isAdvertiseAddr(value: string): boolean {
  if (value === '0.0.0.0' || value === '::') return false;
  return net.isIP(value) !== 0 || hostnamePattern.test(value);
}

/** The config when there is no file: a single master named after the host. */
export function defaultConfig(options: { hostname: string; stateDir: string }): GravityConfig {
  return {
    cluster: { name: options.hostname },
    node: { name: options.hostname, role: configDefaults.role, advertiseAddr: configDefaults.advertiseAddr },
    stateDir: options.stateDir,
    health: { ...configDefaults.health },
    panel: { ...configDefaults.panel },
    statusHookIntervalMs: configDefaults.statusHookIntervalMs,
    historyRetentionMs: configDefaults.historyRetentionMs,
    probes: defaultProbes(options.stateDir),
  };
}

function readConfigText(file: string, explicit: boolean): string | undefined {
  const read = readInputFile(file, 'config file');
  if ('text' in read) return read.text;
  if (read.reason === 'missing' && !explicit) return undefined;
  if (read.reason === 'too-large') throw new GravityError('E_FILE_TOO_LARGE', read.error);
  throw new GravityError('E_FILE_UNREADABLE', read.error, {
    cause: read.cause,
    hint: read.reason === 'missing' ? `create it (docs/configuration.md has an example), or leave out --config to run with the defaults` : undefined,
  });
}

/**
 * Compiles a config file's text. Returns the config, or every problem as `shown:line:col: path: what`.
 * `file` is the file's absolute path (relative `app` and `stateDir` are resolved against its folder);
 * `shown` is how messages name it.
 */
export function compileConfigText(
  text: string,
  options: { file: string; shown: string; hostname: string; stateDirFlag?: string },
): { config: GravityConfig } | { problems: string[] } {
  const source = parseYamlSource(text, options.shown);
  if (source.syntaxErrors.length > 0) return { problems: [...source.syntaxErrors] };
  const baseDir = path.dirname(options.file);
  const problems: string[] = [];
  const extra: string[] = [];
  const root = new Fields(source.data, '', problems, topKeys);

  const cluster = new Fields(root.raw.cluster, 'cluster', problems, ['name']);
  const clusterName = cluster.string('name', { what: 'a name of letters, digits and ._-', pattern: namePattern, fallback: options.hostname });

  const node = new Fields(root.raw.node, 'node', problems, ['name', 'role', 'advertiseAddr']);
  const nodeName = node.string('name', { what: 'a name of letters, digits and ._-', pattern: namePattern, fallback: options.hostname });
  const role = node.oneOf('role', ['master', 'node'] as const, configDefaults.role);
  let advertiseAddr = node.string('advertiseAddr', { what: 'an IP address or host name (without a port)', fallback: configDefaults.advertiseAddr });
  if (advertiseAddr !== undefined && !isAdvertiseAddr(advertiseAddr)) {
    node.problem('advertiseAddr', `must be an IP address or host name other nodes can reach (without a port), got ${show(advertiseAddr)}`);
    advertiseAddr = undefined;
  }

  const fileStateDir = root.string('stateDir', { what: 'a directory path' });
  const stateDir =
    options.stateDirFlag !== undefined
      ? path.resolve(options.stateDirFlag)
      : fileStateDir !== undefined
        ? path.resolve(baseDir, fileStateDir)
        : defaultStateDir;

  const health = new Fields(root.raw.health, 'health', problems, ['listen']);
  let listen: { host: string; port: number } | undefined = { ...configDefaults.health };
  const listenText = health.string('listen', { what: 'host:port, e.g. 0.0.0.0:7575' });
  if (listenText !== undefined) {
    listen = parseListen(listenText);
    if (listen === undefined) health.problem('listen', `must be host:port with a port from 0 to 65535, e.g. 0.0.0.0:7575 or [::]:7575, got ${show(listenText)}`);
  }

  const panelFields = new Fields(root.raw.panel, 'panel', problems, ['listen', 'enabled']);
  const panelEnabled = panelFields.boolean('enabled', configDefaults.panel.enabled);
  let panelListen: { host: string; port: number } | undefined = { host: configDefaults.panel.host, port: configDefaults.panel.port };
  const panelListenText = panelFields.string('listen', { what: 'host:port, e.g. 0.0.0.0:3009' });
  if (panelListenText !== undefined) {
    panelListen = parseListen(panelListenText);
    if (panelListen === undefined) panelFields.problem('listen', `must be host:port with a port from 0 to 65535, e.g. 0.0.0.0:3009 or [::]:3009, got ${show(panelListenText)}`);
  }

  const rpc = compileRpcConfig(root.raw.rpc, problems);

  let app: AppManifest | undefined;
  const appPath = root.string('app', { what: 'the path of the application manifest (relative to this file)' });
  if (appPath !== undefined) {
    const appFile = path.resolve(baseDir, appPath);
    const read = readInputFile(appFile, 'application manifest');
    if ('error' in read) {
      root.problem('app', read.error);
    } else {
      const result = parseAppManifest(read.text, appFile, path.join(path.dirname(options.shown), appPath));
      if ('problems' in result) extra.push(...result.problems);
      else app = result.manifest;
    }
  }

  const statusHook = new Fields(root.raw.statusHook, 'statusHook', problems, ['interval']);
  const statusHookIntervalMs = statusHook.duration('interval', { fallback: configDefaults.statusHookIntervalMs, ...configRanges.statusHookInterval });
  const history = new Fields(root.raw.history, 'history', problems, ['retention']);
  const historyRetentionMs = history.duration('retention', { fallback: configDefaults.historyRetentionMs, ...configRanges.historyRetention });

  const store = compileStoreConfig(root.raw.store, baseDir, problems);
  const etcd = compileEtcdConfig(root.raw.etcd, nodeName, problems);

  const probes =
    root.raw.probes === undefined ? defaultProbes(stateDir) : compileProbes(root.raw.probes ?? [], 'probes', problems, { stateDir });

  if (problems.length > 0 || extra.length > 0) return { problems: [...placeProblems(source, problems), ...extra] };
  return {
    config: {
      source: options.file,
      cluster: { name: clusterName! },
      node: { name: nodeName!, role: role!, advertiseAddr: advertiseAddr! },
      stateDir,
      health: listen!,
      panel: { enabled: panelEnabled!, ...panelListen! },
      statusHookIntervalMs: statusHookIntervalMs!,
      historyRetentionMs: historyRetentionMs!,
      ...(rpc === undefined ? {} : { rpc }),
      ...(store === undefined ? {} : { store }),
      ...(etcd === undefined ? {} : { etcd }),
      ...(app === undefined ? {} : { app }),
      probes,
    },
  };
}

/**
 * Loads the agent's config: the file if there is one, else (only for the default path) the defaults.
 * Throws E_FILE_UNREADABLE (a named file is missing or unreadable) or E_CONFIG_INVALID (every
 * problem in `details`, as `file:line:col: path: what is wrong`).
 * @example const config = loadConfig({ configPath: flags.config, explicit: flags.config !== undefined, stateDirFlag: flags.stateDir });
 */
export function loadConfig(options: LoadConfigOptions): GravityConfig {
  const hostname = options.hostname ?? os.hostname();
  const shown = options.configPath ?? defaultConfigPath;
  const file = path.resolve(shown);
  const text = readConfigText(file, options.explicit);
  if (text === undefined) {
    return defaultConfig({ hostname, stateDir: options.stateDirFlag !== undefined ? path.resolve(options.stateDirFlag) : defaultStateDir });
  }
  const result = compileConfigText(text, {
    file,
    shown,
    hostname,
    ...(options.stateDirFlag === undefined ? {} : { stateDirFlag: options.stateDirFlag }),
  });
  if ('problems' in result) {
    throw new GravityError('E_CONFIG_INVALID', `invalid configuration in ${shown}: ${result.problems.length} problem(s)`, {
      details: listProblems(result.problems),
    });
  }
  return result.config;
}
