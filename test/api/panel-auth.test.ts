// The panel's sign-in plugin through fastify's inject, against a real SQLite store in a temp dir and
// time on sinon's fake clock: every route and every refusal (no session, wrong password, rate limit,
// CSRF, cross-origin requests, forged, expired and used links, weak passwords, non-admins), the
// users list every session may read, the cookie's attributes, and sessions ended on the server.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import sinon from 'sinon';
import { loginRateLimit, registerPanelAuth } from '../../src/api/panel-auth.ts';
import type { InviteResult, PanelErrorBody, ResetLinkResult, SessionInfo, TokenInfo, UsersResponse } from '../../src/api/panel-protocol.ts';
import { csrfHeaderName, sessionCookieName } from '../../src/api/panel-protocol.ts';
import { sessionLifetimeMs } from '../../src/auth/sessions.ts';
import { createUserService } from '../../src/auth/users.ts';
import type { UserService } from '../../src/auth/users.ts';
import { systemClock } from '../../src/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { captureLog } from '../helpers/log-capture.ts';

const t0 = Date.UTC(2020, 1, 18, 21, 36, 0);
const password = 'blue harbour lantern 42';
const appShell = '<!doctype html><title>Gravity</title><div id="app"></div>';
/** The origin inject's requests are sent to (Host: localhost:80). */
const ownOrigin = 'http://localhost';

interface Signed {
  cookie: string;
  session: SessionInfo;
}

function json<T>(response: Response): T {
  return response.json<T>();
}

function errorCode(response: Response): string {
  return json<PanelErrorBody>(response).code;
}

function sessionCookie(response: Response): string {
  const cookie = response.cookies.find((item) => item.name === sessionCookieName);
  assert.ok(cookie !== undefined, `no session cookie in ${JSON.stringify(response.headers['set-cookie'])}`);
  return cookie.value;
}

describe('panel auth (fastify inject)', function () {
  this.timeout(30_000);
  let stateDir: string;
  let store: SqliteStore;
  let clock: sinon.SinonFakeTimers;
  let app: FastifyInstance;
  let service: UserService;
  let log: ReturnType<typeof captureLog>;

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gravity-panel-auth-'));
    clock = sinon.useFakeTimers({ now: t0, toFake: ['Date'] });
    store = openSqliteStore(stateDir, { retentionMs: 365 * 24 * 3_600_000 });
    service = createUserService({ users: store.users, clock: systemClock, scrypt: { N: 2 ** 10, r: 8, p: 1 } });
    log = captureLog({ debug: false });
    app = Fastify();
    const auth = await registerPanelAuth(app, {
      users: store.users,
      clock: systemClock,
      logger: log.logger,
      publicUrl: () => 'https://10.0.0.1:3009/',
      serveAppShell: (reply) => reply.type('text/html; charset=utf-8').send(appShell),
    });
    // Routes as the panel server guards them.
    app.get('/', { preHandler: auth.requireSession }, (_request, reply) => reply.type('text/html; charset=utf-8').send(appShell));
    app.get('/api/cluster', { preHandler: auth.requireSession }, (request) => ({ email: request.panelSession?.email }));
    app.post('/api/things', { preHandler: auth.requireSession }, () => ({ changed: true }));
    app.delete('/api/things/:id', { preHandler: auth.requireAdmin }, () => ({ deleted: true }));
    app.get('/admin', { preHandler: auth.requireAdmin }, (_request, reply) => reply.type('text/html; charset=utf-8').send(appShell));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    clock.restore();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function inject(options: InjectOptions & { cookie?: string; csrf?: string }): Promise<Response> {
    const { cookie, csrf, headers, ...rest } = options;
    return app.inject({
      ...rest,
      headers: {
        ...(cookie === undefined ? {} : { cookie: `${sessionCookieName}=${cookie}` }),
        ...(csrf === undefined ? {} : { [csrfHeaderName]: csrf }),
        ...headers,
      },
    });
  }

  async function signUp(email = 'alice@example.com', roles = ['@teleadmin']): Promise<Signed> {
    const { token } = await service.invite(email, roles);
    const response = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { origin: ownOrigin } });
    assert.equal(response.statusCode, 200, response.body);
    return { cookie: sessionCookie(response), session: json<SessionInfo>(response) };
  }

  function login(email: string, secret: string, headers: Record<string, string> = {}): Promise<Response> {
    return inject({ method: 'POST', url: '/api/login', payload: { email, password: secret }, headers: { origin: ownOrigin, ...headers } });
  }

  describe('without a session', () => {
    it('answers 401 JSON on the API', async () => {
      for (const url of ['/api/session', '/api/cluster']) {
        const response = await inject({ method: 'GET', url });
        assert.equal(response.statusCode, 401, url);
        assert.deepEqual(Object.keys(json<PanelErrorBody>(response)).sort(), ['code', 'message']);
        assert.equal(errorCode(response), 'E_AUTH_REQUIRED');
      }
      const forged = await inject({ method: 'GET', url: '/api/cluster', cookie: 'A'.repeat(43) });
      assert.equal(forged.statusCode, 401);
    });

    it('redirects pages to the login page with where to come back to', async () => {
      const home = await inject({ method: 'GET', url: '/' });
      assert.equal(home.statusCode, 303);
      assert.equal(home.headers.location, '/login?next=%2F');
      const admin = await inject({ method: 'GET', url: '/admin?tab=users' });
      assert.equal(admin.statusCode, 303);
      assert.equal(admin.headers.location, '/login?next=%2Fadmin%3Ftab%3Dusers');
    });

    it('serves the app shell at /login', async () => {
      const response = await inject({ method: 'GET', url: '/login' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, appShell);
    });
  });

  describe('signup', () => {
    it('a valid link opens the app; the signup sets the session cookie; the link then reads as used', async () => {
      const { token, expiresAt } = await service.invite('alice@example.com', ['viewer']);
      const page = await inject({ method: 'GET', url: `/web/newuser/${token}` });
      assert.equal(page.statusCode, 200);
      assert.equal(page.body, appShell);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      const info = await inject({ method: 'GET', url: `/api/tokens/${token}` });
      assert.equal(info.statusCode, 200);
      assert.deepEqual(json<TokenInfo>(info), { email: 'alice@example.com', kind: 'signup', expiresAt });

      const signup = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { origin: ownOrigin } });
      assert.equal(signup.statusCode, 200, signup.body);
      const session = json<SessionInfo>(signup);
      assert.deepEqual(session, { email: 'alice@example.com', roles: ['viewer'], admin: false, csrfToken: session.csrfToken, expiresAt: t0 + sessionLifetimeMs });
      const setCookie = String(signup.headers['set-cookie']);
      for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', `Max-Age=${sessionLifetimeMs / 1000}`]) assert.ok(setCookie.includes(attribute), `${attribute} in ${setCookie}`);
      const cookie = sessionCookie(signup);
      assert.match(cookie, /^[A-Za-z0-9_-]{43}$/u);
      assert.notEqual(cookie, session.csrfToken);

      const current = await inject({ method: 'GET', url: '/api/session', cookie });
      assert.equal(current.statusCode, 200);
      assert.deepEqual(json<SessionInfo>(current), session);

      const again = await inject({ method: 'GET', url: `/web/newuser/${token}` });
      assert.equal(again.statusCode, 410);
      assert.match(String(again.headers['content-type']), /^text\/html/u);
      assert.match(again.body, /already been used/u);
      assert.match(again.body, /gravity users reset/u);
      const reuse = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { origin: ownOrigin } });
      assert.equal(reuse.statusCode, 410);
      assert.equal(errorCode(reuse), 'E_TOKEN_USED');
      assert.equal((await inject({ method: 'GET', url: `/api/tokens/${token}` })).statusCode, 410);
    });

    it('a forged link is a 401 page that says what to do', async () => {
      for (const url of [`/web/newuser/${'A'.repeat(43)}`, '/web/newuser/forged', '/web/reset/forged']) {
        const page = await inject({ method: 'GET', url });
        assert.equal(page.statusCode, 401, url);
        assert.match(String(page.headers['content-type']), /^text\/html/u);
        assert.match(page.body, /is not valid/u);
        assert.match(page.body, /Ask an administrator/u);
        assert.match(page.body, url.includes('reset') ? /gravity users reset/u : /gravity users add/u);
        assert.ok(!page.body.includes('<script'), 'no script in a refusal page');
      }
      const api = await inject({ method: 'GET', url: '/api/tokens/forged' });
      assert.equal(api.statusCode, 401);
      assert.equal(errorCode(api), 'E_TOKEN_INVALID');
      // A signup link is not a reset link.
      const { token } = await service.invite('alice@example.com', ['viewer']);
      assert.equal((await inject({ method: 'GET', url: `/web/reset/${token}` })).statusCode, 401);
      const asReset = await inject({ method: 'POST', url: '/api/reset', payload: { token, password }, headers: { origin: ownOrigin } });
      assert.equal(asReset.statusCode, 401);
      assert.equal(errorCode(asReset), 'E_TOKEN_INVALID');
    });

    it('an expired link is a 410 page', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer'], '1m');
      clock.tick(60_000);
      const page = await inject({ method: 'GET', url: `/web/newuser/${token}` });
      assert.equal(page.statusCode, 410);
      assert.match(page.body, /has expired/u);
      assert.match(page.body, /gravity users add/u);
      const signup = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { origin: ownOrigin } });
      assert.equal(signup.statusCode, 410);
      assert.equal(errorCode(signup), 'E_TOKEN_EXPIRED');
      assert.equal(errorCode(await inject({ method: 'GET', url: `/api/tokens/${token}` })), 'E_TOKEN_EXPIRED');
    });

    it('a weak password is a 400 listing the problems, and the link still works', async () => {
      const { token } = await service.invite('alice@example.com', ['viewer']);
      const weak = await inject({ method: 'POST', url: '/api/signup', payload: { token, password: 'alice123' }, headers: { origin: ownOrigin } });
      assert.equal(weak.statusCode, 400);
      const body = json<PanelErrorBody & { details?: string[] }>(weak);
      assert.equal(body.code, 'E_PASSWORD_WEAK');
      assert.ok((body.details?.length ?? 0) >= 2, weak.body);
      assert.match(body.message, /at least 12 characters/u);
      assert.equal(weak.headers['set-cookie'], undefined);
      assert.equal((await inject({ method: 'GET', url: `/api/tokens/${token}` })).statusCode, 200);
      const good = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { origin: ownOrigin } });
      assert.equal(good.statusCode, 200);
    });
  });

  describe('sign-in', () => {
    it('signs in with the right password and logs it; the wrong one gets the same 401 as an unknown email', async () => {
      await signUp('alice@example.com');
      const ok = await login('Alice@Example.com', password);
      assert.equal(ok.statusCode, 200);
      assert.equal(json<SessionInfo>(ok).email, 'alice@example.com');
      assert.equal((await inject({ method: 'GET', url: '/api/cluster', cookie: sessionCookie(ok) })).statusCode, 200);

      const wrong = await login('alice@example.com', 'not the right one 99');
      const unknown = await login('nobody@example.com', 'not the right one 99');
      assert.equal(wrong.statusCode, 401);
      assert.equal(unknown.statusCode, 401);
      assert.equal(errorCode(wrong), 'E_AUTH_FAILED');
      assert.equal(wrong.body, unknown.body);
      assert.equal(wrong.headers['set-cookie'], undefined);

      const warnings = log.records.filter((record) => record.level === 'warn');
      assert.ok(warnings.some((record) => record.email === 'alice@example.com' && record.ip === '127.0.0.1'), JSON.stringify(warnings));
      assert.ok(warnings.some((record) => record.email === 'nobody@example.com'));
      assert.ok(!JSON.stringify(log.records).includes('not the right one 99'), 'no password in the log');
      assert.ok(!JSON.stringify(log.records).includes(password), 'no password in the log');
    });

    it('refuses bad bodies with 400 (or 415) E_REQUEST_INVALID', async () => {
      const missing = await inject({ method: 'POST', url: '/api/login', payload: { email: 'alice@example.com' } });
      assert.equal(missing.statusCode, 400);
      assert.equal(errorCode(missing), 'E_REQUEST_INVALID');
      assert.match(json<PanelErrorBody>(missing).message, /password: required/u);
      const typed = await inject({ method: 'POST', url: '/api/login', payload: { email: 'a@example.com', password: 42, admin: true } });
      assert.equal(typed.statusCode, 400);
      assert.match(json<PanelErrorBody>(typed).message, /admin: unknown field/u);
      const array = await inject({ method: 'POST', url: '/api/login', payload: [1, 2] });
      assert.equal(errorCode(array), 'E_REQUEST_INVALID');
      const broken = await inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
      assert.equal(broken.statusCode, 400);
      assert.equal(errorCode(broken), 'E_REQUEST_INVALID');
      const text = await inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'text/plain' }, payload: 'email=a&password=b' });
      assert.equal(text.statusCode, 400);
      assert.equal(errorCode(text), 'E_REQUEST_INVALID');
      const form = await inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a&password=b' });
      assert.equal(form.statusCode, 415);
      assert.equal(errorCode(form), 'E_REQUEST_INVALID');
    });

    it(`rate-limits after ${loginRateLimit.perEmail} failures per address and email, with Retry-After, until the window passes`, async () => {
      await signUp('alice@example.com');
      for (let attempt = 1; attempt <= loginRateLimit.perEmail; attempt++) {
        assert.equal((await login('alice@example.com', `wrong guess number ${attempt}`)).statusCode, 401, `attempt ${attempt}`);
      }
      clock.tick(20_000);
      const limited = await login('alice@example.com', 'wrong guess again');
      assert.equal(limited.statusCode, 429);
      assert.equal(errorCode(limited), 'E_RATE_LIMITED');
      assert.equal(limited.headers['retry-after'], '40');
      // Even the right password waits: otherwise the limit would tell a guesser when it guessed right.
      assert.equal((await login('alice@example.com', password)).statusCode, 429);
      // Another email from the same address, and the same email from another address, are not limited.
      assert.equal((await login('bob@example.com', 'wrong guess number 1')).statusCode, 401);
      assert.equal((await login('alice@example.com', password, { 'x-forwarded-for': '10.0.0.9' })).statusCode, 429, 'x-forwarded-for is not trusted');
      assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { email: 'alice@example.com', password }, remoteAddress: '127.0.0.2' })).statusCode, 200);
      clock.tick(40_000);
      assert.equal((await login('alice@example.com', password)).statusCode, 200);
      assert.ok(log.records.some((record) => record.level === 'warn' && /too many failed attempts/u.test(String(record.msg))));
    });

    it('counts failures only: successful sign-ins do not use up the limit', async () => {
      await signUp('alice@example.com');
      for (let attempt = 1; attempt <= 2 * loginRateLimit.perEmail; attempt++) {
        assert.equal((await login('alice@example.com', password)).statusCode, 200, `sign-in ${attempt}`);
      }
      for (let attempt = 1; attempt <= loginRateLimit.perEmail - 1; attempt++) assert.equal((await login('alice@example.com', 'wrong wrong wrong')).statusCode, 401);
      assert.equal((await login('alice@example.com', password)).statusCode, 200);
      assert.equal((await login('alice@example.com', 'wrong wrong wrong')).statusCode, 401);
      assert.equal((await login('alice@example.com', 'wrong wrong wrong')).statusCode, 429);
    });

    it(`rate-limits an address after ${loginRateLimit.perAddress} failures whatever the emails`, async () => {
      for (let attempt = 1; attempt <= loginRateLimit.perAddress; attempt++) {
        assert.equal((await login(`user${attempt}@example.com`, 'some guess or other')).statusCode, 401, `attempt ${attempt}`);
      }
      const limited = await login('another@example.com', 'some guess or other');
      assert.equal(limited.statusCode, 429);
      assert.equal(errorCode(limited), 'E_RATE_LIMITED');
    });

    it('a new sign-in ends the session the browser still had', async () => {
      const first = await signUp('alice@example.com');
      const again = await inject({ method: 'POST', url: '/api/login', payload: { email: 'alice@example.com', password }, cookie: first.cookie, headers: { origin: ownOrigin } });
      assert.equal(again.statusCode, 200);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie: first.cookie })).statusCode, 401);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie: sessionCookie(again) })).statusCode, 200);
    });

    it('a session ends after its lifetime', async () => {
      const { cookie } = await signUp();
      clock.tick(sessionLifetimeMs - 1);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie })).statusCode, 200);
      clock.tick(1);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie })).statusCode, 401);
    });
  });

  describe('CSRF and origins', () => {
    it('a change with a session needs the session CSRF token: missing or wrong is 403 and changes nothing', async () => {
      const { cookie, session } = await signUp();
      const missing = await inject({ method: 'POST', url: '/api/logout', cookie });
      assert.equal(missing.statusCode, 403);
      assert.equal(errorCode(missing), 'E_CSRF');
      const wrong = await inject({ method: 'POST', url: '/api/logout', cookie, csrf: `${session.csrfToken.slice(0, -1)}x` });
      assert.equal(wrong.statusCode, 403);
      const short = await inject({ method: 'POST', url: '/api/logout', cookie, csrf: 'x' });
      assert.equal(short.statusCode, 403);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie })).statusCode, 200, 'still signed in');
      assert.equal((await inject({ method: 'DELETE', url: '/api/things/1', cookie })).statusCode, 403);
      assert.equal((await inject({ method: 'POST', url: '/api/things', cookie, csrf: session.csrfToken })).statusCode, 200);
      // GET needs no token.
      assert.equal((await inject({ method: 'GET', url: '/api/cluster', cookie })).statusCode, 200);
    });

    it('a change from another origin is 403, session or not', async () => {
      const { cookie, session } = await signUp();
      for (const headers of [{ origin: 'https://evil.example' }, { origin: 'http://localhost:8080' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
        const response = await inject({ method: 'POST', url: '/api/things', cookie, csrf: session.csrfToken, headers });
        assert.equal(response.statusCode, 403, JSON.stringify(headers));
        assert.equal(errorCode(response), 'E_CSRF');
      }
      assert.equal((await inject({ method: 'POST', url: '/api/things', cookie, csrf: session.csrfToken, headers: { origin: ownOrigin, 'sec-fetch-site': 'same-origin' } })).statusCode, 200);

      // Sign-in from another site: refused before the password is even looked at.
      const crossLogin = await login('alice@example.com', password, { origin: 'https://evil.example' });
      assert.equal(crossLogin.statusCode, 403);
      assert.equal(crossLogin.headers['set-cookie'], undefined);
      // Signup from another site: refused, and the link still works.
      const { token } = await service.invite('bob@example.com', ['viewer']);
      const crossSignup = await inject({ method: 'POST', url: '/api/signup', payload: { token, password }, headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSignup.statusCode, 403);
      assert.equal((await service.checkToken(token)).email, 'bob@example.com');
      assert.deepEqual((await store.users.list()).map((user) => user.email), ['alice@example.com']);
    });
  });

  describe('logout', () => {
    it('ends the session on the server and clears the cookie', async () => {
      const { cookie, session } = await signUp();
      const out = await inject({ method: 'POST', url: '/api/logout', cookie, csrf: session.csrfToken, headers: { origin: ownOrigin } });
      assert.equal(out.statusCode, 204);
      const cleared = out.cookies.find((item) => item.name === sessionCookieName);
      assert.equal(cleared?.value, '');
      // The old cookie, replayed, is no session any more.
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie })).statusCode, 401);
      assert.equal((await inject({ method: 'POST', url: '/api/logout', cookie, csrf: session.csrfToken })).statusCode, 401);
    });
  });

  describe('reset', () => {
    it('sets a new password from a reset link, ends the old sessions and signs in', async () => {
      const before = await signUp('alice@example.com');
      const { token } = await service.issueReset('alice@example.com');
      assert.equal((await inject({ method: 'GET', url: `/web/reset/${token}` })).statusCode, 200);
      assert.equal(json<TokenInfo>(await inject({ method: 'GET', url: `/api/tokens/${token}` })).kind, 'reset');
      const reset = await inject({ method: 'POST', url: '/api/reset', payload: { token, password: 'an entirely new phrase 8' }, headers: { origin: ownOrigin } });
      assert.equal(reset.statusCode, 200, reset.body);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie: before.cookie })).statusCode, 401);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie: sessionCookie(reset) })).statusCode, 200);
      assert.equal((await login('alice@example.com', password)).statusCode, 401);
      assert.equal((await login('alice@example.com', 'an entirely new phrase 8')).statusCode, 200);
      const used = await inject({ method: 'GET', url: `/web/reset/${token}` });
      assert.equal(used.statusCode, 410);
      assert.match(used.body, /password reset link has already been used/u);
    });
  });

  describe('invite', () => {
    it('an admin invites: 201 with a URL on the public address whose token works', async () => {
      const { cookie, session } = await signUp('alice@example.com', ['@teleadmin']);
      const response = await inject({ method: 'POST', url: '/api/users', cookie, csrf: session.csrfToken, payload: { email: 'Bob@Example.com', roles: ['viewer'], ttl: '2h' } });
      assert.equal(response.statusCode, 201, response.body);
      const result = json<InviteResult>(response);
      assert.equal(result.expiresAt, t0 + 2 * 3_600_000);
      const match = /^https:\/\/10\.0\.0\.1:3009\/web\/newuser\/([A-Za-z0-9_-]{43})$/u.exec(result.url);
      assert.ok(match?.[1] !== undefined, result.url);
      assert.deepEqual(await service.checkToken(match[1]), { email: 'bob@example.com', kind: 'signup', expiresAt: result.expiresAt });
      assert.ok(log.records.some((record) => record.by === 'alice@example.com' && record.email === 'bob@example.com'));
    });

    it('refuses bad invites with their codes', async () => {
      const { cookie, session } = await signUp('alice@example.com', ['@teleadmin']);
      const invite = (payload: unknown): Promise<Response> => inject({ method: 'POST', url: '/api/users', cookie, csrf: session.csrfToken, payload: payload as Record<string, unknown> });
      const cases: [unknown, number, string][] = [
        [{ email: 'bob@example.com' }, 400, 'E_REQUEST_INVALID'],
        [{ email: 'bob@example.com', roles: 'viewer' }, 400, 'E_REQUEST_INVALID'],
        [{ email: 'bob', roles: ['viewer'] }, 400, 'E_USER_INVALID'],
        [{ email: 'bob@example.com', roles: ['bad role'] }, 400, 'E_USER_INVALID'],
        [{ email: 'bob@example.com', roles: [] }, 400, 'E_USER_INVALID'],
        [{ email: 'bob@example.com', roles: ['viewer'], ttl: '49h' }, 400, 'E_TTL_INVALID'],
        [{ email: 'alice@example.com', roles: ['viewer'] }, 409, 'E_USER_EXISTS'],
      ];
      for (const [payload, status, code] of cases) {
        const response = await invite(payload);
        assert.equal(response.statusCode, status, JSON.stringify(payload));
        assert.equal(errorCode(response), code, JSON.stringify(payload));
      }
      assert.deepEqual(await store.users.pendingInvites(Date.now()), []);
    });

    it('refuses a user without @teleadmin with 403, inviting nobody; a page says so in HTML', async () => {
      const { cookie, session } = await signUp('viewer@example.com', ['viewer']);
      const response = await inject({ method: 'POST', url: '/api/users', cookie, csrf: session.csrfToken, payload: { email: 'bob@example.com', roles: ['@teleadmin'] } });
      assert.equal(response.statusCode, 403);
      assert.equal(errorCode(response), 'E_FORBIDDEN');
      assert.deepEqual(await store.users.pendingInvites(Date.now()), []);
      assert.equal((await inject({ method: 'DELETE', url: '/api/things/1', cookie, csrf: session.csrfToken })).statusCode, 403);
      const page = await inject({ method: 'GET', url: '/admin', cookie });
      assert.equal(page.statusCode, 403);
      assert.match(String(page.headers['content-type']), /^text\/html/u);
      assert.match(page.body, /@teleadmin/u);
    });

    it('lists the users to any session: 401 without one, 200 for a user without @teleadmin', async () => {
      const anonymous = await inject({ method: 'GET', url: '/api/users' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(errorCode(anonymous), 'E_AUTH_REQUIRED');

      await signUp('alice@example.com', ['@teleadmin']);
      clock.tick(60_000);
      const viewer = await signUp('viewer@example.com', ['viewer', 'ops']);
      const pending = await service.invite('bob@example.com', ['viewer'], '2h');
      const response = await inject({ method: 'GET', url: '/api/users', cookie: viewer.cookie });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(json<UsersResponse>(response), {
        users: [
          { email: 'alice@example.com', roles: ['@teleadmin'], created: t0, status: 'active' },
          { email: 'bob@example.com', roles: ['viewer'], created: t0 + 60_000, status: 'pending', inviteExpiresAt: pending.expiresAt },
          { email: 'viewer@example.com', roles: ['viewer', 'ops'], created: t0 + 60_000, status: 'active' },
        ],
      });
    });

    it('refuses an invite from a user without @teleadmin with 403 E_FORBIDDEN; the list stays as it was', async () => {
      await signUp('alice@example.com', ['@teleadmin']);
      const viewer = await signUp('viewer@example.com', ['viewer']);
      const before = json<UsersResponse>(await inject({ method: 'GET', url: '/api/users', cookie: viewer.cookie }));
      const response = await inject({
        method: 'POST',
        url: '/api/users',
        cookie: viewer.cookie,
        csrf: viewer.session.csrfToken,
        headers: { origin: ownOrigin },
        payload: { email: 'mallory@example.com', roles: ['@teleadmin'] },
      });
      assert.equal(response.statusCode, 403);
      assert.equal(errorCode(response), 'E_FORBIDDEN');
      assert.match(json<PanelErrorBody>(response).message, /@teleadmin/u);
      assert.deepEqual(await store.users.pendingInvites(Date.now()), []);
      assert.deepEqual(json<UsersResponse>(await inject({ method: 'GET', url: '/api/users', cookie: viewer.cookie })), before);
      assert.deepEqual(before.users.map((user) => user.email), ['alice@example.com', 'viewer@example.com']);
    });

    it('an admin makes a reset link for an active user: 201 with a URL whose token sets a new password', async () => {
      const admin = await signUp('alice@example.com', ['@teleadmin']);
      const viewer = await signUp('viewer@example.com', ['viewer']);
      const response = await inject({ method: 'POST', url: '/api/users/reset-link', cookie: admin.cookie, csrf: admin.session.csrfToken, payload: { email: 'Viewer@Example.com', ttl: '30m' } });
      assert.equal(response.statusCode, 201, response.body);
      const result = json<ResetLinkResult>(response);
      assert.equal(result.expiresAt, t0 + 30 * 60_000);
      const token = /^https:\/\/10\.0\.0\.1:3009\/web\/reset\/([A-Za-z0-9_-]{43})$/u.exec(result.url)?.[1];
      assert.ok(token !== undefined, result.url);
      assert.ok(log.records.some((record) => record.msg === 'password reset link made from the Control Panel' && record.by === 'alice@example.com' && record.email === 'viewer@example.com'));
      // The link works as `gravity users reset`'s does: a new password, the viewer's old session ended.
      const reset = await inject({ method: 'POST', url: '/api/reset', payload: { token, password: 'an entirely new phrase 8' }, headers: { origin: ownOrigin } });
      assert.equal(reset.statusCode, 200, reset.body);
      assert.equal((await inject({ method: 'GET', url: '/api/session', cookie: viewer.cookie })).statusCode, 401);
      assert.equal((await login('viewer@example.com', 'an entirely new phrase 8')).statusCode, 200);
    });

    it('refuses reset links for nobody, for a pending invite, past 24h, from a non-admin, and without CSRF', async () => {
      const admin = await signUp('alice@example.com', ['@teleadmin']);
      const viewer = await signUp('viewer@example.com', ['viewer']);
      await service.invite('bob@example.com', ['viewer']);
      const resetLink = (signed: Signed, payload: unknown, withCsrf = true): Promise<Response> =>
        inject({ method: 'POST', url: '/api/users/reset-link', cookie: signed.cookie, ...(withCsrf ? { csrf: signed.session.csrfToken } : {}), payload: payload as Record<string, unknown> });
      const cases: [Signed, unknown, number, string][] = [
        [admin, {}, 400, 'E_REQUEST_INVALID'],
        [admin, { email: 'nobody' }, 400, 'E_USER_INVALID'],
        [admin, { email: 'carol@example.com' }, 404, 'E_USER_NOT_FOUND'],
        [admin, { email: 'viewer@example.com', ttl: '25h' }, 400, 'E_TTL_INVALID'],
        [viewer, { email: 'alice@example.com' }, 403, 'E_FORBIDDEN'],
      ];
      for (const [signed, payload, status, code] of cases) {
        const response = await resetLink(signed, payload);
        assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`);
        assert.equal(errorCode(response), code, JSON.stringify(payload));
      }
      const pending = await resetLink(admin, { email: 'bob@example.com' });
      assert.equal(pending.statusCode, 404);
      assert.match(json<PanelErrorBody>(pending).message, /has been invited but has not signed up yet/u);
      assert.equal((await resetLink(admin, { email: 'viewer@example.com' }, false)).statusCode, 403);
      assert.equal((await inject({ method: 'POST', url: '/api/users/reset-link', payload: { email: 'viewer@example.com' } })).statusCode, 401);
      const db = new Database(join(stateDir, 'gravity.db'), { readonly: true });
      try {
        assert.deepEqual(db.prepare("SELECT count(*) AS n FROM user_tokens WHERE kind = 'reset'").get(), { n: 0 }, 'no reset link was made');
      } finally {
        db.close();
      }
    });

    it('refuses an invite without the CSRF token or without a session', async () => {
      const { cookie } = await signUp('alice@example.com', ['@teleadmin']);
      assert.equal((await inject({ method: 'POST', url: '/api/users', cookie, payload: { email: 'bob@example.com', roles: ['viewer'] } })).statusCode, 403);
      assert.equal((await inject({ method: 'POST', url: '/api/users', payload: { email: 'bob@example.com', roles: ['viewer'] } })).statusCode, 401);
      assert.deepEqual(await store.users.pendingInvites(Date.now()), []);
    });
  });
});
