// What the node RPC between agents says, shared by its server and its client: the paths, the
// answers' shapes and the limits both ends hold to, so that neither can be made to read or keep
// more than the other would ever send.

import type { AgentLifecycle } from '../api/control-protocol.ts';
import type { ClusterReport } from '../health/types.ts';

/** The longest request body the server reads: 64 KiB (413 past it). */
export const maxRpcRequestBytes = 64 * 1024;

/** The largest answer the client reads: 1 MiB. */
export const maxRpcResponseBytes = 1024 * 1024;

/** The most connections the server holds at once; more are closed on arrival. */
export const maxRpcConnections = 64;

/** The paths the server answers, each with GET only. */
export const rpcPaths = {
  status: '/v1/status',
  agent: '/v1/agent',
  time: '/v1/time',
} as const;

export type RpcPath = (typeof rpcPaths)[keyof typeof rpcPaths];

/** `GET /v1/agent`: the agent that answers. */
export interface RpcAgentInfo {
  node: string;
  pid: number;
  version: string;
  state: AgentLifecycle;
  /** Epoch ms at which the agent started. */
  startedAt: number;
}

/** `GET /v1/time`: the peer's clock, to measure the drift between two nodes. */
export interface RpcTime {
  /** Epoch ms. */
  now: number;
}

/** What each path answers. */
export interface RpcAnswers {
  '/v1/status': ClusterReport;
  '/v1/agent': RpcAgentInfo;
  '/v1/time': RpcTime;
}

/** The body of every error answer. */
export interface RpcErrorBody {
  error: string;
  message: string;
}
