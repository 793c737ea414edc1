// The agent's side of systemd's Type=notify contract, as an agent extension (added last, so that it
// runs after the health endpoint listens): READY=1 once the tree is up and the endpoint answers;
// STATUS= with the cluster's status line on every change; WATCHDOG=1 at half of WATCHDOG_USEC while
// the root supervisor runs and the event loop does not stall; STOPPING=1 when the agent begins to
// stop (SIGTERM from `systemctl stop`), after which the agent stops its tree in reverse order.

import type { Clock } from '../clock.ts';
import type { AgentExtension, AgentExtensionHandle } from '../supervisor/agent.ts';
import type { LoopStallMonitor } from './loop-stalls.ts';
import { monitorLoopStalls } from './loop-stalls.ts';
import type { NotifyEnv, NotifyFields } from './notify-protocol.ts';
import { formatNotifyMessage } from './notify-protocol.ts';
import type { NotifySender } from './notify-socket.ts';
import { createNotifySender } from './notify-socket.ts';
import { clusterStatusLine } from './status-line.ts';
import type { Watchdog } from './watchdog.ts';
import { pingIntervalMs, startWatchdog } from './watchdog.ts';

export interface NotifyExtensionOptions {
  notify: NotifyEnv;
  /** Where messages go; by default a datagram to notify.socket (see notify-socket.ts). */
  sender?: NotifySender;
  /** The event-loop stall measure; by default Node's event-loop delay histogram. */
  stalls?: LoopStallMonitor;
  /** Overrides the agent's clock (tests). */
  clock?: Clock;
}

/**
 * @example
 * const { notify } = parseNotifyEnv(process.env, process.pid);
 * runAgent({ ..., extensions: [healthExtension(config), ...(notify ? [notifyExtension({ notify })] : [])] });
 */
export function notifyExtension(options: NotifyExtensionOptions): AgentExtension {
  return {
    name: 'systemd-notify',
    start(context): Promise<AgentExtensionHandle> {
      const { logger, root, bus } = context;
      const clock = options.clock ?? context.clock;
      const { notify } = options;
      let reportedError = false;
      const sender =
        options.sender ??
        createNotifySender(notify.socket, {
          onError: (error) => {
            // systemd gone or a full socket: said once, not at every ping.
            if (reportedError) return;
            reportedError = true;
            logger.warn({ err: error, notifySocket: notify.socket }, 'cannot notify systemd');
          },
        });
      const send = (fields: NotifyFields): void => {
        const message = formatNotifyMessage(fields);
        sender.send(message);
        if (fields.watchdog !== true) logger.debug({ notify: message }, 'notified systemd');
      };

      let stopping = false;
      let lastStatus: string | undefined;
      let statusSeq = 0;
      let unsubscribe: (() => void) | undefined;
      let watchdog: Watchdog | undefined;
      let stalls: LoopStallMonitor | undefined;

      /** The status line from the health report (or the tree's state when no health service runs). */
      const currentStatus = async (): Promise<string> => {
        const status = context.controlHandlers().status;
        if (status === undefined) return `agent running, root supervisor ${root.state}`;
        return clusterStatusLine(await status({}));
      };
      const updateStatus = (): void => {
        const seq = ++statusSeq;
        currentStatus().then(
          (line) => {
            // Answers may arrive out of order: only the newest one counts, and none once stopping.
            if (stopping || seq !== statusSeq || line === lastStatus) return;
            lastStatus = line;
            send({ status: line });
          },
          (error: unknown) => logger.warn({ err: error }, 'cannot read the cluster status for systemd'),
        );
      };

      return Promise.resolve({
        async afterTreeStart() {
          lastStatus = await currentStatus();
          send({ ready: true, status: lastStatus });
          logger.info(
            {
              notifySocket: notify.socket,
              transport: sender.transport,
              ...(notify.watchdogMs === undefined ? {} : { watchdogMs: notify.watchdogMs, pingEveryMs: pingIntervalMs(notify.watchdogMs) }),
              status: lastStatus,
            },
            'told systemd the agent is ready',
          );
          // Every transition shows as a snapshot on the bus; the line is sent only when it changes.
          unsubscribe = bus.subscribe(() => updateStatus(), { kinds: ['snapshot'] }, { passive: true });
          if (notify.watchdogMs !== undefined) {
            stalls = options.stalls ?? monitorLoopStalls();
            watchdog = startWatchdog({
              watchdogMs: notify.watchdogMs,
              clock,
              stalls,
              ping: () => send({ watchdog: true }),
              // While the agent stops in order the pings go on, so a long stop is not mistaken for a hang.
              treeHealth: () => (root.state === 'running' || (stopping && root.state === 'stopping') ? undefined : `the root supervisor is ${root.state}`),
              onChange: (change) => {
                if (change.pinging) logger.info('watchdog pings resumed');
                else logger.warn({ reason: change.reason }, 'watchdog pings withheld: systemd restarts the agent if this lasts');
              },
            });
          }
        },
        beforeStop(why) {
          stopping = true;
          unsubscribe?.();
          unsubscribe = undefined;
          send({ stopping: true, status: `agent stopping: ${why}` });
        },
        stop() {
          unsubscribe?.();
          watchdog?.stop();
          stalls?.stop();
          if (stopping) send({ status: 'agent stopped: the supervision tree has stopped' });
          return Promise.resolve();
        },
      });
    },
  };
}
