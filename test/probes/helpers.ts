// Real targets for the checker tests, started on 127.0.0.1 by the tests themselves: HTTP and HTTPS
// servers (with a self-signed certificate made by openssl), a unix-socket HTTP server, servers that
// accept and never answer, a TCP listener whose connect never completes; and the small glue every
// checker test needs (compile a config, run a check with a real deadline).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Checker, CheckResult } from '../../src/probes/types.ts';

export const testStateDir = '/var/lib/gravity-test';

/** Compiles a checker's keys; returns the config and every problem pushed. */
export function compileWith<C>(checker: Checker<C>, raw: Record<string, unknown>, stateDir = testStateDir): { config: C | undefined; problems: string[] } {
  const problems: string[] = [];
  const config = checker.compile({ checker: checker.id, ...raw }, 'probes[0]', problems, { stateDir });
  return { config, problems };
}

/** Compiles a config that must be valid. */
export function mustCompile<C>(checker: Checker<C>, raw: Record<string, unknown>, stateDir = testStateDir): C {
  const { config, problems } = compileWith(checker, raw, stateDir);
  if (config === undefined || problems.length > 0) throw new Error(`config did not compile: ${problems.join('; ')}`);
  return config;
}

/** Runs one check with a real deadline; also measures how long it took. */
export async function runCheck<C>(
  checker: Checker<C>,
  config: C,
  timeoutMs = 2000,
  stateDir = testStateDir,
): Promise<CheckResult & { elapsedMs: number }> {
  const started = Date.now();
  const result = await checker.check(config, { signal: AbortSignal.timeout(timeoutMs), timeoutMs, stateDir });
  return { ...result, elapsedMs: Date.now() - started };
}

/** A table test of bad configs: each must produce exactly these problems (matched by regex). */
export interface BadConfig {
  name: string;
  raw: Record<string, unknown>;
  problems: RegExp[];
}

/** Asserts that a bad config does not compile and yields exactly the expected problems. */
export function assertProblems<C>(checker: Checker<C>, bad: BadConfig): void {
  const { config, problems } = compileWith(checker, bad.raw);
  assert.equal(config, undefined, `${bad.name}: compiled although invalid`);
  assert.equal(problems.length, bad.problems.length, `${bad.name}: expected ${bad.problems.length} problems, got ${JSON.stringify(problems)}`);
  for (const pattern of bad.problems) {
    assert.ok(
      problems.some((problem) => pattern.test(problem)),
      `${bad.name}: no problem matches ${String(pattern)}: ${JSON.stringify(problems)}`,
    );
  }
}

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `gravity-probes-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Certificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid for a day. */
export function selfSignedCertificate(dir: string): Certificate {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface Running {
  port: number;
  /** host:port */
  address: string;
  close(): Promise<void>;
}

async function listen(server: net.Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // TLS servers report their raw TCP sockets on 'connection' too; destroying those ends the TLS ones.
  return sockets;
}

export async function startHttp(handler: Handler): Promise<Running> {
  const server = http.createServer(handler);
  const sockets = track(server);
  await listen(server, { port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

export async function startHttps(certificate: Certificate, handler: Handler): Promise<Running> {
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, handler);
  const sockets = track(server);
  // A client that rejects our certificate shows up as a TLS error here: expected, not a test failure.
  server.on('tlsClientError', () => undefined);
  await listen(server, { port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

export async function startUnixHttp(path: string, handler: Handler): Promise<{ close(): Promise<void> }> {
  const server = http.createServer(handler);
  const sockets = track(server);
  await listen(server, { path });
  return { close: closer(server, sockets) };
}

/** A TCP server that accepts connections and never says anything (nor closes them). */
export async function startSilentTcp(): Promise<Running> {
  const server = net.createServer(() => undefined);
  const sockets = track(server);
  await listen(server, { port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

/** A port nothing listens on (a server was there a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await listen(server, { port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A listener whose connects never complete: a process that listens with a backlog of 1 and then
 * blocks, so the kernel's accept queue fills and later SYNs are dropped (the client keeps retrying
 * until its deadline), as with a firewalled or overloaded host.
 */
export async function startUnacceptingListener(): Promise<Running> {
  const script = `
    const net = require('node:net');
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n', () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      });
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  // Fill the accept queue: these complete (or hang) and hold their places.
  const fillers = [0, 1, 2, 3].map(() => net.connect({ host: '127.0.0.1', port }).on('error', () => undefined));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const filler of fillers) filler.destroy();
        if (child.exitCode !== null) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }
      }),
  };
}
