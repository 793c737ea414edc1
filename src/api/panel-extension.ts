// The Control Panel as a part of the agent: wires the panel server's sources to what the agent
// already has (the health model through the `status` control method, the supervision tree, the
// inspection bus and its recent records, the store's history, operations and users) and opens the
// panel on :3009 with the health endpoint's certificate once the tree runs.

import type { GravityConfig } from '../config/types.ts';
import { GravityError } from '../errors.ts';
import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import type { InspectionRecord } from '../actors/inspection.ts';
import { takeStore } from '../store/index.ts';
import { ensureServerCertificate } from './tls.ts';
import { panelOperations } from './panel-operations.ts';
import type { PanelServer, PanelSources } from './panel-server.ts';
import { defaultAssetsDir, startPanelServer } from './panel-server.ts';

export interface PanelExtensionOptions {
  /** Overrides the configured port (tests use 0 for a free port). */
  port?: number;
  /** Where the built pages are (dist/web by default). */
  assetsDir?: string;
  /** Called once the panel listens, with its URL. */
  onListening?: (url: string) => void;
}

/** `https://host:port` as other machines reach it. */
function publicUrl(config: GravityConfig, port: number): string {
  const host = config.node.advertiseAddr.includes(':') ? `[${config.node.advertiseAddr}]` : config.node.advertiseAddr;
  return `https://${host}:${port}`;
}

/**
 * @example runAgent({ ..., extensions: [healthExtension(config), panelExtension(config)] })
 */
export function panelExtension(config: GravityConfig, options: PanelExtensionOptions = {}): AgentExtension {
  return {
    name: 'panel',
    start({ stateDir, bus, logger, clock, controlHandlers }): Promise<AgentExtensionHandle> {
      const { store, release: releaseStore } = takeStore({ stateDir, historyRetentionMs: config.historyRetentionMs, ...(config.store === undefined ? {} : { store: config.store }) }, { clock });
      const operations = panelOperations({ operations: store.operations, version: () => store.dataVersion() });
      const sources: PanelSources = {
        status: () => {
          const status = controlHandlers().status;
          if (status === undefined) throw new GravityError('E_INTERNAL', 'the Control Panel needs the health service, which is not running');
          return status({}) as ReturnType<PanelSources['status']>;
        },
        tree: () => Promise.resolve(controlHandlers().tree({})),
        operations: () => operations.list(),
        operationsJson: () => operations.listJson(),
        operationJson: (id) => operations.detailJson(id),
        storeVersion: () => store.dataVersion(),
        subscribe: (listener, filter) => bus.subscribe(listener, filter),
        // The page's limit keeps the newest events (still listed oldest first).
        history: async ({ limit, ...filter }) => ({ events: await store.history.list({ ...filter, ...(limit === undefined ? {} : { last: limit }) }) }),
        actorRecords: async (path) => {
          const inspect = controlHandlers().inspect;
          if (inspect === undefined) return [];
          const records: InspectionRecord[] = [];
          const reader = inspect({ pathPrefix: path, follow: false }, new AbortController().signal);
          for (let next = await reader.next(); next.done !== true; next = await reader.next()) {
            if (next.value.path === path) records.push(next.value);
          }
          return records;
        },
      };
      let server: PanelServer | undefined;
      return Promise.resolve({
        async afterTreeStart() {
          if (!config.panel.enabled) {
            logger.info('the Control Panel is turned off in the config');
            return;
          }
          const certificate = await ensureServerCertificate(stateDir, {
            clusterName: config.cluster.name,
            hostnames: [config.node.name],
            ips: [config.node.advertiseAddr, config.health.host],
            now: clock.now(),
          });
          server = await startPanelServer({
            host: config.panel.host,
            port: options.port ?? config.panel.port,
            tls: certificate,
            assetsDir: options.assetsDir ?? defaultAssetsDir(),
            users: store.users,
            publicUrl: (port) => publicUrl(config, port),
            sources,
            clock,
            logger,
          });
          logger.info({ url: server.url }, 'Control Panel listening');
          options.onListening?.(server.url);
        },
        async stop() {
          await server?.close();
          releaseStore();
        },
      });
    },
  };
}
