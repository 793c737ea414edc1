// The config's `rpc` section: where this node's RPC server (docs/cluster-rpc.md) listens for the other
// agents of the cluster. Absent, the agent opens no RPC server. The address must be an IP address (it
// goes into the node certificate) and the port a real one (1-65535: peers must know where to call).

import net from 'node:net';
import { Fields } from './fields.ts';
import { parseListen } from './load.ts';
import { show } from './yaml-source.ts';

/** The port the node RPC listens on in the examples and the docs. */
export const defaultRpcPort = 3012;

export interface RpcConfig {
  host: string;
  port: number;
}

/** Compiles `rpc` (undefined when absent); every mistake is a problem with its path. */
export function compileRpcConfig(raw: unknown, problems: string[]): RpcConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fields = new Fields(raw, 'rpc', problems, ['listen']);
  const what = `IP:port with a port from 1 to 65535, e.g. 0.0.0.0:${defaultRpcPort} or [::]:${defaultRpcPort}`;
  const text = fields.string('listen', { what, required: true, maxLength: 64 });
  if (text === undefined) return undefined;
  const listen = parseListen(text);
  if (listen === undefined || listen.port < 1 || net.isIP(listen.host) === 0) {
    return fields.problem('listen', `must be ${what}, got ${show(text)}`);
  }
  return listen;
}
