// What the benchmarks share: where the CLI is (compiled or under tsx), percentiles, polling with a
// deadline, a TCP probe target, and an agent process started from a config with its log kept, so
// that each benchmark file holds only what it measures.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether this runs compiled (dist/) rather than under tsx. */
export const compiled = !import.meta.url.endsWith('.ts');
export const cliMain = fileURLToPath(new URL(compiled ? '../../src/cli/main.js' : '../../src/cli/main.ts', import.meta.url));
/** Node options a child needs to run the CLI (tsx when not compiled). */
export const execArgv = compiled ? [] : ['--import', 'tsx'];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Wall-clock milliseconds with sub-millisecond resolution. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** The p-th percentile (nearest rank) of the values, in any order. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Polls until `probe` gives a value; throws after `timeoutMs`. */
export async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A TCP listener on 127.0.0.1 that accepts and closes (a probe target); port 0 picks a free one. */
export function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A TCP listener on a free port of 127.0.0.1: the probe target. */
export async function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  const server = await listen(0);
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface RunningAgent {
  child: ChildProcess;
  /** The health endpoint's URL. */
  url: string;
  stateDir: string;
  /** The agent's log so far (JSON lines). */
  log(): string;
}

/** The `url` of the first log line with this message, once it is there. */
export function loggedUrl(agent: RunningAgent, message: string, timeoutMs = 30_000): Promise<string> {
  return until(
    () => {
      const line = agent.log().split('\n').find((text) => text.includes(`"${message}"`));
      return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
    },
    timeoutMs,
    `"${message}" in the agent's log`,
  );
}

/** Starts `gravity start` with a config made of these lines; resolves once the health endpoint listens. */
export async function startAgent(stateDir: string, configLines: string[]): Promise<RunningAgent> {
  const config = join(stateDir, 'gravity.yaml');
  writeFileSync(config, configLines.join('\n') + '\n');
  const child = spawn(process.execPath, [...execArgv, cliMain, 'start', '--state-dir', stateDir, '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GRAVITY_LOG_LEVEL: 'info' },
  });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const agent: RunningAgent = { child, url: '', stateDir, log: () => log };
  try {
    agent.url = await loggedUrl(agent, 'health endpoint listening');
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return agent;
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
