// The cluster certificates of this node, made on first use and loaded after: the cluster CA and a node
// certificate it signed, in <state-dir>/pki/. Calling it again reuses what is there; the node
// certificate alone is made again when it no longer fits (another CA, another name or address, or
// within 30 days of its end). The CA is never made again over a kept one (see ca.ts).

import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import path from 'node:path';
import { GravityError, isGravityError } from '../errors.ts';
import { privateFileMode } from '../private-files.ts';
import { caCertFile, checkKeyMatches, createClusterCa, loadClusterCa, saveClusterCa, type ClusterCa } from './ca.ts';
import { checkCertificateName } from './names.ts';
import { issueNodeCertificate, nodeAltNames, verifyNodeCertificate, type NodeIdentity, type VerifiedNode } from './node-certificate.ts';
import { certificateFileMode, ensurePkiDir, pemFileExists, readPemFile, writePemFiles } from './pki-files.ts';

export const nodeCertFile = 'node.pem';
export const nodeKeyFile = 'node-key.pem';

/** A node certificate this close to its end is made again. */
const renewBeforeMs = 30 * 86_400_000;

export interface ClusterPki {
  /** <state-dir>/pki */
  dir: string;
  caCertPath: string;
  nodeCertPath: string;
  nodeKeyPath: string;
  /** The CA certificate, PEM: what a peer's certificate is checked against (`ca` of Node's TLS options). */
  caPem: string;
  /** This node's certificate, PEM. */
  certPem: string;
  /** This node's private key, PEM. */
  keyPem: string;
  /** What this call made: the CA (first use) and the node certificate. */
  made: { ca: boolean; node: boolean };
}

/** Why the stored node certificate cannot be reused, or undefined when it can. */
async function staleReason(ca: ClusterCa, certPem: string, node: NodeIdentity, now: Date): Promise<string | undefined> {
  let verified: VerifiedNode;
  try {
    verified = await verifyNodeCertificate(ca.certPem, certPem, { now });
  } catch (error) {
    if (isGravityError(error, 'E_CERT_INVALID')) return error.message;
    throw error;
  }
  if (verified.notAfter.getTime() - renewBeforeMs < now.getTime()) return `it ends ${verified.notAfter.toISOString()}`;
  if (verified.name !== node.name) return `it names ${verified.name}`;
  const certificate = new NodeX509Certificate(certPem);
  for (const wanted of nodeAltNames(node)) {
    const named = wanted.type === 'ip' ? certificate.checkIP(wanted.value) !== undefined : verified.dnsNames.includes(wanted.value);
    if (!named) return `it does not name ${wanted.value}`;
  }
  return undefined;
}

/**
 * The cluster CA of the state dir: loaded when there is one (refused when it is another cluster's),
 * made and saved on first use.
 * @example const { ca, made } = await ensureClusterCa('/var/lib/gravity', 'prod');
 */
export async function ensureClusterCa(stateDir: string, clusterName: string, options: { now?: Date } = {}): Promise<{ ca: ClusterCa; made: boolean }> {
  checkCertificateName('cluster', clusterName);
  const now = options.now ?? new Date();
  const loaded = await loadClusterCa(stateDir);
  if (loaded === undefined) {
    const ca = await createClusterCa(clusterName, { now });
    saveClusterCa(stateDir, ca);
    return { ca, made: true };
  }
  if (loaded.clusterName !== clusterName) {
    throw new GravityError('E_PKI', `the cluster CA in ${path.join(stateDir, 'pki', caCertFile)} is the CA of cluster ${loaded.clusterName}, not of ${clusterName}`, {
      hint: `use the state dir of cluster ${clusterName}, or set cluster.name to ${loaded.clusterName}`,
    });
  }
  return { ca: loaded, made: false };
}

/**
 * Returns this node's cluster certificates, making the CA and the node certificate on first use.
 * @example const pki = await ensureClusterPki('/var/lib/gravity', 'prod', { name: 'node-1', address: '10.0.0.5' });
 * // https.createServer({ key: pki.keyPem, cert: pki.certPem, ca: [pki.caPem], requestCert: true, rejectUnauthorized: true })
 */
export async function ensureClusterPki(stateDir: string, clusterName: string, node: NodeIdentity, options: { now?: Date } = {}): Promise<ClusterPki> {
  checkCertificateName('cluster', clusterName);
  nodeAltNames(node);
  const now = options.now ?? new Date();
  const dir = ensurePkiDir(stateDir);
  const caCertPath = path.join(dir, caCertFile);
  const nodeCertPath = path.join(dir, nodeCertFile);
  const nodeKeyPath = path.join(dir, nodeKeyFile);
  const { ca, made: madeCa } = await ensureClusterCa(stateDir, clusterName, { now });

  if (pemFileExists(stateDir, nodeCertPath) && pemFileExists(stateDir, nodeKeyPath)) {
    const keyPem = readPemFile(stateDir, nodeKeyPath, "this node's key", { secret: true });
    const certPem = readPemFile(stateDir, nodeCertPath, "this node's certificate", { secret: false });
    checkKeyMatches(certPem, keyPem, nodeKeyPath);
    if ((await staleReason(ca, certPem, node, now)) === undefined) {
      return { dir, caCertPath, nodeCertPath, nodeKeyPath, caPem: ca.certPem, certPem, keyPem, made: { ca: madeCa, node: false } };
    }
  }
  const issued = await issueNodeCertificate(ca, node, { now });
  writePemFiles(stateDir, [
    { file: nodeKeyPath, text: issued.keyPem, mode: privateFileMode },
    { file: nodeCertPath, text: issued.certPem, mode: certificateFileMode },
  ]);
  return { dir, caCertPath, nodeCertPath, nodeKeyPath, caPem: ca.certPem, ...issued, made: { ca: madeCa, node: true } };
}
