// The panel's server over real HTTPS with a real store in a temp dir and sources given by the test:
// nothing without a session (401 for the API, /login for pages), the data routes with a session,
// bad filters refused with a code, the live stream delivering records, the security headers, and a
// clear 503 page when the pages are not built.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { brotliCompressSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import type { HistoryResponse, MachinesResponse, OperationDetailResponse, OperationsResponse, PanelErrorBody } from '../../src/api/panel-protocol.ts';
import { panelLimits } from '../../src/api/panel-limits.ts';
import { panelOperations } from '../../src/api/panel-operations.ts';
import { sessionCookieName } from '../../src/api/panel-protocol.ts';
import type { PanelServer, PanelSources } from '../../src/api/panel-server.ts';
import { startPanelServer } from '../../src/api/panel-server.ts';
import { ensureServerCertificate } from '../../src/api/tls.ts';
import { createUserService } from '../../src/auth/users.ts';
import { systemClock } from '../../src/clock.ts';
import type { ClusterReport } from '../../src/health/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { HistoryEvent } from '../../src/store/types.ts';
import { waitFor } from '../helpers/wait.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, cookie?: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, rejectUnauthorized: false, headers: { ...headers, ...(cookie === undefined ? {} : { cookie: `${sessionCookieName}=${cookie}` }) } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the live stream and collects its text until closed. */
function stream(url: string, cookie: string): { text: () => string; close: () => void } {
  let text = '';
  const req = request(url, { rejectUnauthorized: false, headers: { cookie: `${sessionCookieName}=${cookie}` } }, (res) => {
    res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  });
  req.on('error', () => undefined);
  req.end();
  return { text: () => text, close: () => req.destroy() };
}

const report: ClusterReport = { name: 'prod', status: 'degraded', reason: 'node node-1 is degraded', nodes: [], time: 1 };
const events: HistoryEvent[] = [
  { id: 'a', time: 1_000, type: 'Probe Failed', node: 'node-1', checker: 'web', detail: 'refused' },
  { id: 'b', time: 2_000, type: 'Node Degraded', node: 'node-1' },
  { id: 'c', time: 3_000, type: 'Probe Succeeded', node: 'node-1', checker: 'web' },
];

describe('panel server (real HTTPS, real store)', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteStore;
  let bus: InspectionBus;
  let server: PanelServer | undefined;
  let cookie: string;
  let historyEvents: HistoryEvent[] | undefined;

  async function start(assetsDir: string): Promise<PanelServer> {
    const certificate = await ensureServerCertificate(dir, { clusterName: 'c', hostnames: ['node-1'], ips: ['127.0.0.1'] });
    const operations = panelOperations({ operations: store.operations, version: () => store.dataVersion() });
    const sources: PanelSources = {
      status: () => report,
      tree: () => Promise.resolve({ now: 0, root: { id: 'agent', path: 'agent', type: 'supervisor', thread: 'main', state: 'running', restart: 'permanent', restarts: 0 } }),
      operations: () => operations.list(),
      operationsJson: () => operations.listJson(),
      operationJson: (id) => operations.detailJson(id),
      storeVersion: () => store.dataVersion(),
      subscribe: (listener, filter) => bus.subscribe(listener, filter),
      history: (filter) => Promise.resolve({ events: (historyEvents ?? events).filter((event) => filter.checker === undefined || event.checker === filter.checker) }),
      actorRecords: () => Promise.resolve([]),
    };
    return startPanelServer({
      host: '127.0.0.1',
      port: 0,
      tls: certificate,
      assetsDir,
      users: store.users,
      publicUrl: (port) => `https://127.0.0.1:${port}`,
      sources,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-panel-server-'));
    store = openSqliteStore(dir);
    bus = new InspectionBus();
    const service = createUserService({ users: store.users, clock: systemClock });
    const invite = await service.invite('ops@example.com', ['@teleadmin']);
    cookie = (await service.signup(invite.token, 'violet-Anchor-meadow-73')).id;
    const assets = join(dir, 'web');
    mkdirSync(join(assets, 'assets'), { recursive: true });
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>panel</title><div id="app"></div>');
    writeFileSync(join(assets, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(assets, 'assets', 'app-1234.js.br'), brotliCompressSync('console.log(1)'));
  });
  afterEach(async () => {
    historyEvents = undefined;
    await server?.close();
    server = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers nothing but the sign-in page and scripts without a session', async () => {
    server = await start(join(dir, 'web'));
    const api = await get(`${server.url}/api/cluster`);
    assert.equal(api.status, 401);
    assert.equal((JSON.parse(api.body) as PanelErrorBody).code, 'E_AUTH_REQUIRED');
    const page = await get(`${server.url}/history`);
    assert.equal(page.status, 303);
    assert.match(String(page.headers.location), /^\/login/u);
    assert.equal((await get(`${server.url}/login`)).status, 200);
    const plain = await get(`${server.url}/assets/app-1234.js`);
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'console.log(1)');
    // The build's Brotli copy goes to browsers that take it.
    const compressed = await get(`${server.url}/assets/app-1234.js`, undefined, { 'accept-encoding': 'br, gzip' });
    assert.equal(compressed.headers['content-encoding'], 'br');
    const forged = await get(`${server.url}/api/cluster`, 'not-a-session');
    assert.equal(forged.status, 401);
  });

  it('serves the data to a session, with security headers and no caching of the API', async () => {
    server = await start(join(dir, 'web'));
    const cluster = await get(`${server.url}/api/cluster`, cookie);
    assert.equal(cluster.status, 200);
    assert.deepEqual(JSON.parse(cluster.body), report);
    assert.equal(cluster.headers['cache-control'], 'no-store');
    assert.match(String(cluster.headers['content-security-policy']), /default-src 'self'/u);
    assert.equal(cluster.headers['referrer-policy'], 'no-referrer');
    const history = JSON.parse((await get(`${server.url}/api/history?checker=web`, cookie)).body) as HistoryResponse;
    assert.deepEqual(history.events.map((event) => event.id), ['a', 'c']);
    const machines = JSON.parse((await get(`${server.url}/api/machines`, cookie)).body) as MachinesResponse;
    assert.ok(machines.machines.some((machine) => machine.name === 'probe'));
    const probe = JSON.parse((await get(`${server.url}/api/machines/probe`, cookie)).body) as { id: string };
    assert.equal(probe.id, 'probe');
    assert.equal((await get(`${server.url}/`, cookie)).status, 200);
  });

  it('refuses bad filters and unknown names with a code', async () => {
    server = await start(join(dir, 'web'));
    for (const query of ['since=yesterday', 'limit=-1', 'type=Nope', 'since=5&until=1']) {
      const answer = await get(`${server.url}/api/history?${query}`, cookie);
      assert.equal(answer.status, 400, query);
      assert.equal((JSON.parse(answer.body) as PanelErrorBody).code, 'E_REQUEST_INVALID', query);
    }
    const unknown = await get(`${server.url}/api/machines/nope`, cookie);
    assert.equal(unknown.status, 404);
    assert.equal((JSON.parse(unknown.body) as PanelErrorBody).code, 'E_STATECHART_UNKNOWN');
    assert.equal((await get(`${server.url}/api/actor-records`, cookie)).status, 400);
    const nowhere = await get(`${server.url}/api/nowhere`, cookie);
    assert.equal(nowhere.status, 404);
    assert.equal((JSON.parse(nowhere.body) as PanelErrorBody).code, 'E_NOT_FOUND');
  });

  it('streams the status on connect and each record of the bus', async () => {
    server = await start(join(dir, 'web'));
    const live = stream(`${server.url}/api/events?path=agent/probes`, cookie);
    try {
      await waitFor(() => live.text().includes('event: status'), 5_000, 'the status on connect');
      const record: InspectionRecord = { kind: 'snapshot', path: 'agent/probes/probe:web', time: 5, status: 'active', value: { active: { status: 'failed' } } };
      bus.publish(record);
      await waitFor(() => live.text().includes(`event: record\ndata: ${JSON.stringify(record)}`), 5_000, 'the record');
    } finally {
      live.close();
    }
  });

  it('says the pages are not built, with 503, and still serves the API', async () => {
    server = await start(join(dir, 'nowhere'));
    const page = await get(`${server.url}/login`);
    assert.equal(page.status, 503);
    assert.match(page.body, /npm run build/u);
    assert.equal((await get(`${server.url}/api/cluster`, cookie)).status, 200);
  });

  it("lists operations as bounded summaries and answers one operation's plan on demand, bounded, however large it is in the store", async () => {
    const huge = 'd'.repeat(5 * 1024 * 1024);
    const phases = Array.from({ length: 3 }, (_, i) => ({ id: `/step-${i}`, description: huge, requires: [], phases: [], executor: { kind: 'hook' as const, hook: 'h' } }));
    await store.operations.create({ id: 'op-huge', type: 'custom', description: huge, created: 1_000, plan: { id: '/', description: huge, requires: [], phases } });
    await store.operations.appendChange({ operationId: 'op-huge', phaseId: '/step-0', state: 'failed', time: 2_000, error: 'e'.repeat(100_000) });
    server = await start(join(dir, 'web'));
    const list = await get(`${server.url}/api/operations`, cookie);
    assert.equal(list.status, 200);
    assert.ok(list.body.length < 64 * 1024, `the list is ${list.body.length} bytes`);
    const [summary] = (JSON.parse(list.body) as OperationsResponse).operations;
    assert.equal(summary?.id, 'op-huge');
    assert.equal(summary?.descriptionBytes, huge.length);
    assert.match(summary?.description ?? '', new RegExp(`^d{${panelLimits.summaryTextChars}}… \\[truncated: ${huge.length} bytes in all\\]$`, 'u'));
    assert.deepEqual(summary?.phases, { unstarted: 2, in_progress: 0, completed: 0, failed: 1, rolled_back: 0 });
    assert.equal('plan' in (summary ?? {}), false);

    const detail = await get(`${server.url}/api/operations/op-huge`, cookie);
    assert.equal(detail.status, 200);
    assert.ok(detail.body.length <= panelLimits.detailBytes, `the detail is ${detail.body.length} bytes`);
    const { operation, phaseCount, omittedPhases } = JSON.parse(detail.body) as OperationDetailResponse;
    assert.equal(phaseCount, 3);
    assert.equal(omittedPhases, 0);
    assert.deepEqual(operation.plan.phases.map((phase) => [phase.id, phase.state]), [['/step-0', 'failed'], ['/step-1', 'unstarted'], ['/step-2', 'unstarted']]);
    assert.match(operation.plan.phases[0]?.description ?? '', /… \[truncated: 5242880 bytes in all\]$/u);
    assert.match(operation.plan.phases[0]?.error ?? '', /… \[truncated: 100000 bytes in all\]$/u);
    assert.ok((operation.plan.phases[0]?.description.length ?? 0) <= panelLimits.detailTextChars + 64);

    const missing = await get(`${server.url}/api/operations/nope`, cookie);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body) as PanelErrorBody).code, 'E_OPERATION_NOT_FOUND');
    assert.equal((await get(`${server.url}/api/operations/op-huge`)).status, 401);
  });

  it('leaves out the phases of a plan past the detail cap, and counts them', async () => {
    const text = 'p'.repeat(panelLimits.detailTextChars);
    const phases = Array.from({ length: 2_000 }, (_, i) => ({ id: `/p${i}`, description: text, requires: [], phases: [], executor: { kind: 'hook' as const, hook: 'h' } }));
    await store.operations.create({ id: 'op-wide', type: 'custom', description: 'wide', created: 1_000, plan: { id: '/', description: 'wide', requires: [], phases } });
    server = await start(join(dir, 'web'));
    const detail = await get(`${server.url}/api/operations/op-wide`, cookie);
    assert.equal(detail.status, 200);
    assert.ok(detail.body.length <= panelLimits.detailBytes, `the detail is ${detail.body.length} bytes`);
    const answer = JSON.parse(detail.body) as OperationDetailResponse;
    assert.equal(answer.phaseCount, 2_000);
    assert.ok(answer.omittedPhases > 0);
    assert.equal(answer.operation.plan.phases.length + answer.omittedPhases, 2_000);
  });

  it('answers 405 with Allow for a known path asked with another method, 404 for an unknown one', async () => {
    server = await start(join(dir, 'web'));
    for (const [method, path, allow] of [
      ['POST', '/api/cluster', 'GET, HEAD'],
      ['DELETE', '/api/users', 'GET, HEAD, POST'],
      ['PUT', '/api/operations/some-id', 'GET, HEAD'],
      ['GET', '/api/login', 'POST'],
    ] as const) {
      const answer = await get(`${server.url}${path}`, cookie, {}, method);
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.allow, allow, `${method} ${path}`);
      assert.equal((JSON.parse(answer.body) as PanelErrorBody).code, 'E_METHOD_NOT_ALLOWED');
    }
    // A JSON content type with no body does not hide the method's refusal.
    const withType = await get(`${server.url}/api/cluster`, cookie, { 'content-type': 'application/json' }, 'POST');
    assert.equal(withType.status, 405);
    assert.equal(withType.headers.allow, 'GET, HEAD');
    const unknown = await get(`${server.url}/api/nothing-here`, cookie, {}, 'POST');
    assert.equal(unknown.status, 404);
    assert.equal((JSON.parse(unknown.body) as PanelErrorBody).code, 'E_NOT_FOUND');
  });

  it('answers a URL that is not valid UTF-8 with a clean 400 in its error shape', async () => {
    server = await start(join(dir, 'web'));
    for (const path of ['/%FF', '/api/%C0', '/api/operations/%E0%80', '/api/machines/%FF']) {
      const answer = await get(`${server.url}${path}`, cookie);
      assert.equal(answer.status, 400, path);
      const body = JSON.parse(answer.body) as PanelErrorBody;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], path);
      assert.equal(body.code, 'E_REQUEST_INVALID', path);
      assert.match(String(answer.headers['content-security-policy']), /default-src 'self'/u);
    }
    // Bytes no request line may hold: refused by the parser, answered in the same shape.
    const port = server.port;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write(Buffer.concat([Buffer.from('GET /'), Buffer.from([0x00, 0x7f]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /u);
    assert.match(raw, /\{"code":"E_REQUEST_INVALID","message":"the request is malformed"\}/u);
  });

  it('refuses a live stream past the cap with 503 E_PANEL_BUSY, and a body past the limit with 413', async () => {
    server = await start(join(dir, 'web'));
    const url = server.url;
    const streams = Array.from({ length: panelLimits.streamClients }, () => stream(`${url}/api/events`, cookie));
    try {
      await waitFor(() => streams.every((live) => live.text().includes('event: status')), 15_000, 'every stream open');
      const refused = await get(`${url}/api/events`, cookie);
      assert.equal(refused.status, 503);
      assert.equal((JSON.parse(refused.body) as PanelErrorBody).code, 'E_PANEL_BUSY');
      assert.ok(refused.headers['retry-after'] !== undefined);
    } finally {
      for (const live of streams) live.close();
    }
    const big = await new Promise<Answer>((resolve, reject) => {
      const body = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(panelLimits.bodyBytes) });
      const req = request(`${url}/api/login`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', origin: url } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(big.status, 413);
    assert.equal((JSON.parse(big.body) as PanelErrorBody).code, 'E_REQUEST_INVALID');
  });

  it('refuses to send an answer over the response cap, with E_INTERNAL', async () => {
    historyEvents = [{ id: 'big', time: 1, type: 'Probe Failed', node: 'node-1', checker: 'web', detail: 'x'.repeat(panelLimits.responseBytes) }];
    server = await start(join(dir, 'web'));
    const answer = await get(`${server.url}/api/history`, cookie);
    assert.equal(answer.status, 500);
    assert.equal((JSON.parse(answer.body) as PanelErrorBody).code, 'E_INTERNAL');
    assert.ok(answer.body.length < 1024);
  });
});
