// The sd_notify(3) protocol, as pure functions: what systemd puts in the environment of a Type=notify
// service (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID) read into one settled form, and the messages
// the agent sends (newline-separated VAR=value assignments in one datagram) written and read back.

/** The assignments the agent sends. */
export interface NotifyFields {
  /** READY=1: startup finished; systemd moves the unit from `activating` to `active`. */
  ready?: true;
  /** STATUS=...: one line that `systemctl status` shows. */
  status?: string;
  /** WATCHDOG=1: the keep-alive ping. */
  watchdog?: true;
  /** STOPPING=1: the service began its shutdown. */
  stopping?: true;
}

/** The settled notify environment of this process. */
export interface NotifyEnv {
  /** The socket's address: a path, or `@name` for an abstract socket. */
  socket: string;
  /** The watchdog timeout (WATCHDOG_USEC) in ms; absent when the watchdog is off or meant for another process. */
  watchdogMs?: number;
}

export interface NotifyEnvResult {
  /** Undefined when NOTIFY_SOCKET is unset or unusable. */
  notify?: NotifyEnv;
  /** What was wrong with the variables (each is ignored, as sd_notify ignores it). */
  problems: string[];
}

/** The notify variables, which children of the agent must not inherit. */
export const notifyVariables = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/** Longest STATUS= text sent; longer text is cut with an ellipsis. */
export const maxStatusLength = 200;

function positiveInteger(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * Reads the variables systemd sets, as sd_notify and sd_watchdog_enabled do: a socket must be an
 * absolute path or `@abstract`; the watchdog is on when WATCHDOG_USEC is a positive number and
 * WATCHDOG_PID, if set, is this process.
 * @example parseNotifyEnv({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, process.pid)
 */
export function parseNotifyEnv(env: Readonly<Record<string, string | undefined>>, pid: number): NotifyEnvResult {
  const problems: string[] = [];
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return { problems };
  if (!socket.startsWith('/') && !(socket.startsWith('@') && socket.length > 1)) {
    problems.push(`NOTIFY_SOCKET must be an absolute path or @name, got ${JSON.stringify(socket)}: not notifying systemd`);
    return { problems };
  }
  const notify: NotifyEnv = { socket };
  const usecText = env.WATCHDOG_USEC;
  if (usecText !== undefined && usecText !== '') {
    const usec = positiveInteger(usecText);
    const pidText = env.WATCHDOG_PID;
    const watchdogPid = pidText === undefined || pidText === '' ? undefined : positiveInteger(pidText);
    if (usec === undefined) {
      problems.push(`WATCHDOG_USEC must be a positive number of microseconds, got ${JSON.stringify(usecText)}: no watchdog pings`);
    } else if (pidText !== undefined && pidText !== '' && watchdogPid === undefined) {
      problems.push(`WATCHDOG_PID must be a pid, got ${JSON.stringify(pidText)}: no watchdog pings`);
    } else if (watchdogPid === undefined || watchdogPid === pid) {
      notify.watchdogMs = Math.max(1, Math.round(usec / 1000));
    }
  }
  return { notify, problems };
}

/** A status text fit for STATUS=: one line, no leading or trailing space, at most maxStatusLength. */
export function statusText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= maxStatusLength ? line : `${line.slice(0, maxStatusLength - 1)}…`;
}

/**
 * One datagram's text: the assignments in a fixed order (READY, STOPPING, STATUS, WATCHDOG).
 * @example formatNotifyMessage({ ready: true, status: 'cluster running' }) // 'READY=1\nSTATUS=cluster running'
 */
export function formatNotifyMessage(fields: NotifyFields): string {
  const lines: string[] = [];
  if (fields.ready === true) lines.push('READY=1');
  if (fields.stopping === true) lines.push('STOPPING=1');
  if (fields.status !== undefined) lines.push(`STATUS=${statusText(fields.status)}`);
  if (fields.watchdog === true) lines.push('WATCHDOG=1');
  return lines.join('\n');
}

/**
 * A datagram's assignments, as systemd reads them (lines without `=` are ignored).
 * @example parseNotifyMessage('READY=1\nSTATUS=up') // { READY: '1', STATUS: 'up' }
 */
export function parseNotifyMessage(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}
