// The reasons probes give for Node's errors: strerror text for system errors, and for TLS failures
// Node's reason with what to do in gravity's terms, whatever the Node version adds to the message.

import assert from 'node:assert/strict';
import { describeError } from '../../src/probes/support/describe-error.ts';

const tlsError = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const what = "(trust the server's CA with caFile, or set tlsVerify: false)";

describe('probe error reasons (describeError)', () => {
  it('gives the strerror text for a system error', () => {
    assert.equal(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'connection refused');
  });

  it('gives a TLS failure as Node words it, with what to do', () => {
    assert.equal(describeError(tlsError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')), `tls: self-signed certificate ${what}`);
    assert.equal(describeError(tlsError('certificate has expired', 'CERT_HAS_EXPIRED')), `tls: certificate has expired ${what}`);
  });

  it("leaves out Node 24's advice to run Node.js with --use-system-ca, a flag the agent's operator cannot pass", () => {
    const node24 = 'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca';
    assert.equal(describeError(tlsError(node24, 'DEPTH_ZERO_SELF_SIGNED_CERT')), `tls: self-signed certificate ${what}`);
    const issuer = 'unable to get local issuer certificate; if the root CA is installed locally, try running Node.js with --use-system-ca';
    assert.equal(describeError(tlsError(issuer, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY')), `tls: unable to get local issuer certificate ${what}`);
  });
});
