// The agent's systemd unit, gravity-agent.service, as a pure function of where gravity is installed,
// its state dir and config file, and the systemd version. Every choice here is explained in
// docs/systemd.md ("The unit, setting by setting"); the numbers are exported so that the docs' claims
// (the stop timeout covers the agent's own shutdown, a crash loop never reaches the start limit) are
// checked by tests rather than trusted.

import { posix } from 'node:path';
import { execCommandLine, renderUnit, unitPath } from './unit-file.ts';
import type { UnitSection } from './unit-file.ts';

export const agentUnitName = 'gravity-agent.service';
/** Where `gravity system install` writes the unit unless --unit-dir says otherwise. */
export const defaultUnitDir = '/etc/systemd/system';
/** StateDirectory= names directories below this one. */
const stateDirectoryRoot = '/var/lib';

/** The unit's timing, in seconds. */
export const agentUnitTiming = {
  /** Pause before each automatic restart. */
  restartSec: 5,
  /** Start limit: at most `startLimitBurst` starts within `startLimitIntervalSec`... */
  startLimitIntervalSec: 60,
  /** ...which a crash loop paced by `restartSec` never reaches (60 / 5 = 12 starts < 15). */
  startLimitBurst: 15,
  /** systemd restarts the agent when no WATCHDOG=1 arrives for this long; the agent pings every half. */
  watchdogSec: 30,
  /** The agent's tree gets 30 s to stop (runAgent's shutdown timeout); the rest is for the endpoint, sockets and store. */
  timeoutStopSec: 45,
  /** From the process's start to READY=1: the tree, the first probe round, the endpoint's certificate. */
  timeoutStartSec: 90,
  /** systemd ≥ 254 only: restarts slow down from restartSec to restartMaxDelaySec over this many steps. */
  restartSteps: 5,
  restartMaxDelaySec: 120,
} as const;

/** The first systemd with RestartSteps= and RestartMaxDelaySec= (exponential restart backoff). */
export const restartBackoffSince = 254;

export interface AgentUnitOptions {
  /** How to run gravity: the absolute node binary, its loader flags if any, and the CLI's main script. */
  command: readonly string[];
  /** Absolute state dir. */
  stateDir: string;
  /** Absolute config file, when the agent is to read one. */
  configFile?: string;
  /** The major version of the host's systemd; 0 when unknown (the unit then uses what every version has). */
  systemdVersion?: number;
}

/** The path without `.`, `..`, doubled or trailing slashes. */
function normalize(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

function under(path: string, dir: string): boolean {
  const normalized = normalize(path);
  return normalized === dir || normalized.startsWith(`${dir}/`);
}

const tempDirs = ['/tmp', '/var/tmp'];

/**
 * The sections of gravity-agent.service.
 * @example renderUnit(agentUnitSections({ command: ['/usr/bin/node', '/opt/gravity/dist/src/cli/main.js'], stateDir: '/var/lib/gravity' }))
 */
export function agentUnitSections(options: AgentUnitOptions): UnitSection[] {
  const timing = agentUnitTiming;
  const stateDir = normalize(options.stateDir);
  const args = [...options.command, 'start', '--foreground', '--state-dir', stateDir];
  if (options.configFile !== undefined) args.push('--config', options.configFile);

  // The state dir: systemd creates and owns it when it lies below /var/lib; elsewhere it is only made
  // writable, in case ProtectSystem= or ProtectHome= cover it.
  const stateSettings: [string, string][] =
    under(stateDir, stateDirectoryRoot) && stateDir !== stateDirectoryRoot
      ? [
          ['StateDirectory', unitPath(stateDir.slice(stateDirectoryRoot.length + 1), 'the state dir')],
          ['StateDirectoryMode', '0700'],
        ]
      : [['ReadWritePaths', unitPath(stateDir, 'the state dir')]];
  // A private /tmp would hide a state dir or config kept in the real one.
  const usesTemp = [stateDir, options.configFile ?? '', ...options.command].some((path) => tempDirs.some((dir) => under(path, dir)));
  const backoff: [string, string][] =
    (options.systemdVersion ?? 0) >= restartBackoffSince
      ? [
          ['RestartSteps', String(timing.restartSteps)],
          ['RestartMaxDelaySec', `${timing.restartMaxDelaySec}s`],
        ]
      : [];

  return [
    {
      name: 'Unit',
      settings: [
        ['Description', 'Gravity agent: health probes, operation plans and their supervision'],
        ['After', 'network-online.target'],
        ['Wants', 'network-online.target'],
        ['StartLimitIntervalSec', `${timing.startLimitIntervalSec}s`],
        ['StartLimitBurst', String(timing.startLimitBurst)],
      ],
    },
    {
      name: 'Service',
      settings: [
        ['Type', 'notify'],
        ['NotifyAccess', 'main'],
        ['ExecStart', execCommandLine(args)],
        ['Restart', 'on-failure'],
        ['RestartSec', `${timing.restartSec}s`],
        ...backoff,
        ['WatchdogSec', `${timing.watchdogSec}s`],
        ['TimeoutStartSec', `${timing.timeoutStartSec}s`],
        ['TimeoutStopSec', `${timing.timeoutStopSec}s`],
        ['KillMode', 'mixed'],
        ['SyslogIdentifier', 'gravity-agent'],
        ...stateSettings,
        ['ProtectSystem', 'full'],
        ['ProtectHome', 'read-only'],
        ...(usesTemp ? [] : ([['PrivateTmp', 'yes']] as [string, string][])),
        ['NoNewPrivileges', 'yes'],
        ['ProtectKernelTunables', 'yes'],
        ['ProtectKernelModules', 'yes'],
        ['ProtectControlGroups', 'yes'],
        ['RestrictSUIDSGID', 'yes'],
        ['RestrictRealtime', 'yes'],
        ['LockPersonality', 'yes'],
      ],
    },
    { name: 'Install', settings: [['WantedBy', 'multi-user.target']] },
  ];
}

/**
 * The text of gravity-agent.service.
 * @example writeFileSync('/etc/systemd/system/gravity-agent.service', renderAgentUnit({ command, stateDir: '/var/lib/gravity' }));
 */
export function renderAgentUnit(options: AgentUnitOptions): string {
  return renderUnit(agentUnitSections(options), [
    'gravity-agent.service: the gravity agent of this node, supervised by systemd.',
    "Written by 'gravity system install'; 'gravity system uninstall' removes it.",
    'Each setting is explained in docs/systemd.md.',
  ]);
}
