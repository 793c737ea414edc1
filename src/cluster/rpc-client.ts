// Calls another node's RPC server (rpc-server.ts) with this node's certificate as the client's, and
// trusts only the cluster CA for the server's. The server's certificate must also be a node
// certificate (serverAuth and clientAuth, not one of the HTTPS endpoints' certificates) naming the
// node called: its name when the caller knows it, else the address dialled. A peer that is down or
// slow is a one-line GravityError, never a stack: the caller decides what a missing peer means.

import net, { type Socket } from 'node:net';
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { GravityError } from '../errors.ts';
import { formatBytes } from '../config/limits.ts';
import { maxRpcResponseBytes, type RpcAnswers, type RpcPath } from './rpc-protocol.ts';

/** How long a call waits for its whole answer unless told otherwise. */
export const defaultRpcTimeoutMs = 2000;

/** The range a call's timeout may take. */
export const rpcTimeoutRange = { minMs: 10, maxMs: 60_000 } as const;

const serverAuthOid = '1.3.6.1.5.5.7.3.1';
const clientAuthOid = '1.3.6.1.5.5.7.3.2';

/** Socket errors that mean the peer is not there (or not answering), not that it refused this node. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export interface RpcPeer {
  /** The peer's node name: when given, its certificate must name it (else the address). */
  name?: string;
  /** Its IP address or host name. */
  address: string;
  port: number;
}

export interface RpcClientOptions {
  /** This node's certificate and key (the client's), and the cluster CA the server's is checked against. */
  pki: { caPem: string; certPem: string; keyPem: string };
  /** How long the call waits for its whole answer (connection, handshake, answer): 10 ms to 60 s, 2 s by default. */
  timeoutMs?: number;
}

function describePeer(peer: RpcPeer): string {
  const address = peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
  return peer.name === undefined ? address : `node ${peer.name} at ${address}`;
}

/** The timeout to use: `timeoutMs` when in range, E_USAGE saying the range when not. */
export function rpcTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return defaultRpcTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < rpcTimeoutRange.minMs || timeoutMs > rpcTimeoutRange.maxMs) {
    throw new GravityError('E_USAGE', `a node RPC timeout is a whole number of milliseconds from ${rpcTimeoutRange.minMs} to ${rpcTimeoutRange.maxMs}, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

/** E_USAGE unless the peer is an address of at most 253 characters and a port from 1 to 65535. */
function checkPeer(peer: RpcPeer): void {
  if (peer.address === '' || peer.address.length > 253 || !Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535) {
    throw new GravityError('E_USAGE', `a node RPC peer is an address of 1 to 253 characters and a port from 1 to 65535, got ${JSON.stringify(peer.address.slice(0, 80))} and ${String(peer.port)}`);
  }
}

/** Why the server's certificate is not the peer's node certificate, or undefined when it is. */
function identityError(peer: RpcPeer, certificate: PeerCertificate): GravityError | undefined {
  const usages = certificate.ext_key_usage ?? [];
  const subject = String(certificate.subject?.CN ?? '(no name)');
  if (!usages.includes(serverAuthOid) || !usages.includes(clientAuthOid)) {
    return new GravityError('E_RPC_REFUSED', `${describePeer(peer)} presented a certificate for ${subject} that is not a node certificate (it lacks serverAuth or clientAuth)`);
  }
  if (peer.name !== undefined) {
    if (subject !== peer.name || checkServerIdentity(peer.name.toLowerCase(), certificate) !== undefined) {
      return new GravityError('E_RPC_REFUSED', `${describePeer(peer)} presented the certificate of node ${subject}, not of node ${peer.name}`);
    }
    return undefined;
  }
  if (checkServerIdentity(peer.address, certificate) !== undefined) {
    return new GravityError('E_RPC_REFUSED', `${describePeer(peer)} presented the certificate of node ${subject}, which does not name ${peer.address}`);
  }
  return undefined;
}

/** A failed call's error: E_RPC_REFUSED for TLS refusals either way, E_RPC_UNREACHABLE for the rest. */
function callError(peer: RpcPeer, error: unknown, afterHandshake: boolean): GravityError {
  if (error instanceof GravityError) return error;
  const code = (error as { code?: unknown }).code;
  const text = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  if (afterHandshake && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return new GravityError('E_RPC_REFUSED', `${describePeer(peer)} closed the connection after the TLS handshake without an answer: it refused this node's certificate (${text})`);
  }
  if (typeof code === 'string' && !unreachableCodes.has(code) && /^ERR_(?:SSL|TLS)_|CERT|VERIFY|SELF_SIGNED|ISSUER/u.test(code)) {
    return new GravityError('E_RPC_REFUSED', `${describePeer(peer)} and this node did not accept each other's certificates: ${text}`);
  }
  return new GravityError('E_RPC_UNREACHABLE', `${describePeer(peer)} did not answer: ${text}`);
}

function responseError(peer: RpcPeer, status: number, text: string): GravityError {
  let message = text.slice(0, 200);
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message.slice(0, 200);
  } catch {
    // not JSON: its first characters say enough
  }
  return new GravityError('E_RPC_RESPONSE', `${describePeer(peer)} answered ${status}: ${message}`);
}

/**
 * GETs one path of a peer's node RPC; resolves its JSON answer.
 * Throws E_RPC_UNREACHABLE, E_RPC_REFUSED or E_RPC_RESPONSE.
 * @example const { now } = await callPeer({ name: 'node-2', address: '10.0.0.6', port: 3012 }, '/v1/time', { pki });
 */
export function callPeer<P extends RpcPath>(peer: RpcPeer, path: P, options: RpcClientOptions): Promise<RpcAnswers[P]> {
  return new Promise<RpcAnswers[P]>((resolve, reject) => {
    // Thrown here, a bad timeout or peer rejects the call like any other failure.
    const timeoutMs = rpcTimeout(options.timeoutMs);
    checkPeer(peer);
    let settled = false;
    let secured = false;
    let answered = false;
    const finish = (outcome: { value: RpcAnswers[P] } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('error' in outcome) {
        req.destroy();
        socket?.destroy();
        reject(callError(peer, outcome.error, secured && !answered));
      } else {
        resolve(outcome.value);
      }
    };
    const req = request(
      {
        host: peer.address,
        port: peer.port,
        path,
        method: 'GET',
        agent: false,
        ca: [options.pki.caPem],
        cert: options.pki.certPem,
        key: options.pki.keyPem,
        minVersion: 'TLSv1.2',
        // SNI carries host names only.
        ...(net.isIP(peer.address) === 0 ? { servername: peer.address } : {}),
        checkServerIdentity: (_host: string, certificate: PeerCertificate) => identityError(peer, certificate),
        headers: { accept: 'application/json' },
      },
      (res) => {
        answered = true;
        const declared = Number(res.headers['content-length'] ?? 0);
        if (Number.isFinite(declared) && declared > maxRpcResponseBytes) {
          finish({ error: new GravityError('E_RPC_RESPONSE', `${describePeer(peer)} answered with more than ${formatBytes(maxRpcResponseBytes)}`) });
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxRpcResponseBytes) {
            finish({ error: new GravityError('E_RPC_RESPONSE', `${describePeer(peer)} answered with more than ${formatBytes(maxRpcResponseBytes)}`) });
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => finish({ error }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            finish({ error: responseError(peer, status, text) });
            return;
          }
          try {
            finish({ value: JSON.parse(text) as RpcAnswers[P] });
          } catch {
            finish({ error: new GravityError('E_RPC_RESPONSE', `${describePeer(peer)} answered ${path} with something that is not JSON`) });
          }
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ error: new GravityError('E_RPC_UNREACHABLE', `${describePeer(peer)} did not answer within ${timeoutMs} ms`) });
    }, timeoutMs);
    let socket: Socket | undefined;
    req.on('socket', (opened) => {
      socket = opened;
      // Seen after the handshake: a reset then is the peer refusing this node's certificate (TLS 1.3
      // tells the client so only after its side of the handshake is done).
      opened.once('secureConnect', () => (secured = true));
    });
    req.on('error', (error) => finish({ error }));
    req.end();
  });
}
