// The health endpoint's TLS certificate: self-signed, made with the system's `openssl` on first start
// and kept in <state-dir>/tls/ (folder 0700, key 0600), so that it survives restarts and clients
// that pin it keep working. It is made again only when the files are missing, damaged, do not match
// each other, expire within 30 days, or do not name every host and address the node is reached by.

import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GravityError } from '../errors.ts';
import { tightenIfPresent } from '../private-files.ts';
import { describeStateDirErrno } from '../supervisor/state-dir.ts';

export interface CertificateOptions {
  /** DNS names the certificate must name (the first is its common name); `localhost` is always added. */
  hostnames: readonly string[];
  /**
   * IP addresses it must name; 127.0.0.1 and ::1 are always added, 0.0.0.0 and :: are ignored, and
   * a host name here (an advertise address or listen host given by name) is named as a DNS name.
   */
  ips: readonly string[];
  /** The openssl binary (default: `openssl` on the PATH). */
  openssl?: string;
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

const validityDays = 3650;
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

/** Why the stored pair cannot be reused, or undefined when it can. */
function staleReason(key: string, cert: string, wanted: { dns: string[]; ips: string[] }, now: number): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
    if (!certificate.checkPrivateKey(createPrivateKey(key))) return 'the key does not match the certificate';
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
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

function escapeSubject(value: string): string {
  return value.replace(/[\\/+=]/gu, (character) => `\\${character}`);
}

function runOpenssl(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new GravityError('E_TLS', `cannot create the health endpoint's certificate: ${binary} not found`, {
            cause: error,
            hint: 'install openssl (Debian: apt-get install openssl)',
          }),
        );
        return;
      }
      const why = stderr.trim().split('\n').filter((line) => line.trim() !== '').pop() ?? error.message;
      reject(new GravityError('E_TLS', `openssl failed to create the health endpoint's certificate: ${why}`, { cause: error }));
    });
  });
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
 * Returns the server's key and certificate, making them on first use.
 * @example const { key, cert } = await ensureServerCertificate('/var/lib/gravity', { hostnames: ['node-1'], ips: ['10.0.0.5'] });
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
  const existing = readPair(keyPath, certPath);
  if (existing !== undefined && staleReason(existing.key, existing.cert, wanted, options.now ?? Date.now()) === undefined) {
    return { ...existing, keyPath, certPath, generated: false };
  }

  const suffix = `.${process.pid}.tmp`;
  const commonName = options.hostnames[0] ?? 'localhost';
  const subjectAltName = [...wanted.dns.map((name) => `DNS:${name}`), ...wanted.ips.map((ip) => `IP:${ip}`)].join(',');
  try {
    await runOpenssl(options.openssl ?? 'openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      String(validityDays),
      '-subj',
      `/CN=${escapeSubject(commonName)}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-keyout',
      keyPath + suffix,
      '-out',
      certPath + suffix,
    ]);
    chmodSync(keyPath + suffix, 0o600);
    chmodSync(certPath + suffix, 0o644);
    renameSync(keyPath + suffix, keyPath);
    renameSync(certPath + suffix, certPath);
  } catch (error) {
    rmSync(keyPath + suffix, { force: true });
    rmSync(certPath + suffix, { force: true });
    if (error instanceof GravityError) throw error;
    throw new GravityError('E_TLS', `cannot store the health endpoint's certificate in ${dir}: ${(error as Error).message}`, {
      cause: error,
      hint: describeStateDirErrno(stateDir, error as NodeJS.ErrnoException).hint,
    });
  }
  const made = readPair(keyPath, certPath);
  if (made === undefined) throw new GravityError('E_TLS', `the certificate made in ${dir} disappeared`);
  return { ...made, keyPath, certPath, generated: true };
}
