// The integration tests ask the agent's HTTPS endpoints for a status and a body: one GET with a
// deadline, rejecting with the socket's own error (ECONNREFUSED when nothing listens, a TLS error when
// the certificate does not verify) or a timeout that says how long it waited. The certificate is not
// checked unless a CA to trust is given (the cluster CA in <state-dir>/pki/ca.pem, as `curl --cacert`).

import { request } from 'node:https';

export interface HttpsAnswer {
  status: number;
  text: string;
}

/**
 * GETs `url`, verifying the certificate against `options.ca` only when given (otherwise not at all,
 * as `curl -k`); rejects if no answer comes within `timeoutMs`.
 */
export function httpsGet(url: string, timeoutMs = 2000, options: { ca?: string } = {}): Promise<HttpsAnswer> {
  const tls = options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca, rejectUnauthorized: true };
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The status code of a GET of `url`. */
export async function httpsStatus(url: string, timeoutMs = 2000): Promise<number> {
  return (await httpsGet(url, timeoutMs)).status;
}
