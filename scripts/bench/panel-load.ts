// Load on the Control Panel, as many open panels make it, and the health endpoint's latency under it.
// Run as its own process (so that the load does not share an event loop with whoever measures):
//   node panel-load.js <panel url> <session id> <clients> <operation id> [more paths, comma-separated]
// each client keeps a live stream open and asks for the operations list and one operation's plan (and
// the other paths given, such as `/api/history?limit=1000`, or whole URLs such as the health endpoint's
// `https://127.0.0.1:7575/history`) in a loop, one request at a time; it prints `{"ready":true}` once every client has had an answer to each,
// and, on SIGTERM, `{"requests","bytes","errors","streamBytes"}` before it exits.

import { Agent, request } from 'node:https';
import type { ClientRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

/** One GET; resolves with the status and the bytes of the body (0 and -1 on an error). */
function get(url: string, agent: Agent | false, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers, rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', () => resolve({ status: 0, bytes: -1 }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve({ status: 0, bytes: -1 }));
    req.end();
  });
}

/**
 * Sequential GETs of `url` on one kept-alive connection: each one's time in ms. A request that fails
 * or takes longer than `timeoutMs` counts as `timeoutMs`. Stops early once `budgetMs` has passed.
 */
export async function measureLatency(url: string, samples: number, options: { timeoutMs?: number; budgetMs?: number } = {}): Promise<number[]> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  const started = performance.now();
  try {
    // The first request opens the connection (a TLS handshake): not a sample.
    await get(url, agent, {}, timeoutMs);
    while (times.length < samples && performance.now() - started < (options.budgetMs ?? Number.POSITIVE_INFINITY)) {
      const at = performance.now();
      const answer = await get(url, agent, {}, timeoutMs);
      times.push(answer.status === 0 ? timeoutMs : performance.now() - at);
    }
  } finally {
    agent.destroy();
  }
  return times;
}

interface Totals {
  requests: number;
  bytes: number;
  errors: number;
  streamBytes: number;
}

async function run(panelUrl: string, sessionId: string, clients: number, operationId: string, morePaths: readonly string[]): Promise<void> {
  const headers = { cookie: `gravity_session=${sessionId}` };
  const totals: Totals = { requests: 0, bytes: 0, errors: 0, streamBytes: 0 };
  const agents: Agent[] = [];
  const streams: ClientRequest[] = [];
  let stopping = false;
  let ready = 0;

  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const stream = request(`${panelUrl}/api/events`, { headers, rejectUnauthorized: false }, (res) => {
      res.on('data', (chunk: Buffer) => (totals.streamBytes += chunk.length));
      res.on('error', () => undefined);
    });
    stream.on('error', () => undefined);
    stream.end();
    streams.push(stream);
    let first = true;
    while (!stopping) {
      for (const path of ['/api/operations', `/api/operations/${encodeURIComponent(operationId)}`, ...morePaths]) {
        const answer = await get(/^https:\/\//u.test(path) ? path : `${panelUrl}${path}`, agent, headers, 60_000);
        totals.requests += 1;
        if (answer.status === 200) totals.bytes += answer.bytes;
        else totals.errors += 1;
      }
      if (first) {
        first = false;
        ready += 1;
        if (ready === clients) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
      }
    }
  };

  process.once('SIGTERM', () => {
    stopping = true;
    for (const stream of streams) stream.destroy();
    for (const agent of agents) agent.destroy();
    process.stdout.write(`${JSON.stringify(totals)}\n`, () => process.exit(0));
  });
  await Promise.all(Array.from({ length: clients }, client));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [panelUrl, sessionId, clients, operationId, more] = process.argv.slice(2);
  if (panelUrl === undefined || sessionId === undefined || clients === undefined || operationId === undefined) {
    process.stderr.write('usage: panel-load <panel url> <session id> <clients> <operation id> [more paths, comma-separated]\n');
    process.exit(2);
  }
  void run(panelUrl, sessionId, Number(clients), operationId, more === undefined || more === '' ? [] : more.split(','));
}
