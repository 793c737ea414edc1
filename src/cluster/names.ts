// What may be named in a cluster certificate: cluster and node names as the config allows them
// (letters, digits and ._-), short enough for a common name, and a node address that is an IP
// address or a host name. Checked before anything is made, so a certificate never says more than meant.

import net from 'node:net';
import { GravityError } from '../errors.ts';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/u;
const hostnamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/u;

/**
 * Throws E_PKI_NAME_INVALID unless `name` is a cluster or node name a certificate may carry.
 * @example checkCertificateName('node', 'node-1');
 */
export function checkCertificateName(kind: 'cluster' | 'node', name: string): void {
  if (!namePattern.test(name)) {
    throw new GravityError('E_PKI_NAME_INVALID', `cannot put the ${kind} name ${JSON.stringify(name.slice(0, 80))} in a certificate: not 1 to 63 letters, digits and ._- starting with a letter or digit`);
  }
}

/**
 * How an address is named in a certificate: an IP address as `ip`, a host name as `dns`.
 * @example addressName('10.0.0.5') // { type: 'ip', value: '10.0.0.5' }
 */
export function addressName(address: string): { type: 'ip' | 'dns'; value: string } {
  if (net.isIP(address) !== 0) {
    if (address === '0.0.0.0' || address === '::') {
      throw new GravityError('E_PKI_NAME_INVALID', `cannot put ${address} in a certificate: it is every address, not one the node is reached at`);
    }
    return { type: 'ip', value: address };
  }
  if (!hostnamePattern.test(address)) {
    throw new GravityError('E_PKI_NAME_INVALID', `cannot put the address ${JSON.stringify(address.slice(0, 80))} in a certificate: not an IP address or a host name`);
  }
  return { type: 'dns', value: address.toLowerCase() };
}
