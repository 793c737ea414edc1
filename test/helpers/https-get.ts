// The integration tests ask the agent's HTTPS endpoints (self-signed certificate) for a status and a
// body: one GET with a deadline, rejecting with the socket's own error (ECONNREFUSED when nothing
// listens) or a timeout that says how long it waited.

import { request } from 'node:https';

export interface HttpsAnswer {
  status: number;
  text: string;
}

/** GETs `url` without verifying the certificate; rejects if no answer comes within `timeoutMs`. */
export function httpsGet(url: string, timeoutMs = 2000): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
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
