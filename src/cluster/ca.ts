// The cluster's certificate authority: a self-signed ECDSA P-256 certificate that may sign node
// certificates only (CA:true, pathLen 0, keyCertSign), valid ten years, kept in <state-dir>/pki/ as
// ca.pem (0644) and ca-key.pem (0600). Every node trusts the certificates it signs, so loading it
// refuses anything doubtful (a key that is not the certificate's, one others may read, a file too
// large) instead of making a new CA, which would cut this node off from the others.

import { X509Certificate as NodeX509Certificate, createPrivateKey, type webcrypto } from 'node:crypto';
import path from 'node:path';
import { GravityError } from '../errors.ts';
import { privateFileMode } from '../private-files.ts';
import { checkCertificateName } from './names.ts';
import { certificateFileMode, ensurePkiDir, pemFileExists, readPemFile, writePemFiles } from './pki-files.ts';
import { addYears, ecdsaP256, importSigningKey, newKeyPair, privateKeyPem, randomSerial, x509 } from './x509.ts';

export const caCertFile = 'ca.pem';
export const caKeyFile = 'ca-key.pem';

/** How long a cluster CA is valid. */
export const caValidityYears = 10;

/** How far back a certificate's validity starts, so that a node whose clock is a little behind accepts it. */
export const backdateMs = 5 * 60_000;

const subjectSuffix = ' gravity cluster CA';

export interface ClusterCa {
  clusterName: string;
  /** The CA certificate, PEM. */
  certPem: string;
  /** The CA's private key, PKCS#8 PEM. */
  keyPem: string;
  certificate: x509.X509Certificate;
  /** The private key, ready to sign node certificates. */
  signingKey: webcrypto.CryptoKey;
}

/** The common name of a cluster's CA. */
export function caCommonName(clusterName: string): string {
  return `${clusterName}${subjectSuffix}`;
}

/**
 * Makes a new CA for the cluster (in memory; saveClusterCa writes it).
 * @example const ca = await createClusterCa('prod'); // subject CN=prod gravity cluster CA
 */
export async function createClusterCa(clusterName: string, options: { now?: Date } = {}): Promise<ClusterCa> {
  checkCertificateName('cluster', clusterName);
  const now = options.now ?? new Date();
  const keys = await newKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${caCommonName(clusterName)}`,
    notBefore: new Date(now.getTime() - backdateMs),
    notAfter: addYears(now, caValidityYears),
    keys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { clusterName, certPem: `${certificate.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey), certificate, signingKey: keys.privateKey };
}

/**
 * Writes the CA to <state-dir>/pki/: the key first, the certificate last, so a certificate on disk
 * always has its key beside it.
 */
export function saveClusterCa(stateDir: string, ca: ClusterCa): void {
  const dir = ensurePkiDir(stateDir);
  writePemFiles(stateDir, [
    { file: path.join(dir, caKeyFile), text: ca.keyPem, mode: privateFileMode },
    { file: path.join(dir, caCertFile), text: ca.certPem, mode: certificateFileMode },
  ]);
}

/** The cluster name in a CA certificate's subject; undefined when it is not a gravity cluster CA's. */
function clusterNameOf(certificate: x509.X509Certificate): string | undefined {
  const commonName = certificate.subjectName.getField('CN')[0];
  return commonName?.endsWith(subjectSuffix) === true ? commonName.slice(0, -subjectSuffix.length) : undefined;
}

/**
 * Throws E_PKI_KEY_MISMATCH unless `keyPem` is the private key of `certPem` (E_PKI when either is not PEM).
 * @example checkKeyMatches(certPem, keyPem, '/var/lib/gravity/pki/ca-key.pem');
 */
export function checkKeyMatches(certPem: string, keyPem: string, keyFile: string): void {
  let matches: boolean;
  try {
    matches = new NodeX509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw new GravityError('E_PKI', `cannot read ${keyFile} or the certificate beside it: ${(error as Error).message}`, { cause: error });
  }
  if (!matches) throw new GravityError('E_PKI_KEY_MISMATCH', `${keyFile} is not the private key of the certificate ${path.basename(keyFile).replace('-key', '')}`);
}

/**
 * Reads the CA from <state-dir>/pki/; undefined when there is none yet (no ca.pem). Refuses a CA
 * certificate without its key, a key that is not the certificate's (E_PKI_KEY_MISMATCH) or that others
 * may read (E_PKI_KEY_EXPOSED), a file over 64 KiB (E_PKI_FILE_TOO_LARGE), and a certificate that is
 * not a gravity cluster CA (E_PKI).
 */
export async function loadClusterCa(stateDir: string): Promise<ClusterCa | undefined> {
  const dir = ensurePkiDir(stateDir);
  const certFile = path.join(dir, caCertFile);
  const keyFile = path.join(dir, caKeyFile);
  if (!pemFileExists(stateDir, certFile)) return undefined;
  if (!pemFileExists(stateDir, keyFile)) {
    throw new GravityError('E_PKI', `the cluster CA certificate ${certFile} is there but its key ${keyFile} is missing`, {
      hint: `restore ${keyFile} from a backup; a new CA is not made over the old one, since the other nodes trust the old one`,
    });
  }
  const certPem = readPemFile(stateDir, certFile, 'the cluster CA certificate', { secret: false });
  const keyPem = readPemFile(stateDir, keyFile, 'the cluster CA key', { secret: true });
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certPem);
  } catch (error) {
    throw new GravityError('E_PKI', `cannot read the cluster CA certificate ${certFile}: ${(error as Error).message}`, { cause: error });
  }
  checkKeyMatches(certPem, keyPem, keyFile);
  const clusterName = clusterNameOf(certificate);
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (clusterName === undefined || constraints?.ca !== true) {
    throw new GravityError('E_PKI', `${certFile} is not a gravity cluster CA certificate (subject ${certificate.subject})`);
  }
  let signingKey: webcrypto.CryptoKey;
  try {
    signingKey = await importSigningKey(keyPem);
  } catch (error) {
    throw new GravityError('E_PKI', `the cluster CA key ${keyFile} is not an ECDSA P-256 key: ${(error as Error).message}`, { cause: error });
  }
  return { clusterName, certPem, keyPem, certificate, signingKey };
}
