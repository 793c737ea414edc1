// Runs the real `gravity` CLI as a child process under tsx (no prior build needed), either to
// completion or, for `gravity start`, in the background with its JSON log lines collected.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isGravityError } from '../../src/errors.ts';
import { callAgent } from '../../src/api/control-client.ts';
import type { PingResult } from '../../src/api/control-protocol.ts';
import { waitForValue } from '../helpers/wait.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment the CLI runs with: no log level inherited from whoever runs the tests. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (extra.GRAVITY_LOG_LEVEL === undefined) delete env.GRAVITY_LOG_LEVEL;
  return env;
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  finished: Promise<Finished>;
}

/** Starts `node --import tsx <script> ...args`, collecting its output. */
export function spawnTs(script: string, args: readonly string[], env: NodeJS.ProcessEnv = cliEnv()): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, finished };
}

/** Runs the CLI to completion; kills it if it outlives `timeoutMs`. */
export async function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  const spawned = spawnTs(cliMain, args, options.env ?? cliEnv());
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  try {
    return await spawned.finished;
  } finally {
    clearTimeout(timer);
  }
}

/** JSON log records from a process's stdout (lines that are not JSON are skipped). */
export function logRecords(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls the agent's socket until it answers `ping` as running; fails early if the process ended. */
export async function waitForAgent(stateDir: string, spawned: Spawned, timeoutMs = 20_000): Promise<PingResult> {
  let exited: Finished | undefined;
  void spawned.finished.then((result) => (exited = result));
  return waitForValue(
    async () => {
      if (exited !== undefined) {
        throw new Error(`agent exited (code ${String(exited.code)}) before it ran:\n${exited.stdout}\n${exited.stderr}`);
      }
      try {
        const ping = await callAgent({ stateDir, timeoutMs: 2000 }, 'ping');
        return ping.state === 'running' ? ping : undefined;
      } catch (error) {
        if (isGravityError(error, 'E_AGENT_NOT_RUNNING')) return undefined;
        throw error;
      }
    },
    timeoutMs,
    `the agent on ${stateDir} to run`,
    50,
  );
}

/** The `url` of the agent's first log record with this message (e.g. 'health endpoint listening'), once it is logged. */
export function loggedUrl(agent: Spawned, message: string, timeoutMs = 10_000): Promise<string> {
  return waitForValue(
    () => {
      const record = logRecords(agent.stdout()).find((candidate) => candidate.msg === message);
      return typeof record?.url === 'string' ? record.url : undefined;
    },
    timeoutMs,
    `"${message}" with a url in the agent's log`,
  );
}

/** Kills an agent a test started (SIGKILL) if it still runs, and waits for its exit; nothing for undefined. */
export async function killAgent(agent: Spawned | undefined): Promise<void> {
  if (agent === undefined) return;
  if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
  await agent.finished;
}

/** Starts `gravity start` on the state dir with a config file made of these lines; resolves once it runs. */
export async function startConfiguredAgent(stateDir: string, configLines: readonly string[]): Promise<Spawned> {
  const config = join(stateDir, 'gravity.yaml');
  writeFileSync(config, configLines.join('\n') + '\n');
  const agent = spawnTs(cliMain, ['start', '--state-dir', stateDir, '--config', config]);
  await waitForAgent(stateDir, agent);
  return agent;
}
