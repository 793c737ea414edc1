// The config's `etcd.member` section: whether the agent runs this node's etcd member, on which client
// and peer ports, and with which members it bootstraps (`initialCluster`, this node among them) and
// whether it starts a new cluster or joins an existing one. Absent, the agent runs no member. Every
// mistake is one problem with its path, as everywhere in the config.

import type { EtcdMemberConfig, EtcdPeer } from './types.ts';
import { Fields } from './fields.ts';
import { maxEtcdEndpoints } from './limits.ts';
import { parseEtcdEndpoint } from './store-config.ts';
import { show } from './yaml-source.ts';

export const etcdMemberDefaults = { binary: 'etcd', clientPort: 2379, peerPort: 2380, state: 'new' } as const;

const memberNamePattern = /^[A-Za-z0-9._-]{1,63}$/u;

function parsePeer(value: unknown): EtcdPeer | undefined {
  if (typeof value !== 'string') return undefined;
  const at = value.indexOf('=');
  if (at < 0) return undefined;
  const name = value.slice(0, at);
  const peerUrl = value.slice(at + 1);
  if (!memberNamePattern.test(name) || parseEtcdEndpoint(peerUrl)?.scheme !== 'https') return undefined;
  return { name, peerUrl };
}

/**
 * Compiles the `etcd` section; undefined when there is no member (or when it is wrong, with its problems recorded).
 * @example const etcd = compileEtcdConfig(root.raw.etcd, 'node-1', problems); // { member: { clientPort: 2379, ... } }
 */
export function compileEtcdConfig(raw: unknown, nodeName: string | undefined, problems: string[]): { member: EtcdMemberConfig } | undefined {
  if (raw === undefined || raw === null) return undefined;
  const etcd = new Fields(raw, 'etcd', problems, ['member']);
  if (!etcd.has('member')) return undefined;
  const before = problems.length;
  const fields = new Fields(etcd.raw.member, 'etcd.member', problems, ['binary', 'clientPort', 'peerPort', 'initialCluster', 'state']);
  const binary = fields.string('binary', { what: 'the etcd server program (a name looked up in PATH, or a path)', fallback: etcdMemberDefaults.binary });
  const clientPort = fields.integer('clientPort', { fallback: etcdMemberDefaults.clientPort, min: 1, max: 65535 });
  const peerPort = fields.integer('peerPort', { fallback: etcdMemberDefaults.peerPort, min: 1, max: 65535 });
  if (clientPort !== undefined && clientPort === peerPort) fields.problem('peerPort', `must differ from clientPort (both are ${clientPort})`);
  const state = fields.oneOf('state', ['new', 'existing'] as const, etcdMemberDefaults.state);
  let initialCluster: EtcdPeer[] | undefined;
  const rawCluster = fields.raw.initialCluster;
  if (rawCluster !== undefined && rawCluster !== null) {
    if (!Array.isArray(rawCluster) || rawCluster.length === 0 || rawCluster.length > maxEtcdEndpoints) {
      fields.problem('initialCluster', `must be a list of 1 to ${maxEtcdEndpoints} members as name=https://host:port, got ${show(rawCluster)}`);
    } else {
      const peers: EtcdPeer[] = [];
      for (const [index, value] of rawCluster.entries()) {
        const peer = parsePeer(value);
        if (peer === undefined) fields.problem(`initialCluster[${index}]`, `must be name=https://host:port (a member name of letters, digits and ._-, a port from 1 to 65535), got ${show(value)}`);
        else if (peers.some((other) => other.name === peer.name)) fields.problem(`initialCluster[${index}]`, `names the member ${peer.name} twice`);
        else peers.push(peer);
      }
      if (peers.length === rawCluster.length && nodeName !== undefined && !peers.some((peer) => peer.name === nodeName)) {
        fields.problem('initialCluster', `must name this node's member ${nodeName} (node.name), e.g. ${nodeName}=https://<advertiseAddr>:${peerPort ?? etcdMemberDefaults.peerPort}`);
      }
      initialCluster = peers;
    }
  }
  if (problems.length > before) return undefined;
  return { member: { binary: binary!, clientPort: clientPort!, peerPort: peerPort!, state: state!, ...(initialCluster === undefined ? {} : { initialCluster }) } };
}
