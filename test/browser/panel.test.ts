// The Control Panel in a real browser (Debian's Chromium driven by playwright-core) against a real
// agent process with a real TCP probe target: sign up from the URL `gravity users add` prints, see the
// cluster running, stop the target and watch the top bar turn red and the probe's chart light
// `failed` without a reload, bring it back, invite a read-only user from the users page, and the
// refusals (wrong password, expired and forged tokens, no session, an invite by a user without
// @teleadmin). Screenshots of every page go to test-output/browser/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser/chromium.ts';
import { defaultAssetsDir } from '../../src/api/panel-server.ts';
import type { Spawned } from '../cli/run-cli.ts';
import { loggedUrl, repoRoot, runCli, startConfiguredAgent } from '../cli/run-cli.ts';
import { closeTcp, listenTcp } from '../helpers/tcp-target.ts';

const screenshots = join(repoRoot, 'test-output', 'browser');
const probeActor = 'agent/probes/probe:web';
const password = 'purple-Harbor-lantern-42';

/** The URL's path, to open it on the panel's real port (the printed one names the configured port). */
function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function printedUrl(stdout: string): string {
  const match = /https:\/\/\S+/u.exec(stdout);
  assert.ok(match !== null, `no URL in:\n${stdout}`);
  return match[0];
}

describe('browser: the Control Panel against a real agent', function () {
  this.timeout(120_000);
  let stateDir: string;
  let configFile: string;
  let target: Server | undefined;
  let targetPort: number;
  let agent: Spawned | undefined;
  let panelUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    assert.ok(
      existsSync(join(defaultAssetsDir(), 'index.html')),
      `the panel's pages are not built in ${defaultAssetsDir()}: run npm run build:web (npm test does)`,
    );
    mkdirSync(screenshots, { recursive: true });
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-panel-'));
    target = await listenTcp(0);
    const address = target.address();
    assert.ok(address !== null && typeof address === 'object');
    targetPort = address.port;
    agent = await startConfiguredAgent(stateDir, [
      'cluster: { name: prod }',
      'node: { name: node-1, role: master, advertiseAddr: 127.0.0.1 }',
      'health: { listen: "127.0.0.1:0" }',
      'panel: { listen: "127.0.0.1:0" }',
      'probes:',
      `  - { checker: tcp, name: web, address: "127.0.0.1:${targetPort}", interval: 1s, timeout: 500ms, failuresBeforeFailed: 1, successesBeforeRunning: 1 }`,
    ]);
    configFile = join(stateDir, 'gravity.yaml');
    panelUrl = await loggedUrl(agent, 'Control Panel listening');
    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    if (agent !== undefined && agent.child.exitCode === null) {
      agent.child.kill('SIGTERM');
      await agent.finished;
    }
    if (target !== undefined) await closeTcp(target);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const shot = (name: string, on: Page = page) => on.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  const topBar = (status: 'running' | 'degraded', on: Page = page) => on.waitForSelector(`[data-testid="cluster-status"][data-status="${status}"]`);

  it('signs up from the URL `gravity users add` prints, and shows the cluster running', async () => {
    const added = await runCli(['users', 'add', 'admin@example.com', '--roles=@teleadmin', '--ttl=1h', '--state-dir', stateDir, '--config', configFile]);
    assert.equal(added.code, 0, added.stderr);
    await page.goto(`${panelUrl}${pathOf(printedUrl(added.stdout))}`);
    await page.waitForSelector('input[name="password"]');
    await shot('signup');
    await page.fill('input[name="password"]', password);
    await page.fill('input[name="confirm"]', password);
    await page.click('button[type="submit"]');
    await topBar('running');
    assert.equal(new URL(page.url()).pathname, '/');
    await page.waitForSelector(`text=web`);
    await shot('cluster-running');
  });

  it('turns the top bar red with the reason within 3 s of the target stopping, without a reload', async () => {
    // Page scripts are given as text: this project's types describe Node, not the DOM.
    await page.evaluate('window.stillTheSamePage = true');
    assert.ok(target !== undefined);
    await closeTcp(target);
    target = undefined;
    const stopped = Date.now();
    await page.waitForSelector('[data-testid="cluster-status"][data-status="degraded"]', { timeout: 3_000 - (Date.now() - stopped) });
    const reason = await page.textContent('[data-testid="degraded-reason"]');
    assert.match(reason ?? '', /web/u, `the reason names the failed probe: ${String(reason)}`);
    assert.equal(await page.evaluate('window.stillTheSamePage === true'), true, 'the page was reloaded');
    await shot('cluster-degraded');
  });

  it("lights `failed` on the probe's chart, then `running` once the target is back", async () => {
    await page.click('a[href="/actors"]');
    await page.click(`[data-actor-path="${probeActor}"]`);
    await page.waitForSelector('[data-state-id="probe.active.status.failed"][data-active="true"]');
    await shot('actors-probe-failed');
    target = await listenTcp(targetPort);
    await page.waitForSelector('[data-state-id="probe.active.status.running"][data-active="true"]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('[data-state-id="probe.active.status.failed"]', 'data-active'), 'false');
    await topBar('running');
    await shot('actors-probe-running');
    // The recorded transitions can be stepped back through: one step back shows an earlier state.
    await page.click('[data-testid="step-back"]');
    await page.click('[data-testid="step-live"]');
    await page.waitForSelector('[data-state-id="probe.active.status.running"][data-active="true"]');
    // A supervisor has no machine of its own: its life under its own supervisor is drawn and lit.
    await page.click('[data-actor-path="agent/probes"]');
    await page.waitForSelector('[data-testid="supervision-chart"] [data-state-id="supervisor.running"][data-active="true"]');
    await shot('actors-supervisor');
  });

  it("keeps the probe's record list bounded as records pour in, and pages back to older ones on demand", async () => {
    // A thousand records at once (as after a long while open), then the probe's live ones on top.
    const now = Date.now();
    const injected = Array.from({ length: 1_000 }, (_, index) => ({
      kind: 'event',
      path: probeActor,
      time: now - 600_000 + index * 100,
      event: { type: 'xstate.after.untilNextCheck.probe.active.cycle.waiting' },
    }));
    const asked: URL[] = [];
    await page.route('**/api/actor-records?**', async (route) => {
      const url = new URL(route.request().url());
      asked.push(url);
      const before = url.searchParams.get('before');
      const older = before === null ? injected : injected.filter((record) => record.time < Number(before)).slice(-200);
      await route.fulfill({ json: { records: older, more: false } });
    });
    try {
      await page.click('a[href="/actors"]');
      await page.click(`[data-actor-path="${probeActor}"]`);
      await page.waitForSelector('[data-testid="actor-record"]');
      const rows = page.locator('[data-testid="actor-record"]');
      const frame = page.locator('[data-testid="actor-records-frame"]');
      const newestSeq = async (): Promise<string | null> => rows.first().getAttribute('data-seq');
      const firstSeq = await newestSeq();
      // Live records keep arriving (the probe checks every second); the list keeps its size.
      const deadline = Date.now() + 10_000;
      while ((await newestSeq()) === firstSeq) assert.ok(Date.now() < deadline, 'no live record reached the list within 10 s');
      assert.ok((await rows.count()) <= 200, `${await rows.count()} records listed`);
      // The actor's section (chart, controls, list) keeps its height: the list scrolls in a frame of its own.
      const detail = await page.locator('[data-testid="actor-detail"]').boundingBox();
      assert.ok(detail !== null && detail.height <= 2_000, `the actor's section is ${detail?.height ?? '?'} px high`);
      const box = await frame.boundingBox();
      assert.ok(box !== null && box.height <= 600, `the list is ${box?.height ?? '?'} px high`);
      // Events by what they mean, the raw type kept in the title.
      const timer = page.locator('[data-testid="actor-record"] td.what[data-raw-event="xstate.after.untilNextCheck.probe.active.cycle.waiting"]').first();
      assert.equal((await timer.textContent())?.trim(), 'timer: next check');
      assert.match((await timer.getAttribute('title')) ?? '', /xstate\.after\.untilNextCheck/u);
      await page.waitForSelector('[data-testid="actor-record"] td.what:text-is("check finished: passed")', { timeout: 10_000 });
      const firstAsk = asked[0];
      assert.ok(firstAsk !== undefined);
      assert.equal(firstAsk.searchParams.get('limit'), '200');
      await shot('actors-records-bounded');

      // Older: the page before the oldest listed record, fetched on demand; Newest returns.
      await page.click('[data-testid="records-older"]');
      await page.waitForSelector('[data-testid="records-shown"][data-older="true"]');
      const olderAsk = asked.at(-1);
      assert.ok(olderAsk?.searchParams.get('before') !== null && olderAsk?.searchParams.get('limit') === '200', String(olderAsk));
      assert.ok((await rows.count()) <= 200);
      await page.click('[data-testid="records-newest"]');
      await page.waitForSelector('[data-testid="records-shown"][data-older="false"]');
    } finally {
      await page.unroute('**/api/actor-records?**');
    }
  });

  it('lights only the edge a probe cycle took, not its alike neighbour', async () => {
    await page.click('a[href="/actors"]');
    await page.click(`[data-actor-path="${probeActor}"]`);
    await page.waitForSelector('[data-state-id="probe.active.status.running"][data-active="true"]');
    // The check's end is lit as one edge (`done(runCheck) [inline]`, the check passed), though a second
    // edge (`done(runCheck)`, for a failed check) joins the same two states.
    const alike = await page.locator('[data-testid="actor-detail"] [data-source="probe.active.cycle.checking"][data-target="probe.active.cycle.waiting"]').count();
    assert.ok(alike >= 2, `${alike} edges from checking to waiting`);
    const chart = '[data-testid="actor-detail"] [data-testid="statechart"]';
    await page.locator(`${chart} [data-flash="true"][data-source="probe.active.cycle.checking"]`).first().waitFor({ timeout: 10_000 });
    // Read at once, in the page: the flash lasts 800 ms, the next step is a second away.
    const edges = await page.evaluate<string[]>(`[...document.querySelectorAll('${chart} [data-flash="true"]')].map(
      (edge) => edge.getAttribute('data-source') + ' -> ' + edge.getAttribute('data-target') + ' #' + edge.getAttribute('data-transition'),
    )`);
    assert.equal(edges.length, 1, edges.join(', '));
    await shot('actors-probe-one-edge');
  });

  it('lists the transitions on the history page, filtered by checker', async () => {
    await page.click('a[href="/history"]');
    await page.waitForSelector('[data-testid="history-row"]');
    const rows = await page.locator('[data-testid="history-row"]').allTextContents();
    assert.ok(rows.some((row) => row.includes('Probe Failed')), rows.join('\n'));
    assert.ok(rows.some((row) => row.includes('Cluster Degraded') || row.includes('Node Degraded')), rows.join('\n'));
    await shot('history');
  });

  it("shows an operation's plan tree with each phase's state on the operations page", async () => {
    const planFile = join(stateDir, 'plan.yaml');
    writeFileSync(
      planFile,
      [
        'description: Rotate the web certificates',
        'phases:',
        '  - id: prepare',
        '    description: Check the new certificates',
        '    run: ["true"]',
        '  - id: swap',
        '    description: Swap them in',
        '    requires: [/prepare]',
        '    run: ["false"]',
        '',
      ].join('\n'),
    );
    const created = await runCli(['plan', 'create', '-f', planFile, '--execute', '--state-dir', stateDir]);
    assert.notEqual(created.code, 0, 'the plan fails at /swap');
    await page.click('a[href="/operations"]');
    await page.waitForSelector('text=Rotate the web certificates');
    // The phases' states as the store has them once the run ended (the page follows the store live).
    await page.waitForSelector('[data-testid="phase-row"][data-phase-id="/prepare"][data-state="completed"]');
    await page.waitForSelector('[data-testid="phase-row"][data-phase-id="/swap"][data-state="failed"]');
    assert.match((await page.textContent('[data-testid="phase-row"][data-phase-id="/swap"]')) ?? '', /exit code 1/u);
    await shot('operations');
    // The list carries summaries; a plan is fetched when its operation is opened. The summary follows
    // the list's own updates, which may reach the page after the open plan's.
    await page.waitForSelector('[data-testid="operation"] >> text=/1\\/2 phases completed, 1 failed/');
    assert.match((await page.textContent('[data-testid="operation"]')) ?? '', /1\/2 phases completed, 1 failed/u);
    await page.click('[data-testid="operation-toggle"]');
    await page.waitForSelector('[data-testid="operation"][data-open="false"]');
    assert.equal(await page.locator('[data-testid="phase-row"]').count(), 0);
    const detail = page.waitForResponse((response) => /\/api\/operations\/[^/]+$/u.test(new URL(response.url()).pathname));
    await page.click('[data-testid="operation-toggle"]');
    assert.equal((await detail).status(), 200);
    await page.waitForSelector('[data-testid="phase-row"][data-phase-id="/swap"][data-state="failed"]');
  });

  it("lights a running operation's phase on the actors page, then its end, with the operation actor and its plan listed", async () => {
    const planFile = join(stateDir, 'slow-plan.yaml');
    const gate = join(stateDir, 'slow.go');
    writeFileSync(
      planFile,
      [
        'description: Drain and restart',
        'phases:',
        '  - id: drain',
        '    description: Wait for the gate',
        `    run: [sh, -c, "while [ ! -e ${gate} ]; do sleep 0.05; done"]`,
        '',
      ].join('\n'),
    );
    // The operation before this one waits on its failed phase: end it first (one operation at a time).
    assert.equal((await runCli(['plan', 'complete', '--state-dir', stateDir])).code, 0);
    const created = await runCli(['plan', 'create', '-f', planFile, '--state-dir', stateDir]);
    assert.equal(created.code, 0, created.stderr);
    const operationId = /created operation (\S+)/u.exec(created.stdout)?.[1];
    assert.ok(operationId !== undefined, created.stdout);
    // The agent runs it: the CLI follows until the gate opens.
    const resume = runCli(['plan', 'resume', '--state-dir', stateDir]);
    const operation = `agent/operations/operation:${operationId}`;
    const phase = `${operation}/phase:/drain`;
    await page.click('a[href="/actors"]');
    await page.waitForSelector(`[data-actor-path="${operation}"]`, { timeout: 20_000 });
    await page.waitForSelector(`[data-actor-path="${operation}/plan"]`);
    await page.click(`[data-actor-path="${phase}"]`);
    await page.waitForSelector('[data-testid="actor-machine"] >> text=phase');
    await page.waitForSelector('[data-state-id="phase.inProgress"][data-active="true"]');
    await shot('actors-operation-phase-running');
    writeFileSync(gate, '');
    const resumed = await resume;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stderr, /no agent runs/u);
    // Once the operation actor has ended its children leave the tree; until then the finished phase
    // shows its final state.
    await page.waitForSelector(`[data-actor-path="${operation}"]`, { state: 'detached', timeout: 20_000 });
  });

  it('lists the users; the admin invites a viewer, who sees the list read-only and is refused an invite; the admin makes the viewer a reset link', async () => {
    await page.click('a[href="/users"]');
    await page.waitForSelector('[data-testid="user-row"][data-email="admin@example.com"][data-status="active"]');
    assert.match((await page.textContent('[data-testid="user-row"][data-email="admin@example.com"]')) ?? '', /@teleadmin/u);
    assert.equal(await page.locator('[data-testid="read-only-note"]').count(), 0);
    // A refusal is shown in the form with the agent's message.
    await page.fill('input[name="invite-email"]', 'admin@example.com');
    await page.fill('input[name="invite-roles"]', 'viewer');
    await page.click('[data-testid="invite-submit"]');
    await page.waitForSelector('[data-testid="form-error"]');
    assert.match((await page.textContent('[data-testid="form-error"]')) ?? '', /already exists/u);
    await page.fill('input[name="invite-email"]', 'viewer@example.com');
    await page.fill('input[name="invite-roles"]', 'viewer');
    await page.click('[data-testid="invite-submit"]');
    await page.waitForSelector('[data-testid="invite-url"]');
    const inviteUrl = ((await page.textContent('[data-testid="invite-url"]')) ?? '').trim();
    assert.match(inviteUrl, /^https:\/\/\S+\/web\/newuser\/[A-Za-z0-9_-]{43}$/u);
    assert.equal(new URL(inviteUrl).origin, new URL(panelUrl).origin, 'the link names the port the panel listens on, not the configured 0');
    // The list is fetched again: the invite shows as pending.
    await page.waitForSelector('[data-testid="user-row"][data-email="viewer@example.com"][data-status="pending"]');
    assert.equal(await page.getAttribute('[data-testid="user-row"][data-email="viewer@example.com"]', 'data-roles'), 'viewer');
    assert.equal(await page.locator('[data-testid="form-error"]').count(), 0);
    await shot('users-admin');

    const viewerContext = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
    try {
      const viewer = await viewerContext.newPage();
      await viewer.goto(`${panelUrl}${pathOf(inviteUrl)}`);
      await viewer.waitForSelector('input[name="password"]');
      assert.equal(await viewer.textContent('[data-testid="token-email"]'), 'viewer@example.com');
      await viewer.fill('input[name="password"]', password);
      await viewer.fill('input[name="confirm"]', password);
      await viewer.click('button[type="submit"]');
      await viewer.waitForSelector('[data-testid="cluster-page"]');
      assert.equal(new URL(viewer.url()).pathname, '/');

      await viewer.click('a[href="/users"]');
      await viewer.waitForSelector('[data-testid="read-only-note"]');
      assert.match((await viewer.textContent('[data-testid="read-only-note"]')) ?? '', /read-only.*@teleadmin.*gravity users add/su);
      await viewer.waitForSelector('[data-testid="user-row"][data-email="viewer@example.com"][data-status="active"]');
      await viewer.waitForSelector('[data-testid="user-row"][data-email="admin@example.com"]');
      assert.equal(await viewer.locator('[data-testid="invite-form"]').count(), 0);
      assert.equal(await viewer.locator('input[name="invite-email"]').count(), 0);
      assert.equal(await viewer.locator('[data-testid="invite-submit"]').count(), 0);
      await shot('users-read-only', viewer);

      // The form is not merely hidden: the agent refuses the invite itself, even with the CSRF token.
      const refused = await viewer.evaluate<{ admin: boolean; status: number; code: string }>(`(async () => {
        const session = await (await fetch('/api/session')).json();
        const response = await fetch('/api/users', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
          body: JSON.stringify({ email: 'mallory@example.com', roles: ['@teleadmin'] }),
        });
        return { admin: session.admin, status: response.status, code: (await response.json()).code };
      })()`);
      assert.deepEqual(refused, { admin: false, status: 403, code: 'E_FORBIDDEN' });
      const listed = (await (await viewer.request.get(`${panelUrl}/api/users`)).json()) as { users: { email: string }[] };
      assert.deepEqual(listed.users.map((user) => user.email), ['admin@example.com', 'viewer@example.com']);
      assert.equal(await viewer.locator('[data-testid="reset-link"]').count(), 0, 'no reset links for a read-only user');

      // The admin makes a password reset link for the viewer, as `gravity users reset` does.
      await page.reload();
      const viewerRow = '[data-testid="user-row"][data-email="viewer@example.com"][data-status="active"]';
      await page.waitForSelector(viewerRow);
      await page.click(`${viewerRow} [data-testid="reset-link"]`);
      await page.waitForSelector('[data-testid="reset-url"]');
      const resetUrl = ((await page.textContent('[data-testid="reset-url"]')) ?? '').trim();
      assert.match(resetUrl, /^https:\/\/\S+\/web\/reset\/[A-Za-z0-9_-]{43}$/u);
      assert.equal(new URL(resetUrl).origin, new URL(panelUrl).origin, 'the link names the port the panel listens on');
      assert.match((await page.textContent('[data-testid="reset-result"]')) ?? '', /Password reset link for viewer@example\.com/u);
      await shot('users-reset-link');

      const newPassword = 'quiet orchard compass 71';
      await viewer.goto(`${panelUrl}${pathOf(resetUrl)}`);
      await viewer.waitForSelector('input[name="password"]');
      assert.equal(await viewer.textContent('[data-testid="token-email"]'), 'viewer@example.com');
      await viewer.fill('input[name="password"]', newPassword);
      await viewer.fill('input[name="confirm"]', newPassword);
      await viewer.click('button[type="submit"]');
      await viewer.waitForSelector('[data-testid="cluster-page"]');
      // Used once: opening it again is refused.
      const reused = await viewer.goto(`${panelUrl}${pathOf(resetUrl)}`);
      assert.equal(reused?.status(), 410);
    } finally {
      await viewerContext.close();
    }
  });

  it('refuses a wrong password, a request without a session, and expired or forged tokens', async () => {
    const stranger = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const other = await stranger.newPage();
      // No session: pages send to the sign-in page, the API answers 401.
      await other.goto(`${panelUrl}/operations`);
      assert.equal(new URL(other.url()).pathname, '/login');
      const api = await other.request.get(`${panelUrl}/api/cluster`);
      assert.equal(api.status(), 401);
      // A wrong password is refused with a message, and no session starts.
      await other.fill('input[name="email"]', 'admin@example.com');
      await other.fill('input[name="password"]', 'not-the-password-at-all');
      await other.click('button[type="submit"]');
      await other.waitForSelector('[data-testid="form-error"]');
      await shot('login-refused', other);
      assert.equal((await other.request.get(`${panelUrl}/api/session`)).status(), 401);
      // An expired reset token: the page says so (410) and the password stays as it was.
      const reset = await runCli(['users', 'reset', 'admin@example.com', '--ttl=1h', '--state-dir', stateDir, '--config', configFile]);
      assert.equal(reset.code, 0, reset.stderr);
      const db = new Database(join(stateDir, 'gravity.db'));
      try {
        db.prepare('UPDATE user_tokens SET expires_at = 0 WHERE used_at IS NULL').run();
      } finally {
        db.close();
      }
      const expired = await other.goto(`${panelUrl}${pathOf(printedUrl(reset.stdout))}`);
      assert.equal(expired?.status(), 410);
      assert.match((await other.textContent('body')) ?? '', /expired/iu);
      await shot('token-expired', other);
      const forged = await other.goto(`${panelUrl}/web/newuser/${'A'.repeat(43)}`);
      assert.equal(forged?.status(), 401);
      // The right password still works.
      await other.goto(`${panelUrl}/login`);
      await other.fill('input[name="email"]', 'admin@example.com');
      await other.fill('input[name="password"]', password);
      await other.click('button[type="submit"]');
      await topBar('running', other);
    } finally {
      await stranger.close();
    }
  });
});
