// The agent's health service beside its tree: the status history store, the health model fed from
// the bus, the routing between probe, node and cluster machines, the metrics, the HTTPS health
// endpoint, and the control methods `status` and `history`. Started before the tree so that it
// misses no record; the endpoint opens once the tree runs.

import type { GravityConfig } from '../config/types.ts';
import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import type { TimerHandle } from '../clock.ts';
import { takeStore } from '../store/index.ts';
import { ensureServerCertificate } from '../api/tls.ts';
import { startHealthServer } from '../api/health-server.ts';
import type { HealthServer } from '../api/health-server.ts';
import { HealthModel } from './model.ts';
import { agentRootPath } from '../supervisor/agent-tree.ts';
import { startHealthAggregation } from './aggregator.ts';
import { createHealthMetrics, transitionKindOf } from './metrics.ts';
import { toHistoryEvents } from './timeline.ts';
import { leftoverClosingEvents } from './history-leftovers.ts';
import { statusHookLogger } from './status-hook-log.ts';

/** How often expired history is dropped (as Satellite: hourly). */
const evictEveryMs = 3_600_000;

export interface HealthExtensionOptions {
  /** Overrides the configured listen port (tests use 0 for a free port). */
  port?: number;
  /** Called once the endpoint listens, with its URL. */
  onListening?: (url: string) => void;
}

/**
 * @example runAgent({ ..., extensions: [healthExtension(config)] })
 */
export function healthExtension(config: GravityConfig, options: HealthExtensionOptions = {}): AgentExtension {
  return {
    name: 'health',
    async start({ stateDir, bus, root, logger, clock }): Promise<AgentExtensionHandle> {
      const { store, release: releaseStore } = takeStore({ stateDir, historyRetentionMs: config.historyRetentionMs, ...(config.store === undefined ? {} : { store: config.store }) }, { clock });
      const model = new HealthModel({
        clusterName: config.cluster.name,
        node: { name: config.node.name, role: config.node.role, addr: config.node.advertiseAddr },
        probes: config.probes.map((probe) => ({ name: probe.name, checker: probe.checker, severity: probe.severity })),
        ...(config.app?.name === undefined ? {} : { application: { name: config.app.name, ...(config.app.version === undefined ? {} : { version: config.app.version }) } }),
      });
      const metrics = createHealthMetrics();
      const logStatusHook = statusHookLogger(logger);
      /** Closes what an earlier configuration left open in the history (history-leftovers.ts). */
      async function closeLeftovers(): Promise<void> {
        try {
          const closing = leftoverClosingEvents(await store.history.latest(), { node: config.node.name, probes: config.probes.map((probe) => probe.name) }, clock.now());
          if (closing.length === 0) return;
          await store.history.append(closing);
          for (const event of closing) metrics.recordTransition(transitionKindOf(event.type));
          logger.info(
            { closed: closing.map((event) => (event.checker === undefined ? `node ${event.node ?? ''}` : `${event.node ?? ''}/${event.checker}`)) },
            'closed the status history left open by an earlier configuration',
          );
        } catch (error) {
          logger.error({ err: error }, 'could not close the status history left open by an earlier configuration');
        }
      }
      // Before the aggregation starts: the closing events come before any transition of this run.
      await closeLeftovers();
      const report = () => model.report(clock.now());
      const stopAggregation = startHealthAggregation({
        bus,
        model,
        nodeName: config.node.name,
        clock,
        sendTo: (child, event) => root.sendTo(child, event),
        history: store.history,
        onTransition: (transition) => {
          for (const event of toHistoryEvents([transition], config.node.name, 0)) metrics.recordTransition(transitionKindOf(event.type));
          if (transition.kind === 'probe' && transition.to === 'failed') {
            logger.warn({ probe: transition.probe, checker: transition.checker, error: transition.error }, 'probe failed');
          } else if (transition.kind === 'probe' && transition.from === 'failed') {
            logger.info({ probe: transition.probe, checker: transition.checker }, 'probe recovered');
          } else if (transition.kind === 'statusHook') {
            logStatusHook(transition);
          } else if (transition.kind === 'cluster') {
            logger[transition.to === 'degraded' ? 'warn' : 'info']({ cluster: transition.to, reason: transition.reason }, `cluster ${transition.to}`);
          }
        },
        onHistoryError: (error) => logger.error({ err: error }, 'could not record a status transition in the history'),
      });
      const stopCountingRestarts = bus.subscribe(
        (record) => {
          if (record.kind === 'supervisor' && record.action === 'restart') metrics.recordRestart(record.path, record.child);
        },
        { kinds: ['supervisor'] },
      );
      // Every completed check is observed (durations), not only those a scrape happens to see.
      const stopObservingChecks = bus.subscribe(
        (record) => {
          if (record.kind === 'snapshot' && record.health?.kind === 'probe') metrics.updateFromReport(report());
        },
        { kinds: ['snapshot'], pathPrefix: agentRootPath },
      );
      let evictTimer: TimerHandle | undefined;
      const evict = (): void => {
        store.history.evict(clock.now() - config.historyRetentionMs).catch((error: unknown) => logger.error({ err: error }, 'could not drop expired status history'));
        evictTimer = clock.setTimeout(evict, evictEveryMs);
      };
      evict();
      let server: HealthServer | undefined;

      return {
        handlers: {
          status: () => report(),
          history: async (query) => ({ events: await store.history.list(query) }),
        },
        async afterTreeStart() {
          const certificate = await ensureServerCertificate(stateDir, {
            clusterName: config.cluster.name,
            hostnames: [config.node.name],
            ips: [config.node.advertiseAddr, config.health.host],
            now: clock.now(),
          });
          if (certificate.generated) logger.info({ cert: certificate.certPath }, 'generated the health endpoint certificate');
          server = await startHealthServer({
            host: config.health.host,
            port: options.port ?? config.health.port,
            tls: certificate,
            report,
            localNode: config.node.name,
            history: store.history,
            metrics: () => {
              metrics.updateFromReport(report());
              return metrics.metrics();
            },
            metricsContentType: metrics.contentType,
            clock,
          });
          logger.info({ url: server.url }, 'health endpoint listening');
          options.onListening?.(server.url);
        },
        async stop() {
          await server?.close();
          if (evictTimer !== undefined) clock.clearTimeout(evictTimer);
          stopCountingRestarts();
          stopObservingChecks();
          stopAggregation();
          releaseStore();
        },
      };
    },
  };
}
