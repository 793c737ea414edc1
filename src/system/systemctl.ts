// Runs systemd's own tools (systemctl, systemd-run) as processes found on PATH, and turns their
// failures into E_SYSTEMD errors that carry what the tool said. Nothing talks to systemd's D-Bus API
// directly: the tools are what an operator would type, and what the commands print that they ran.

import { spawn } from 'node:child_process';
import { GravityError } from '../errors.ts';
import { agentUnitName } from './agent-unit.ts';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type SystemdTool = 'systemctl' | 'systemd-run';

/** Longest wait for a tool: `systemctl start` of a Type=notify unit waits for READY=1 (TimeoutStartSec=90s). */
const toolTimeoutMs = 120_000;

/**
 * Runs the tool; resolves with its exit code and output whatever the code. A missing tool is E_SYSTEMD.
 * @example const { code } = await runSystemdTool('systemctl', ['is-active', '--quiet', 'gravity-resume.service']);
 */
export function runSystemdTool(tool: SystemdTool, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), toolTimeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new GravityError('E_SYSTEMD', error.code === 'ENOENT' ? `${tool} is not installed (not found on PATH)` : `cannot run ${tool}: ${error.message}`, {
          hint: 'install systemd (Debian: apt-get install systemd), or set GRAVITY_SYSTEMD=off to run without it',
          cause: error,
        }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
    });
  });
}

/** The command as the user would type it, for messages. */
export function describeCommand(tool: SystemdTool, args: readonly string[]): string {
  return [tool, ...args].map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs the tool and fails with E_SYSTEMD, quoting its stderr, unless it exits 0.
 * @example await systemdTool('systemctl', ['daemon-reload']);
 */
export async function systemdTool(tool: SystemdTool, args: readonly string[]): Promise<ToolResult> {
  const result = await runSystemdTool(tool, args);
  if (result.code !== 0) {
    const said = result.stderr.trim().split('\n').filter((line) => line.trim() !== '');
    throw new GravityError('E_SYSTEMD', `'${describeCommand(tool, args)}' failed with exit code ${result.code}`, {
      details: said.slice(-10),
      ...(tool === 'systemctl' ? { hint: `'journalctl -xe' and 'systemctl status ${agentUnitName}' tell more` } : {}),
    });
  }
  return result;
}

/** The major version of the host's systemd (`systemctl --version`), 0 when it cannot be told. */
export async function systemdVersion(): Promise<number> {
  try {
    const { code, stdout } = await runSystemdTool('systemctl', ['--version']);
    const match = /^systemd (\d+)/.exec(stdout);
    return code === 0 && match !== null ? Number(match[1]) : 0;
  } catch (error) {
    if (error instanceof GravityError) return 0;
    throw error;
  }
}

/** True when systemd knows the unit (`LoadState=loaded`). */
export async function unitLoaded(unit: string): Promise<boolean> {
  const { code, stdout } = await runSystemdTool('systemctl', ['show', '--property=LoadState', '--value', unit]);
  return code === 0 && stdout.trim() === 'loaded';
}

/** The unit's active state (`active`, `activating`, `inactive`, `failed`, ...). */
export async function unitActiveState(unit: string): Promise<string> {
  const { stdout } = await runSystemdTool('systemctl', ['is-active', unit]);
  return stdout.trim() || 'unknown';
}
