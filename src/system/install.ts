// `gravity system install` and `uninstall` as steps: write gravity-agent.service (atomically) and the
// service record in the state dir, then, where systemd runs, `systemctl daemon-reload` and `systemctl
// enable --now`; and the reverse. Each step is reported as it is done, so that the command says what
// it did, and a failure says which step failed.

import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GravityError } from '../errors.ts';
import { ensureStateDir } from '../supervisor/state-dir.ts';
import { managedBySystemd, readServiceRecord, removeServiceRecord, writeServiceRecord } from './agent-service.ts';
import { agentUnitName, defaultUnitDir, renderAgentUnit } from './agent-unit.ts';
import { findLocalAgent } from './local-agent.ts';
import { systemdRunning } from './systemd-env.ts';
import { describeCommand, systemdTool, systemdVersion, unitLoaded } from './systemctl.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface InstallOptions {
  stateDir: string;
  configFile?: string;
  unitDir: string;
  /** How to run gravity (gravityCommand()). */
  command: readonly string[];
  env?: Env;
  /** Each step done, as a line for the user. */
  report: (line: string) => void;
}

export interface InstallResult {
  unitFile: string;
  unitText: string;
  /** Whether systemd runs here (the unit was then enabled and started). */
  systemd: boolean;
}

function fileError(path: string, doing: string, error: unknown): GravityError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (error as Error).message;
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `free disk space on the file system that holds ${path} ('df -h ${dirname(path)}' shows it), or write the unit elsewhere with --unit-dir`
      : code === 'EROFS'
        ? `the file system that holds ${path} is read-only: write the unit elsewhere with --unit-dir`
        : 'run as root, or write the unit elsewhere with --unit-dir';
  return new GravityError('E_SYSTEMD', `cannot ${doing} ${path}: ${problem}`, { hint, cause: error });
}

/** The unit's text for these options (what --dry-run prints). */
export async function agentUnitText(options: Pick<InstallOptions, 'stateDir' | 'configFile' | 'command'>): Promise<string> {
  return renderAgentUnit({
    command: options.command,
    stateDir: options.stateDir,
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
    systemdVersion: await systemdVersion(),
  });
}

/**
 * @example await installAgentService({ stateDir: '/var/lib/gravity', unitDir: defaultUnitDir, command: gravityCommand(), report: console.log });
 */
export async function installAgentService(options: InstallOptions): Promise<InstallResult> {
  const { stateDir, report } = options;
  const unitDir = resolve(options.unitDir);
  const unitFile = join(unitDir, agentUnitName);
  const unitText = await agentUnitText(options);
  const systemd = systemdRunning(options.env);
  const reinstall = systemd && (await managedBySystemd(stateDir, options.env)) !== undefined;
  if (systemd && !reinstall) {
    // A foreground agent would hold the state dir, and the service's agent would fail to start.
    const agent = await findLocalAgent(stateDir);
    if (agent !== undefined) {
      throw new GravityError('E_AGENT_ALREADY_RUNNING', `an agent is already running for state dir ${stateDir} (pid ${agent.pid}), outside systemd`, {
        hint: "stop it first ('gravity stop'), then install: systemd then starts the agent as a service",
      });
    }
  }

  ensureStateDir(stateDir);
  try {
    mkdirSync(unitDir, { recursive: true, mode: 0o755 });
    const temp = `${unitFile}.${process.pid}.tmp`;
    writeFileSync(temp, unitText, { mode: 0o644 });
    renameSync(temp, unitFile);
  } catch (error) {
    throw fileError(unitFile, 'write', error);
  }
  report(`wrote ${unitFile}`);
  writeServiceRecord(stateDir, { unit: agentUnitName, unitFile, installedAt: Date.now() });

  if (!systemd) {
    report(`systemd is not running on this host: once it is, run 'systemctl daemon-reload' and 'systemctl enable --now ${unitFile === join(defaultUnitDir, agentUnitName) ? agentUnitName : unitFile}'`);
    report("until then 'gravity start' runs the agent in the foreground");
    return { unitFile, unitText, systemd };
  }
  const run = async (args: string[]): Promise<void> => {
    await systemdTool('systemctl', args);
    report(`ran ${describeCommand('systemctl', args)}`);
  };
  await run(['daemon-reload']);
  // A unit outside systemd's search path is linked into it by enabling it by path.
  const unitArg = unitDir === defaultUnitDir ? agentUnitName : unitFile;
  if (reinstall) await run(['try-restart', agentUnitName]);
  await run(['enable', '--now', unitArg]);
  report(`${agentUnitName} is enabled and running: 'systemctl status gravity-agent' shows it, 'journalctl -u gravity-agent -f' follows its log`);
  return { unitFile, unitText, systemd };
}

export interface UninstallOptions {
  stateDir: string;
  /** Where to look for the unit when the state dir does not say (its record is gone). */
  unitDir: string;
  env?: Env;
  report: (line: string) => void;
}

/**
 * Disables and stops the service, removes the unit file and the record; true if there was anything to undo.
 * @example await uninstallAgentService({ stateDir: '/var/lib/gravity', unitDir: defaultUnitDir, report: console.log });
 */
export async function uninstallAgentService(options: UninstallOptions): Promise<boolean> {
  const { stateDir, report } = options;
  const record = existsSync(stateDir) ? readServiceRecord(stateDir) : undefined;
  const unitFile = record?.unitFile ?? join(resolve(options.unitDir), agentUnitName);
  const systemd = systemdRunning(options.env);
  let changed = false;
  if (systemd && (await unitLoaded(agentUnitName))) {
    const args = ['disable', '--now', agentUnitName];
    await systemdTool('systemctl', args);
    report(`ran ${describeCommand('systemctl', args)}`);
    changed = true;
  }
  if (existsSync(unitFile)) {
    try {
      unlinkSync(unitFile);
    } catch (error) {
      throw fileError(unitFile, 'remove', error);
    }
    report(`removed ${unitFile}`);
    changed = true;
  }
  if (systemd && changed) {
    await systemdTool('systemctl', ['daemon-reload']);
    report('ran systemctl daemon-reload');
  }
  if (record !== undefined) {
    removeServiceRecord(stateDir);
    changed = true;
  }
  if (!changed) report(`${agentUnitName} is not installed (no ${unitFile}): nothing to do`);
  return changed;
}
