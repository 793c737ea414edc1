// The agent's configuration in its compiled, fully defaulted form (config.yaml is the partial form
// users write; src/config/load.ts turns one into the other, reporting every mistake with its line).

import type { ProbeSpec } from '../probes/types.ts';
import type { StoreBackendConfig } from '../store/index.ts';

export type NodeRole = 'master' | 'node';

export interface HookJob {
  command: string[];
  env: Record<string, string>;
  workingDir?: string;
  activeDeadlineSeconds: number;
  restartPolicy: 'Never' | 'OnFailure';
  backoffLimit: number;
}

export interface AppManifest {
  /** Where the manifest came from, for messages. */
  path: string;
  name?: string;
  version?: string;
  hooks: Partial<Record<string, HookJob>>;
}

/** One member of the etcd cluster: its name and the peer URL the others reach it at. */
export interface EtcdPeer {
  name: string;
  peerUrl: string;
}

/** This node's etcd member, run by the agent (src/cluster/etcd-member.ts). */
export interface EtcdMemberConfig {
  /** The etcd server program, looked up in PATH unless it is a path. */
  binary: string;
  clientPort: number;
  peerPort: number;
  /** Every member at bootstrap, this one included; when absent, this member alone. */
  initialCluster?: EtcdPeer[];
  /** `new` bootstraps a cluster; `existing` joins one (after `etcdctl member add`). */
  state: 'new' | 'existing';
}

export interface GravityConfig {
  /** The file it was read from, or undefined when the built-in defaults are used. */
  source?: string;
  cluster: { name: string };
  node: { name: string; role: NodeRole; advertiseAddr: string };
  stateDir: string;
  health: { host: string; port: number };
  /** The Control Panel's HTTPS listener; `enabled: false` leaves it closed. */
  panel: { enabled: boolean; host: string; port: number };
  /** Where the node RPC server listens for the other agents (docs/cluster-rpc.md); absent, there is none. */
  rpc?: { host: string; port: number };
  /** How often the status hook runs, when the app has one. */
  statusHookIntervalMs: number;
  /** How long status history is kept. */
  historyRetentionMs: number;
  /** Which backend keeps the store; the embedded SQLite file in the state dir when absent. */
  store?: StoreBackendConfig;
  /** This node's etcd member; none when absent. */
  etcd?: { member: EtcdMemberConfig };
  app?: AppManifest;
  probes: ProbeSpec[];
}
