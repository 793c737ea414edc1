// The one place that loads the X.509 library: @peculiar/x509 needs a Reflect polyfill loaded before
// it and a WebCrypto provider set once (Node's own), and every certificate of the cluster uses the
// same ECDSA P-256 keys with SHA-256 signatures. Other modules import the library from here.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

export { x509 };

/** The key and signature algorithm of every cluster certificate: ECDSA on P-256 with SHA-256. */
export const ecdsaP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A new P-256 key pair whose private key can be exported (to be written to its file). */
export async function newKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
}

/** The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form Node's TLS reads. */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/**
 * A signing key from a PEM private key (PKCS#8 or SEC1). Throws when it is not a P-256 key.
 * @example const signingKey = await importSigningKey(readFileSync('ca-key.pem', 'utf8'));
 */
export async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return (await webcrypto.subtle.importKey('pkcs8', der, ecdsaP256, false, ['sign']));
}

/** A random 128-bit serial number in hex (the library encodes it as a positive integer). */
export function randomSerial(): string {
  return randomBytes(16).toString('hex');
}

/** The date `years` calendar years after `from`. */
export function addYears(from: Date, years: number): Date {
  const date = new Date(from.getTime());
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
}
