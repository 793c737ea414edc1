// One HTTP(S) request for the checkers that talk HTTP (http, docker, etcd-healthz, kube-apiserver,
// time-drift): a fresh connection per check (a probe measures the server, not a pooled socket),
// bounded by the probe's deadline and an optional shorter per-request timeout, with the body read up
// to a limit. A request that fails resolves with a one-line reason; it never rejects.

import { readInputFile } from '../../config/input-file.ts';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { describeError, errorCode } from './describe-error.ts';

export interface TlsFiles {
  /** Verify the server's certificate (against caFile, or the system's CAs). */
  tlsVerify: boolean;
  caFile?: string;
  /** Client certificate and key, for servers that require one. */
  certFile?: string;
  keyFile?: string;
}

export interface HttpRequestOptions {
  url: string;
  method?: 'GET' | 'HEAD';
  headers?: Readonly<Record<string, string>>;
  /** Talk HTTP over this unix socket instead of TCP (the URL's host is then only a name). */
  socketPath?: string;
  tls?: TlsFiles;
  /** The probe's deadline. */
  signal: AbortSignal;
  /** The probe's timeout, for the message when the signal fires. */
  timeoutMs: number;
  /** A shorter limit for this one request, if any. */
  requestTimeoutMs?: number;
  /** Body bytes kept (the rest is read and dropped). Default 64 KiB. */
  maxBodyBytes?: number;
}

export type HttpOutcome =
  | {
      ok: true;
      status: number;
      statusText: string;
      body: string;
      /** When the request went out on an established connection (after TLS), and when the response began. */
      sentAt: number;
      receivedAt: number;
    }
  | { ok: false; error: string };

type Phase = 'connecting' | 'handshaking' | 'awaiting response headers' | 'reading the response body';

const phaseText: Record<Phase, string> = {
  connecting: 'connecting',
  handshaking: 'in the TLS handshake',
  'awaiting response headers': 'while awaiting response headers',
  'reading the response body': 'while reading the response body',
};

function tlsMaterial(tls: TlsFiles): { options: https.RequestOptions } | { error: string } {
  const options: https.RequestOptions = { rejectUnauthorized: tls.tlsVerify };
  const files: [keyof https.RequestOptions & ('ca' | 'cert' | 'key'), string, string | undefined][] = [
    ['ca', 'caFile', tls.caFile],
    ['cert', 'certFile', tls.certFile],
    ['key', 'keyFile', tls.keyFile],
  ];
  for (const [option, key, path] of files) {
    if (path === undefined) continue;
    // Bounded like every file the user names: a device or a huge file is refused, not read.
    const read = readInputFile(path, key);
    if ('error' in read) return { error: read.error };
    options[option] = read.text;
  }
  return { options };
}

/**
 * Sends one request and resolves with the response or a one-line reason.
 * @example const outcome = await httpRequest({ url: 'http://127.0.0.1:8080/healthz', signal, timeoutMs: 5000 })
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpOutcome> {
  const { signal } = options;
  if (signal.aborted) return { ok: false, error: `timed out after ${options.timeoutMs}ms before the request was sent` };
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  let requestOptions: https.RequestOptions = {
    method: options.method ?? 'GET',
    headers: { 'user-agent': 'gravity-probe', ...options.headers },
    agent: false,
  };
  if (options.socketPath !== undefined) requestOptions.socketPath = options.socketPath;
  if (secure) {
    const material = tlsMaterial(options.tls ?? { tlsVerify: true });
    if ('error' in material) return { ok: false, error: material.error };
    requestOptions = { ...requestOptions, ...material.options };
  }
  if (signal.aborted) return { ok: false, error: `timed out after ${options.timeoutMs}ms before the request was sent` };
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;

  return new Promise<HttpOutcome>((resolve) => {
    let phase: Phase = 'connecting';
    let settled = false;
    let sentAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ ok: false, error: `timed out after ${options.timeoutMs}ms ${phaseText[phase]}` });
    const module = secure ? https : http;
    const request = module.request(url, requestOptions, (response) => {
      phase = 'reading the response body';
      const receivedAt = Date.now();
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept >= maxBodyBytes) return;
        const part = chunk.subarray(0, maxBodyBytes - kept);
        chunks.push(part);
        kept += part.length;
      });
      response.on('end', () =>
        finish({
          ok: true,
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
          sentAt,
          receivedAt,
        }),
      );
      response.on('error', (error) => finish({ ok: false, error: `reading the response body: ${describeError(error)}` }));
    });
    request.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        if (phase === 'connecting') phase = secure ? 'handshaking' : 'awaiting response headers';
      });
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        phase = 'awaiting response headers';
        sentAt = Date.now();
      });
    });
    request.on('error', (error) => {
      const reason = describeError(error);
      const code = errorCode(error);
      const port = url.port === '' ? (secure ? 443 : 80) : url.port;
      if ((phase !== 'connecting' && phase !== 'handshaking') || reason.startsWith('tls: ')) finish({ ok: false, error: reason });
      else if (phase === 'handshaking') finish({ ok: false, error: `TLS handshake with ${url.hostname}:${port}: ${reason}` });
      else if (options.socketPath !== undefined) finish({ ok: false, error: `dial unix ${options.socketPath}: connect: ${reason}` });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'ENODATA') {
        finish({ ok: false, error: `dial tcp: lookup ${url.hostname}: ${reason}` });
      } else finish({ ok: false, error: `dial tcp ${url.hostname}:${port}: connect: ${reason}` });
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (options.requestTimeoutMs !== undefined) {
      const limit = options.requestTimeoutMs;
      timer = setTimeout(() => finish({ ok: false, error: `timed out after ${limit}ms ${phaseText[phase]}` }), limit);
    }
    request.end();
  });
}
