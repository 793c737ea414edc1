// The etcd store's tests run against a real etcd: this starts one `etcd` process on 127.0.0.1 with
// free client and peer ports and a temp data dir, waits until it answers /health, and stops it
// (SIGTERM, then SIGKILL after a grace) and removes the dir. It can be stopped and started again on
// the same ports and data, for tests of the store while etcd is away, and serve its clients over TLS
// with client certificates (made with openssl: etcdTestCertificates).

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { get as getTls } from 'node:https';
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

/** PEM files of a test CA, a server certificate for 127.0.0.1 and a client certificate it signed. */
export interface EtcdTestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/**
 * Makes a CA and the server and client certificates it signs, in `dir`.
 * @example const certs = etcdTestCertificates(dir); const server = await startEtcdServer({ tls: certs });
 */
export function etcdTestCertificates(dir: string): EtcdTestCertificates {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=gravity-test-ca', '-keyout', file('ca-key.pem'), '-out', file('ca.pem')]);
  const sign = (name: string, extensions: string): void => {
    openssl(['req', ...ec, '-subj', `/CN=${name}`, '-keyout', file(`${name}-key.pem`), '-out', file(`${name}.csr`)]);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial', '-days', '1', '-extfile', file(`${name}.ext`), '-out', file(`${name}.pem`)]);
  };
  sign('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  sign('client', 'extendedKeyUsage=clientAuth\n');
  return { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server-key.pem'), clientCert: file('client.pem'), clientKey: file('client-key.pem') };
}

export interface EtcdServerOptions {
  /** Serve clients over https, requiring a client certificate signed by the CA. */
  tls?: EtcdTestCertificates;
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

function healthy(endpoint: string, tls: EtcdTestCertificates | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const url = `${endpoint}/health`;
    const answer = (response: IncomingMessage): void => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && body.includes('"health":"true"')));
      response.on('error', () => resolve(false));
    };
    const request =
      tls === undefined
        ? get(url, { timeout: 1000 }, answer)
        : getTls(url, { timeout: 1000, ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) }, answer);
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
export async function startEtcdServer(options: EtcdServerOptions = {}): Promise<EtcdServer> {
  if (!existsSync(etcdBinary)) {
    throw new Error(`${etcdBinary} is missing: install the etcd-server package (apt-get install etcd-server) to run the etcd store's tests`);
  }
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'gravity-etcd-'));
  const tls = options.tls;
  const endpoint = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${clientPort}`;
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
    ...(tls === undefined ? [] : [`--cert-file=${tls.serverCert}`, `--key-file=${tls.serverKey}`, `--trusted-ca-file=${tls.ca}`, '--client-cert-auth']),
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
          return healthy(endpoint, tls);
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
