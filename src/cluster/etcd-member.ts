// This node's etcd member, run by the agent as a supervised OS process (as Gravity ran etcd on every
// master): the command line from the config, with its data in <state-dir>/etcd (0700) and clients and
// peers served over mutual TLS with the cluster PKI (the node certificate is both a server and a
// client certificate and names the advertise address). The child's start waits until the member
// answers /health over TLS, so that the children started after it find a working etcd; a member that
// never answers within the deadline is a start failure, one that dies is restarted by the supervisor.
// A member an earlier agent left running (that agent was killed) is ended first (etcd-member-leftover.ts).

import { chmodSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { delay } from '../clock.ts';
import type { Clock } from '../clock.ts';
import type { EtcdMemberConfig, GravityConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import { startOsProcessChild } from '../actors/os-process-child.ts';
import type { ChildContext, RunningChild } from '../supervisor/child.ts';
import type { ChildSpecInput } from '../supervisor/spec.ts';
import { endLeftoverEtcdMember, recordEtcdMember } from './etcd-member-leftover.ts';
import { ensureClusterPki } from './pki.ts';

/** The member's child id in the agent's tree. */
export const etcdChildId = 'etcd';
/** How long the member has to stop after SIGTERM (it hands over leadership and syncs its log). */
export const etcdShutdownMs = 10_000;
/** How long a start waits for the member to answer. */
export const etcdReadyTimeoutMs = 30_000;
const readyPollMs = 200;
const healthRequestTimeoutMs = 2000;

/** The files the member serves and checks TLS with. */
export interface EtcdMemberTls {
  caCertPath: string;
  nodeCertPath: string;
  nodeKeyPath: string;
}

export interface EtcdMemberInput {
  name: string;
  advertiseAddr: string;
  stateDir: string;
  member: EtcdMemberConfig;
  tls: EtcdMemberTls;
}

/** The member's data: <state-dir>/etcd. */
export function etcdDataDir(stateDir: string): string {
  return path.join(stateDir, 'etcd');
}

function hostInUrl(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** The client URL other nodes and this agent reach the member at. */
export function etcdClientUrl(advertiseAddr: string, member: Pick<EtcdMemberConfig, 'clientPort'>): string {
  return `https://${hostInUrl(advertiseAddr)}:${member.clientPort}`;
}

/** The peer URL the other members reach it at. */
export function etcdPeerUrl(advertiseAddr: string, member: Pick<EtcdMemberConfig, 'peerPort'>): string {
  return `https://${hostInUrl(advertiseAddr)}:${member.peerPort}`;
}

/**
 * The member's command line (the program first).
 * @example etcdMemberArgs({ name: 'n1', advertiseAddr: '10.0.0.5', stateDir: '/var/lib/gravity', member, tls })
 * // ['etcd', '--name=n1', '--data-dir=/var/lib/gravity/etcd', '--listen-client-urls=https://10.0.0.5:2379', ...]
 */
export function etcdMemberArgs(input: EtcdMemberInput): string[] {
  const { member, tls } = input;
  const clientUrl = etcdClientUrl(input.advertiseAddr, member);
  const peerUrl = etcdPeerUrl(input.advertiseAddr, member);
  // etcd listens on IP addresses only: a host name advertised is served on every address.
  const listenHost = net.isIP(input.advertiseAddr) === 0 ? '0.0.0.0' : input.advertiseAddr;
  const initialCluster = member.initialCluster ?? [{ name: input.name, peerUrl }];
  return [
    member.binary,
    `--name=${input.name}`,
    `--data-dir=${etcdDataDir(input.stateDir)}`,
    `--listen-client-urls=${etcdClientUrl(listenHost, member)}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${etcdPeerUrl(listenHost, member)}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster.map((peer) => `${peer.name}=${peer.peerUrl}`).join(',')}`,
    `--initial-cluster-state=${member.state}`,
    `--cert-file=${tls.nodeCertPath}`,
    `--key-file=${tls.nodeKeyPath}`,
    `--trusted-ca-file=${tls.caCertPath}`,
    '--client-cert-auth',
    `--peer-cert-file=${tls.nodeCertPath}`,
    `--peer-key-file=${tls.nodeKeyPath}`,
    `--peer-trusted-ca-file=${tls.caCertPath}`,
    '--peer-client-cert-auth',
    '--logger=zap',
    '--log-level=warn',
  ];
}

/** Creates <state-dir>/etcd if it is missing and makes it 0700 (etcd refuses a wider one, and it holds the data). */
export function ensureEtcdDataDir(stateDir: string): string {
  const dir = etcdDataDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** One /health request over mutual TLS: true when the member says it is healthy. */
export function etcdMemberHealthy(clientUrl: string, pem: { ca: string; cert: string; key: string }, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${clientUrl}/health`, { ...pem, timeout: healthRequestTimeoutMs, ...(signal === undefined ? {} : { signal }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.length + body.length > 4096 ? '' : chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: unknown }).health === 'true');
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Polls /health until the member answers; rejects once `signal` aborts (its exit, the deadline). */
export async function waitEtcdMemberReady(clientUrl: string, pem: { ca: string; cert: string; key: string }, signal: AbortSignal, clock: Clock): Promise<void> {
  for (;;) {
    if (signal.aborted) throw signal.reason as Error;
    if (await etcdMemberHealthy(clientUrl, pem, signal)) return;
    if (signal.aborted) throw signal.reason as Error;
    await delay(clock, readyPollMs);
  }
}

/** What the member needs from the config. */
export type EtcdMemberAgentConfig = Pick<GravityConfig, 'cluster' | 'node' | 'stateDir'> & { etcd: { member: EtcdMemberConfig } };

/** Logs one line of etcd's (zap JSON) log at its level: warnings and errors as such, the rest at debug. */
function logEtcdLine(logger: Logger | undefined, line: string): void {
  if (logger === undefined) return;
  let level: unknown;
  try {
    level = (JSON.parse(line) as { level?: unknown }).level;
  } catch {
    level = undefined;
  }
  const fields = { etcd: line.length > 4096 ? `${line.slice(0, 4096)}…` : line };
  if (level === 'warn') logger.warn(fields, 'etcd member warning');
  else if (level === 'error' || level === 'fatal' || level === 'panic' || level === 'dpanic') logger.error(fields, 'etcd member error');
  else logger.debug(fields, 'etcd member log');
}

/**
 * Starts the member as a child: the PKI and the data dir first, then the process, resolving once it answers.
 * @example const child = await startEtcdMember(config, context, logger);
 */
export async function startEtcdMember(config: EtcdMemberAgentConfig, context: ChildContext, logger?: Logger): Promise<RunningChild> {
  const pki = await ensureClusterPki(config.stateDir, config.cluster.name, { name: config.node.name, address: config.node.advertiseAddr });
  ensureEtcdDataDir(config.stateDir);
  const leftover = await endLeftoverEtcdMember(config.stateDir, { graceMs: etcdShutdownMs, clock: context.clock });
  if (leftover !== undefined) logger?.warn(leftover, `ended the etcd member an earlier agent left running (pid ${leftover.pid}, ${leftover.how})`);
  const input: EtcdMemberInput = { name: config.node.name, advertiseAddr: config.node.advertiseAddr, stateDir: config.stateDir, member: config.etcd.member, tls: pki };
  const clientUrl = etcdClientUrl(config.node.advertiseAddr, config.etcd.member);
  const pem = { ca: pki.caPem, cert: pki.certPem, key: pki.keyPem };
  return startOsProcessChild(
    {
      argv: etcdMemberArgs(input),
      onSpawn: (pid) => recordEtcdMember(config.stateDir, pid),
      onLine: (line) => logEtcdLine(logger, line),
      ready: (signal) => waitEtcdMemberReady(clientUrl, pem, signal, context.clock),
      readyTimeoutMs: etcdReadyTimeoutMs,
    },
    context,
  );
}

/**
 * The member's child in the agent's tree: permanent, with time to stop cleanly.
 * @example children.push(etcdMemberChildSpec(config, logger));
 */
export function etcdMemberChildSpec(config: EtcdMemberAgentConfig, logger?: Logger): ChildSpecInput {
  return { id: etcdChildId, start: { starter: (context) => startEtcdMember(config, context, logger) }, restart: 'permanent', shutdown: etcdShutdownMs };
}
