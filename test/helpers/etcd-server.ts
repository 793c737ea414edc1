// The etcd store's tests run against a real etcd: this starts one `etcd` process on 127.0.0.1 with
// free client and peer ports and a temp data dir, waits until it answers /health, and stops it
// (SIGTERM, then SIGKILL after a grace) and removes the dir. It can be stopped and started again on
// the same ports and data, for tests of the store while etcd is away.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.ts';

/** Where Debian's etcd-server package installs the server. */
export const etcdBinary = '/usr/bin/etcd';

const startTimeoutMs = 20_000;
const stopGraceMs = 5_000;

export interface EtcdServer {
  /** The client URL, e.g. http://127.0.0.1:23790. */
  readonly endpoint: string;
  /** Stops the process, keeping its data dir (start() brings it back with the same data). */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same ports and data; resolves when it answers. */
  start(): Promise<void>;
  /** Stops it and removes its data dir. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${endpoint}/health`, { timeout: 1000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && body.includes('"health":"true"')));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts an etcd server for a test; dispose() it in after/afterEach.
 * @example before(async () => { server = await startEtcdServer(); }); after(() => server?.dispose());
 */
export async function startEtcdServer(): Promise<EtcdServer> {
  if (!existsSync(etcdBinary)) {
    throw new Error(`${etcdBinary} is missing: install the etcd-server package (apt-get install etcd-server) to run the etcd store's tests`);
  }
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'gravity-etcd-'));
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=gravity-test',
    `--data-dir=${join(dataDir, 'data')}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=gravity-test=${peer}`,
    '--logger=zap',
    '--log-level=error',
  ];
  let child: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    const started = spawn(etcdBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    let failed: Error | undefined;
    started.once('error', (error) => (failed = error));
    try {
      await waitFor(
        async () => {
          if (failed !== undefined) throw failed;
          if (started.exitCode !== null) throw new Error(`etcd exited with code ${started.exitCode}: ${output}`);
          return healthy(endpoint);
        },
        startTimeoutMs,
        `etcd to answer on ${endpoint}`,
        50,
      );
    } catch (error) {
      await stopProcess(started);
      throw error;
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined) await stopProcess(running);
  };

  try {
    await start();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint,
    stop,
    start,
    dispose: async () => {
      try {
        await stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
