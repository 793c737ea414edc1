// The agent's node RPC server, when the config has `rpc.listen`: it opens once the supervision tree
// runs (its answers come from the control methods `status` and `ping`, which need the tree and the
// health model), with the node certificate of the cluster PKI in the state dir, made on first use,
// and closes when the agent stops.

import type { GravityConfig } from '../config/types.ts';
import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import { GravityError } from '../errors.ts';
import type { NodeIdentity } from './node-certificate.ts';
import { ensureClusterPki } from './pki.ts';
import { startRpcServer, type RpcServer } from './rpc-server.ts';

export interface RpcExtensionOptions {
  /** Overrides the configured port (tests use 0 for a free port). */
  port?: number;
  /** Called once the server listens, with its URL. */
  onListening?: (url: string) => void;
}

/**
 * What the node certificate names: the listen address; for a wildcard, the advertise address and the
 * loopback names as well (the server answers on them too, e.g. to curl on the node itself).
 */
export function rpcCertificateIdentity(config: Pick<GravityConfig, 'node'>, host: string): NodeIdentity {
  const wildcard = host === '0.0.0.0' || host === '::';
  return wildcard ? { name: config.node.name, address: config.node.advertiseAddr, loopback: true } : { name: config.node.name, address: host };
}

/**
 * @example extensions: [..., operationsExtension(config), rpcExtension(config), ...systemExtensions(env, logger)]
 */
export function rpcExtension(config: Pick<GravityConfig, 'cluster' | 'node' | 'rpc'>, options: RpcExtensionOptions = {}): AgentExtension {
  return {
    name: 'rpc',
    start({ stateDir, logger, clock, controlHandlers }): Promise<AgentExtensionHandle> {
      const listen = config.rpc;
      if (listen === undefined) return Promise.resolve({ stop: () => Promise.resolve() });
      let server: RpcServer | undefined;
      return Promise.resolve({
        async afterTreeStart() {
          const pki = await ensureClusterPki(stateDir, config.cluster.name, rpcCertificateIdentity(config, listen.host), { now: new Date(clock.now()) });
          if (pki.made.node) logger.info({ cert: pki.nodeCertPath }, 'made the node certificate');
          server = await startRpcServer({
            host: listen.host,
            port: options.port ?? listen.port,
            pki,
            status: async () => {
              const status = controlHandlers().status;
              if (status === undefined) throw new GravityError('E_CONTROL_REQUEST', 'this agent has no status to give');
              return status({});
            },
            agent: async () => {
              const ping = await controlHandlers().ping({});
              return { node: config.node.name, pid: ping.pid, version: ping.version, state: ping.state, startedAt: ping.startedAt };
            },
            logger,
            clock,
          });
          logger.info({ url: server.url, node: config.node.name }, 'node RPC listening');
          options.onListening?.(server.url);
        },
        async stop() {
          await server?.close();
        },
      });
    },
  };
}
