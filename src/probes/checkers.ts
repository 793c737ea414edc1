// Fills the checker registry with every built-in checker (importing this module is enough), and
// says which probes an agent runs when its config names none: the ones that are cheap and mean
// something on any Linux host.

import { commandChecker } from './command.ts';
import { diskSpaceChecker } from './disk-space.ts';
import { dnsChecker } from './dns.ts';
import { dockerChecker } from './docker.ts';
import { etcdHealthzChecker } from './etcd-healthz.ts';
import { httpChecker } from './http.ts';
import { checkers, compileProbes, registerChecker } from './index.ts';
import { kubeApiserverChecker } from './kube-apiserver.ts';
import { loadChecker } from './load.ts';
import { memoryChecker } from './memory.ts';
import { processChecker } from './process.ts';
import { sysctlChecker } from './sysctl.ts';
import { systemdUnitChecker } from './systemd-unit.ts';
import { tcpChecker } from './tcp.ts';
import { timeDriftChecker } from './time-drift.ts';
import type { ProbeSpec } from './types.ts';
import { GravityError } from '../errors.ts';

// Each registered once, in the order the docs list them (a second import is a no-op).
if (!checkers.has(tcpChecker.id)) {
  registerChecker(tcpChecker);
  registerChecker(httpChecker);
  registerChecker(commandChecker);
  registerChecker(diskSpaceChecker);
  registerChecker(memoryChecker);
  registerChecker(loadChecker);
  registerChecker(processChecker);
  registerChecker(systemdUnitChecker);
  registerChecker(dockerChecker);
  registerChecker(etcdHealthzChecker);
  registerChecker(kubeApiserverChecker);
  registerChecker(sysctlChecker);
  registerChecker(dnsChecker);
  registerChecker(timeDriftChecker);
}

/** The ids of the built-in checkers. */
export const builtinCheckerIds: readonly string[] = [
  tcpChecker.id,
  httpChecker.id,
  commandChecker.id,
  diskSpaceChecker.id,
  memoryChecker.id,
  loadChecker.id,
  processChecker.id,
  systemdUnitChecker.id,
  dockerChecker.id,
  etcdHealthzChecker.id,
  kubeApiserverChecker.id,
  sysctlChecker.id,
  dnsChecker.id,
  timeDriftChecker.id,
];

/** A `probes:` entry as a user would write it in the config (before compileProbes). */
export type RawProbe = Readonly<Record<string, unknown>>;

/**
 * The probes an agent runs when its config has no `probes:`, as config entries: the state dir's
 * filesystem (warning above 80 %, critical above 90 %, as Gravity), available memory and load
 * (warnings: a busy host is worth a look, not a degraded cluster), and, once the node has peers,
 * clock drift against them.
 * @example defaultProbeEntries('/var/lib/gravity') // [{ checker: 'disk-space', name: 'disk-space', ... }, ...]
 */
export function defaultProbeEntries(stateDir: string, options: { peers?: readonly string[] } = {}): RawProbe[] {
  const probes: RawProbe[] = [
    { checker: 'disk-space', name: 'disk-space', path: stateDir, severity: 'critical' },
    { checker: 'disk-space', name: 'disk-space-warning', path: stateDir, severity: 'warning' },
    { checker: 'memory', name: 'memory', severity: 'warning' },
    { checker: 'load', name: 'load', severity: 'warning' },
  ];
  if (options.peers !== undefined && options.peers.length > 0) {
    probes.push({ checker: 'time-drift', name: 'time-drift', peers: [...options.peers], interval: '30s', timeout: '1s', severity: 'critical' });
  }
  return probes;
}

/**
 * The default probes compiled (what the agent runs with no `probes:` in its config).
 * @example defaultProbes('/var/lib/gravity').map((probe) => probe.name) // ['disk-space', 'disk-space-warning', 'memory', 'load']
 */
export function defaultProbes(stateDir: string, options: { peers?: readonly string[] } = {}): ProbeSpec[] {
  const problems: string[] = [];
  const probes = compileProbes(defaultProbeEntries(stateDir, options), 'probes', problems, { stateDir });
  if (problems.length > 0) {
    throw new GravityError('E_INTERNAL', 'the built-in default probes do not compile', { details: problems });
  }
  return probes;
}
