// The health endpoint over real HTTPS: Gravity's JSON with 200/503 following the snapshot, /local,
// /history, /metrics, /time, 404 and 405, keep-alive, and `curl -sk ... | python3 -m json.tool`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxHistoryLimit, startHealthServer } from '../../src/api/health-server.ts';
import type { HealthServer } from '../../src/api/health-server.ts';
import { ensureServerCertificate } from '../../src/api/tls.ts';
import type { Clock } from '../../src/clock.ts';
import { isGravityError } from '../../src/errors.ts';
import { createHealthMetrics } from '../../src/health/metrics.ts';
import type { ClusterReport, HealthEndpointJson } from '../../src/health/types.ts';
import type { HistoryEvent, HistoryQuery, HistoryStore } from '../../src/store/types.ts';

const now = Date.parse('2020-02-18T21:40:00Z');
const node = '192_168_121_245.example';
const dockerError = 'healthz check failed: Get http://docker/version: dial unix /var/run/docker.sock: connect: no such file or directory';

const clock: Clock = {
  now: () => now,
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function healthyReport(): ClusterReport {
  return {
    name: 'prod',
    status: 'running',
    nodes: [
      {
        name: node,
        addr: '192.168.121.245',
        role: 'master',
        member: 'alive',
        status: 'running',
        probes: [
          { name: 'kube-apiserver', checker: 'kube-apiserver', status: 'running', severity: 'critical' },
          { name: 'docker', checker: 'docker', status: 'running', severity: 'critical' },
          { name: 'etcd-healthz', checker: 'etcd-healthz', status: 'running', severity: 'critical' },
        ],
      },
    ],
    time: now,
  };
}

function degradedReport(): ClusterReport {
  return {
    name: 'prod',
    status: 'degraded',
    reason: `node ${node} is degraded`,
    nodes: [
      {
        name: node,
        addr: '192.168.121.245',
        role: 'master',
        member: 'alive',
        status: 'degraded',
        probes: [
          { name: 'docker', checker: 'docker', status: 'failed', severity: 'critical', error: dockerError, checkedAt: now, durationMs: 3 },
          { name: 'kube-apiserver', checker: 'kube-apiserver', status: 'running', severity: 'critical', error: 'stale, not shown' },
          { name: 'load', checker: 'load', status: 'failed', severity: 'warning', error: 'load average 9.1 above 8' },
        ],
      },
    ],
    time: now,
  };
}

class MemoryHistory implements HistoryStore {
  events: HistoryEvent[] = [];
  failure: Error | undefined;
  append(events: readonly HistoryEvent[]): Promise<number> {
    this.events.push(...events);
    return Promise.resolve(events.length);
  }
  list(query: HistoryQuery = {}): Promise<HistoryEvent[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return Promise.resolve(
      this.events
        .filter((event) => (query.since === undefined || event.time >= query.since) && (query.node === undefined || event.node === query.node))
        .slice(0, query.limit),
    );
  }
  evict(): Promise<number> {
    return Promise.resolve(0);
  }
  latest(): Promise<HistoryEvent[]> {
    return Promise.resolve([]);
  }
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(port: number, path: string, options: { method?: string; agent?: https.Agent } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', rejectUnauthorized: false, agent: options.agent ?? false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('api/health-server', () => {
  let stateDir: string;
  let tls: { key: string; cert: string };
  let server: HealthServer;
  let report: ClusterReport;
  let history: MemoryHistory;
  const metrics = createHealthMetrics({ defaultMetrics: false });

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-health-server-'));
    tls = await ensureServerCertificate(stateDir, { clusterName: 'c', hostnames: [node], ips: [] });
  });
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  beforeEach(async () => {
    report = healthyReport();
    history = new MemoryHistory();
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      tls,
      report: () => report,
      localNode: node,
      history,
      metrics: () => metrics.metrics(),
      metricsContentType: metrics.contentType,
      clock,
    });
  });
  afterEach(async () => server.close());

  it("answers Gravity's JSON with 200 while running", async () => {
    const response = await request(server.port, '/');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const expected: HealthEndpointJson = {
      nodes: [
        {
          member_status: { addr: '192.168.121.245', name: node, status: 'alive', tags: { publicip: '192.168.121.245', role: 'master' } },
          name: node,
          probes: [
            { checker: 'kube-apiserver', status: 'running' },
            { checker: 'docker', status: 'running' },
            { checker: 'etcd-healthz', status: 'running' },
          ],
          status: 'running',
        },
      ],
      status: 'running',
    };
    assert.deepEqual(JSON.parse(response.body), expected);
    // Key for key in Gravity's order, so that the pretty-printed output reads the same.
    assert.equal(response.body, `${JSON.stringify(expected)}\n`);
  });

  it('answers 503 while degraded, with the error of a failed probe and the severity of a warning, and follows the snapshot', async () => {
    report = degradedReport();
    const response = await request(server.port, '/');
    assert.equal(response.status, 503);
    const body = JSON.parse(response.body) as HealthEndpointJson;
    assert.equal(body.status, 'degraded');
    assert.equal(body.nodes[0]?.status, 'degraded');
    assert.deepEqual(body.nodes[0]?.probes, [
      { checker: 'docker', error: dockerError, status: 'failed' },
      { checker: 'kube-apiserver', status: 'running' },
      { checker: 'load', error: 'load average 9.1 above 8', severity: 'warning', status: 'failed' },
    ]);
    report = healthyReport();
    assert.equal((await request(server.port, '/')).status, 200);
  });

  it("answers this node's entry on /local", async () => {
    const healthy = await request(server.port, '/local');
    assert.equal(healthy.status, 200);
    const entry = JSON.parse(healthy.body) as HealthEndpointJson['nodes'][number];
    assert.equal(entry.name, node);
    assert.equal(entry.member_status.tags.role, 'master');
    report = degradedReport();
    assert.equal((await request(server.port, '/local')).status, 503);
    report = { ...healthyReport(), nodes: [] };
    const missing = await request(server.port, '/local');
    assert.equal(missing.status, 503);
    assert.match((JSON.parse(missing.body) as { error: string }).error, /not in the health report/);
  });

  it('answers the status history on /history, optionally since a time or for a node', async () => {
    await history.append([
      { id: 'a', time: now - 2 * 3600_000, type: 'Probe Failed', node, checker: 'docker', detail: dockerError },
      { id: 'b', time: now - 60_000, type: 'Node Degraded', node },
      { id: 'c', time: now - 30_000, type: 'Probe Succeeded', node: 'other', checker: 'docker' },
    ]);
    const all = await request(server.port, '/history');
    assert.equal(all.status, 200);
    const body = JSON.parse(all.body) as { events: (HistoryEvent & { timestamp: string })[] };
    assert.deepEqual(
      body.events.map((event) => event.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(body.events[0], {
      id: 'a',
      time: now - 2 * 3600_000,
      timestamp: '2020-02-18T19:40:00.000Z',
      type: 'Probe Failed',
      node,
      checker: 'docker',
      detail: dockerError,
    });
    const recent = JSON.parse((await request(server.port, '/history?since=1h')).body) as { events: HistoryEvent[] };
    assert.deepEqual(
      recent.events.map((event) => event.id),
      ['b', 'c'],
    );
    const since = JSON.parse((await request(server.port, `/history?since=${encodeURIComponent('2020-02-18T21:39:00Z')}`)).body) as {
      events: HistoryEvent[];
    };
    assert.deepEqual(
      since.events.map((event) => event.id),
      ['b', 'c'],
    );
    const other = JSON.parse((await request(server.port, '/history?node=other')).body) as { events: HistoryEvent[] };
    assert.deepEqual(
      other.events.map((event) => event.id),
      ['c'],
    );
    const bad = await request(server.port, '/history?since=yesterday');
    assert.equal(bad.status, 400);
    assert.match((JSON.parse(bad.body) as { error: string }).error, /since/);
  });

  it(`answers at most ${maxHistoryLimit} events at a time, saying where the next ones start, and refuses a larger limit`, async () => {
    const total = maxHistoryLimit * 2 + 5;
    await history.append(Array.from({ length: total }, (_, i) => ({ id: `e${i}`, time: 1_000 + i, type: 'Probe Failed' as const, node, checker: 'web' })));
    const seen = new Set<string>();
    let since: number | undefined;
    let pages = 0;
    for (;;) {
      const answer = JSON.parse((await request(server.port, since === undefined ? '/history' : `/history?since=${since}`)).body) as {
        events: HistoryEvent[];
        more?: boolean;
        next?: number;
      };
      pages += 1;
      assert.ok(answer.events.length <= maxHistoryLimit);
      for (const event of answer.events) seen.add(event.id);
      if (answer.more !== true) break;
      assert.equal(answer.next, answer.events.at(-1)?.time);
      since = answer.next;
    }
    assert.equal(seen.size, total);
    assert.equal(pages, 3);
    const tooMany = await request(server.port, `/history?limit=${maxHistoryLimit + 1}`);
    assert.equal(tooMany.status, 400);
    assert.match((JSON.parse(tooMany.body) as { error: string }).error, /limit/u);
  });

  it('answers 503 with the error when the history cannot be read', async () => {
    history.failure = new Error('database disk image is malformed');
    const response = await request(server.port, '/history');
    assert.equal(response.status, 503);
    assert.deepEqual(JSON.parse(response.body), { error: 'database disk image is malformed' });
  });

  it('answers Prometheus text on /metrics', async () => {
    metrics.updateFromReport(degradedReport());
    const response = await request(server.port, '/metrics');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(response.body, /^gravity_probe_status\{node="192_168_121_245.example",probe="docker",checker="docker"\} 0$/m);
    assert.match(response.body, /^gravity_cluster_status 0$/m);
  });

  it("answers this node's clock on /time", async () => {
    const response = await request(server.port, '/time');
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { time: now });
  });

  it('answers 404 for anything else and 405 for anything but GET and HEAD', async () => {
    for (const path of ['/nope', '/local/', '/history/x', '/etc/passwd', '//']) {
      const response = await request(server.port, path);
      assert.equal(response.status, 404, path);
      assert.deepEqual(JSON.parse(response.body), { error: 'not found' });
    }
    for (const path of ['/', '/local', '/history', '/metrics', '/time']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const response = await request(server.port, path, { method });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.equal(response.headers.allow, 'GET, HEAD');
        assert.match((JSON.parse(response.body) as { error: string }).error, /^method not allowed/u);
      }
    }
    // A path it does not serve is not found, whatever the method.
    for (const method of ['POST', 'DELETE']) {
      const response = await request(server.port, '/nope', { method });
      assert.equal(response.status, 404, method);
      assert.equal(response.headers.allow, undefined);
    }
    const head = await request(server.port, '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('answers an address that is not valid UTF-8, or a malformed request, with 400 and its JSON', async () => {
    for (const path of ['/%FF', '/%C0', '/local%E0%80', '/history?since=%FF%FF']) {
      const response = await request(server.port, path);
      if (path.startsWith('/history')) {
        // In a query, a bad escape is only a bad value.
        assert.equal(response.status, 400, path);
        continue;
      }
      assert.equal(response.status, 400, path);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.match((JSON.parse(response.body) as { error: string }).error, /^bad request/u, path);
    }
    // An escaped name of a route is that route.
    assert.equal((await request(server.port, '/%74ime')).status, 200);
    // Bytes no request line may hold: refused by the parser, answered with the same JSON.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
        socket.write(Buffer.concat([Buffer.from('GET /'), Buffer.from([0x00, 0x7f]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /u);
    assert.match(raw, /\{"error":"bad request: the request is malformed"\}/u);
  });

  it('keeps connections alive, and closes them when it stops', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const original = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof original>) => {
      const socket = original(...args);
      sockets.add(socket);
      return socket;
    };
    for (let i = 0; i < 5; i++) assert.equal((await request(server.port, '/', { agent })).status, 200);
    assert.equal(sockets.size, 1);
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, 'close() does not wait for idle keep-alive connections');
    agent.destroy();
  });

  it('refuses a port in use with E_LISTEN', async () => {
    await assert.rejects(
      startHealthServer({
        host: '127.0.0.1',
        port: server.port,
        tls,
        report: () => report,
        localNode: node,
        history,
        metrics: () => metrics.metrics(),
        clock,
      }),
      (error) => isGravityError(error, 'E_LISTEN'),
    );
  });

  it('works with `curl -sk https://127.0.0.1:<port>/ | python3 -m json.tool`', async function () {
    const tools = await run('command -v curl && command -v python3');
    if (tools.code !== 0) {
      console.log('    (skipped: curl or python3 is not installed here)');
      this.skip();
    }
    report = degradedReport();
    const result = await run(`set -o pipefail; curl -sk https://127.0.0.1:${server.port}/ | python3 -m json.tool`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ {4}"nodes": \[$/m);
    assert.match(result.stdout, /"checker": "docker",\n\s+"error": "healthz check failed/);
    assert.match(result.stdout, /^ {4}"status": "degraded"$/m);
  });
});
