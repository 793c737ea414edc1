// The TLS certificate of the health endpoint and the Control Panel: signed by the cluster CA of the
// state dir (<state-dir>/pki/ca.pem, made on first use), so that clients can verify it with that one
// file instead of trusting whatever the server presents. It is made in-process and kept in
// <state-dir>/tls/ (folder 0700, key 0600), so that it survives restarts and clients that pin it keep
// working. It is made again only when the files are missing, damaged, do not match each other, expire
// within 30 days, do not name every host and address the node is reached by, or were not signed by the
// current cluster CA.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GravityError } from '../errors.ts';
import { tightenIfPresent } from '../private-files.ts';
import { describeStateDirErrno } from '../supervisor/state-dir.ts';
import type { ClusterCa } from '../cluster/ca.ts';
import { issueServerCertificate } from '../cluster/node-certificate.ts';
import { ensureClusterCa } from '../cluster/pki.ts';
import { x509 } from '../cluster/x509.ts';

export interface CertificateOptions {
  /** The cluster's name (`cluster.name`): the CA made on first use is this cluster's, a kept one must be. */
  clusterName: string;
  /** DNS names the certificate must name (the first is its common name); `localhost` is always added. */
  hostnames: readonly string[];
  /**
   * IP addresses it must name; 127.0.0.1 and ::1 are always added, 0.0.0.0 and :: are ignored, and
   * a host name here (an advertise address or listen host given by name) is named as a DNS name.
   */
  ips: readonly string[];
  /** Epoch ms now (for the expiry check). */
  now?: number;
}

export interface ServerCertificate {
  /** PEM. */
  key: string;
  /** PEM. */
  cert: string;
  keyPath: string;
  certPath: string;
  /** Whether this call made a new certificate. */
  generated: boolean;
}

/** How long the certificate is valid (never past the CA's end). */
const validityYears = 10;
const renewBeforeMs = 30 * 86_400_000;
const dnsNamePattern = /^[A-Za-z0-9_*](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/u;

function sans(options: CertificateOptions): { dns: string[]; ips: string[] } {
  // An address given as a host name (an advertise address may be one) is named as a DNS name.
  const names = [...options.hostnames, ...options.ips.filter((ip) => net.isIP(ip) === 0), 'localhost'];
  const dns = [...new Set(names.map((name) => name.toLowerCase()))];
  for (const name of dns) {
    if (!dnsNamePattern.test(name) || net.isIP(name) !== 0) {
      throw new GravityError('E_TLS', `cannot put ${JSON.stringify(name)} in a certificate: not a DNS name or an IP address`);
    }
  }
  const ips = [...new Set(['127.0.0.1', '::1', ...options.ips.filter((ip) => net.isIP(ip) !== 0)])].filter((ip) => ip !== '0.0.0.0' && ip !== '::');
  return { dns, ips };
}

/** Whether the CA's key signed the certificate, and the certificate names the CA as its issuer. */
async function signedBy(ca: ClusterCa, cert: string): Promise<boolean> {
  try {
    const certificate = new x509.X509Certificate(cert);
    return certificate.issuerName.toString() === ca.certificate.subjectName.toString() && (await certificate.verify({ publicKey: ca.certificate, signatureOnly: true }));
  } catch {
    return false;
  }
}

/** Why the stored pair cannot be reused, or undefined when it can. */
async function staleReason(ca: ClusterCa, key: string, cert: string, wanted: { dns: string[]; ips: string[] }, now: number): Promise<string | undefined> {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
    if (!certificate.checkPrivateKey(createPrivateKey(key))) return 'the key does not match the certificate';
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
  if (!(await signedBy(ca, cert))) return 'not signed by the cluster CA';
  if (Date.parse(certificate.validTo) - renewBeforeMs < now) return `expires ${certificate.validTo}`;
  const names = (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  const missingName = wanted.dns.find((name) => !names.includes(name));
  if (missingName !== undefined) return `does not name ${missingName}`;
  const missingIp = wanted.ips.find((ip) => certificate.checkIP(ip) === undefined);
  return missingIp === undefined ? undefined : `does not name ${missingIp}`;
}

function readPair(keyPath: string, certPath: string): { key: string; cert: string } | undefined {
  try {
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GravityError('E_TLS', `cannot read the health endpoint's certificate in ${path.dirname(keyPath)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Returns the server's key and certificate, signed by the cluster CA, making them (and the CA) on first use.
 * @example const { key, cert } = await ensureServerCertificate('/var/lib/gravity', { clusterName: 'prod', hostnames: ['node-1'], ips: ['10.0.0.5'] });
 */
export async function ensureServerCertificate(stateDir: string, options: CertificateOptions): Promise<ServerCertificate> {
  const wanted = sans(options);
  const dir = path.join(stateDir, 'tls');
  const keyPath = path.join(dir, 'server.key');
  const certPath = path.join(dir, 'server.crt');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    // A key left readable by an older gravity (or copied in by hand) is made the owner's alone.
    tightenIfPresent(keyPath);
  } catch (error) {
    throw new GravityError('E_TLS', `cannot create ${dir}: ${(error as Error).message}`, { cause: error, hint: describeStateDirErrno(stateDir, error as NodeJS.ErrnoException).hint });
  }
  const at = options.now ?? Date.now();
  const { ca } = await ensureClusterCa(stateDir, options.clusterName, { now: new Date(at) });
  const existing = readPair(keyPath, certPath);
  if (existing !== undefined && (await staleReason(ca, existing.key, existing.cert, wanted, at)) === undefined) {
    return { ...existing, keyPath, certPath, generated: false };
  }

  const issued = await issueServerCertificate(ca, { commonName: options.hostnames[0] ?? 'localhost', dnsNames: wanted.dns, ipAddresses: wanted.ips }, { now: new Date(at), validityYears });
  const suffix = `.${process.pid}.tmp`;
  try {
    // The key first, the certificate last: a certificate on disk always has its key beside it.
    for (const [file, text, mode] of [
      [keyPath, issued.keyPem, 0o600],
      [certPath, issued.certPem, 0o644],
    ] as const) {
      rmSync(file + suffix, { force: true });
      writeFileSync(file + suffix, text, { mode, flag: 'wx' });
      chmodSync(file + suffix, mode);
    }
    renameSync(keyPath + suffix, keyPath);
    renameSync(certPath + suffix, certPath);
  } catch (error) {
    rmSync(keyPath + suffix, { force: true });
    rmSync(certPath + suffix, { force: true });
    throw new GravityError('E_TLS', `cannot store the health endpoint's certificate in ${dir}: ${(error as Error).message}`, {
      cause: error,
      hint: describeStateDirErrno(stateDir, error as NodeJS.ErrnoException).hint,
    });
  }
  return { key: issued.keyPem, cert: issued.certPem, keyPath, certPath, generated: true };
}
