// A node's certificate, signed by the cluster CA: it names the node (CN and a DNS name) and the address
// the other nodes reach it at, and serves both ends of mutual TLS between agents (serverAuth and
// clientAuth), valid one year with a P-256 key of its own. verifyNodeCertificate is the check one node
// makes of another's certificate: issued by this cluster's CA, within its dates, not a CA itself.
// The node's HTTPS endpoints get a certificate from the same CA (issueServerCertificate) so that
// clients can check them with ca.pem alone; it is for serverAuth only, so it never passes for a node.

import { GravityError } from '../errors.ts';
import { backdateMs, type ClusterCa } from './ca.ts';
import { addressName, checkCertificateName } from './names.ts';
import { addYears, ecdsaP256, newKeyPair, privateKeyPem, randomSerial, x509 } from './x509.ts';

/** How long a node certificate is valid. */
export const nodeValidityYears = 1;

export interface NodeIdentity {
  /** The node's name: its certificate's CN and a DNS name in it. */
  name: string;
  /** The address the other nodes reach it at (the advertise address): an IP address or a host name. */
  address: string;
  /** Also name `localhost` and 127.0.0.1, for clients on the node itself (default false). */
  loopback?: boolean;
}

export interface NodeCertificate {
  /** PEM. */
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export interface VerifiedNode {
  /** The node's name (the certificate's CN). */
  name: string;
  dnsNames: string[];
  ipAddresses: string[];
  notAfter: Date;
}

/** The subject alternative names a node's certificate carries, without repeats. */
export function nodeAltNames(node: NodeIdentity): x509.JsonGeneralNames {
  checkCertificateName('node', node.name);
  const names: x509.JsonGeneralNames = [{ type: 'dns', value: node.name.toLowerCase() }, addressName(node.address)];
  if (node.loopback === true) names.push({ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' });
  return names.filter((name, index) => names.findIndex((other) => other.type === name.type && other.value === name.value) === index);
}

interface Issue {
  subject: string | x509.JsonName;
  altNames: x509.JsonGeneralNames;
  usages: x509.ExtendedKeyUsageType[];
  validityYears: number;
  now: Date;
}

/** A new key and a certificate for it, signed by the CA: not a CA itself, never valid past the CA's end. */
async function issue(ca: ClusterCa, { subject, altNames, usages, validityYears, now }: Issue): Promise<NodeCertificate> {
  const keys = await newKeyPair();
  const notAfter = addYears(now, validityYears);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now.getTime() - backdateMs),
    // Never past the CA's own end: a chain is only as valid as its CA.
    notAfter: notAfter > ca.certificate.notAfter ? ca.certificate.notAfter : notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { certPem: `${certificate.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * Makes a key and a certificate for the node, signed by the CA.
 * @example const { certPem, keyPem } = await issueNodeCertificate(ca, { name: 'node-1', address: '10.0.0.5' });
 */
export async function issueNodeCertificate(ca: ClusterCa, node: NodeIdentity, options: { now?: Date } = {}): Promise<NodeCertificate> {
  return issue(ca, {
    subject: `CN=${node.name}`,
    altNames: nodeAltNames(node),
    usages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    validityYears: nodeValidityYears,
    now: options.now ?? new Date(),
  });
}

export interface ServerIdentity {
  /** The certificate's common name. */
  commonName: string;
  /** Every DNS name clients may reach the server by (already checked). */
  dnsNames: readonly string[];
  /** Every IP address clients may reach the server at (already checked). */
  ipAddresses: readonly string[];
}

/**
 * Makes a key and a certificate for one of the node's HTTPS endpoints (health endpoint, Control Panel),
 * signed by the CA, naming any number of DNS names and IP addresses. It is for serverAuth only, so it
 * never passes for a node's identity between agents (verifyNodeCertificate wants clientAuth too).
 * @example const { certPem } = await issueServerCertificate(ca, { commonName: 'node-1', dnsNames: ['node-1', 'localhost'], ipAddresses: ['127.0.0.1'] }, { validityYears: 10 });
 */
export async function issueServerCertificate(ca: ClusterCa, server: ServerIdentity, options: { now?: Date; validityYears: number }): Promise<NodeCertificate> {
  return issue(ca, {
    subject: [{ CN: [server.commonName] }],
    altNames: [...server.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...server.ipAddresses.map((value) => ({ type: 'ip' as const, value }))],
    usages: [x509.ExtendedKeyUsage.serverAuth],
    validityYears: options.validityYears,
    now: options.now ?? new Date(),
  });
}

function refuse(reason: string, cause?: unknown): GravityError {
  return new GravityError('E_CERT_INVALID', `node certificate refused: ${reason}`, cause === undefined ? {} : { cause });
}

function parse(pem: string, what: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (error) {
    throw refuse(`cannot read the ${what}: ${(error as Error).message}`, error);
  }
}

async function checkCa(ca: x509.X509Certificate, now: Date): Promise<void> {
  const usages = ca.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  if (ca.getExtension(x509.BasicConstraintsExtension)?.ca !== true || (usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw refuse(`the CA certificate (${ca.subject}) is not a CA that may sign certificates`);
  }
  if (!(await ca.verify({ date: now }))) throw refuse(`the CA certificate (${ca.subject}) is not self-signed or not valid on ${now.toISOString()}`);
}

/**
 * Checks that `certPem` is a node certificate of the cluster whose CA is `caPem`: a chain from it to
 * the CA (the CA's signature), within its validity dates (and the CA within its own), not a CA itself,
 * for both serverAuth and clientAuth. Returns what it names; throws E_CERT_INVALID saying why not.
 * @example const { name, ipAddresses } = await verifyNodeCertificate(caPem, peerPem);
 */
export async function verifyNodeCertificate(caPem: string, certPem: string, options: { now?: Date } = {}): Promise<VerifiedNode> {
  const now = options.now ?? new Date();
  const ca = parse(caPem, 'CA certificate');
  const certificate = parse(certPem, 'certificate');
  await checkCa(ca, now);

  const chain = await new x509.X509ChainBuilder({ certificates: [ca] }).build(certificate);
  const root = chain[chain.length - 1];
  if (chain.length !== 2 || root === undefined || !root.equal(ca)) {
    throw refuse(`${certificate.subject} was not signed by the cluster CA (${ca.subject})`);
  }
  if (!(await certificate.verify({ publicKey: ca, date: now }))) {
    throw refuse(`${certificate.subject} is not valid on ${now.toISOString()} (valid from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()})`);
  }
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true) throw refuse(`${certificate.subject} is a CA certificate, not a node's`);
  const usages = certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
  for (const usage of [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]) {
    if (!usages.includes(usage)) throw refuse(`${certificate.subject} may not be used for ${usage === x509.ExtendedKeyUsage.serverAuth ? 'serverAuth' : 'clientAuth'}`);
  }
  const name = certificate.subjectName.getField('CN')[0];
  if (name === undefined) throw refuse('the certificate has no common name');
  const altNames = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  return {
    name,
    dnsNames: altNames.filter((item) => item.type === 'dns').map((item) => item.value),
    ipAddresses: altNames.filter((item) => item.type === 'ip').map((item) => item.value),
    notAfter: certificate.notAfter,
  };
}
