// Sign-in and the security of the Control Panel, as one fastify plugin: the sign-in, signup, reset,
// logout, users list, invite and reset-link routes, the signup and reset pages, and the two guards the panel's
// other routes put in front of themselves (a session; a session with @teleadmin). A session is a
// random id in an HttpOnly, Secure, SameSite=Strict cookie; every change made with it carries the
// session's CSRF token, and every change at all (sign-in included) must come from the panel's own
// origin. Failed sign-ins are rate-limited per client address and email, and per address alone.

import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { attemptCounters } from '../auth/attempt-counters.ts';
import { normalizeEmail } from '../auth/identity.ts';
import { userLinkUrl } from '../auth/links.ts';
import { parseInviteRequest, parseLoginRequest, parsePasswordRequest, parseResetLinkRequest } from '../auth/panel-requests.ts';
import { refusalPageHtml } from '../auth/refusal-page.ts';
import type { RefusalPage } from '../auth/refusal-page.ts';
import { crossSiteProblem } from '../auth/same-origin.ts';
import { sessionLifetimeMs } from '../auth/sessions.ts';
import type { StartedSession } from '../auth/sessions.ts';
import { createUserService } from '../auth/users.ts';
import type { UserService } from '../auth/users.ts';
import type { Clock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { UserStore, UserTokenKind } from '../store/types.ts';
import { adminRole, csrfHeaderName, panelRoutes, sessionCookieName } from './panel-protocol.ts';
import type { InviteResult, PanelErrorBody, ResetLinkResult, SessionInfo, UsersResponse } from './panel-protocol.ts';
import { errorBody, isStoreFailure, panelHttpStatus, sendError } from './panel-errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's session, set by PanelAuth's guards. */
    panelSession?: SessionInfo;
  }
}

export interface PanelAuthOptions {
  users: UserStore;
  clock: Clock;
  logger: Logger;
  /** How users reach the panel, e.g. `https://10.0.0.1:3009`: the base of invite and reset URLs. */
  publicUrl: () => string;
  /** Answers a page with the panel's app shell (index.html). */
  serveAppShell(reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
}

export interface PanelAuth {
  /** preHandler: 401 JSON (PanelErrorBody) for /api/*, 303 redirect to /login?next=<path> for pages, when there is no valid session. Sets request.panelSession. */
  requireSession: preHandlerAsyncHookHandler;
  /** preHandler: as requireSession, then 403 unless the session holds @teleadmin. */
  requireAdmin: preHandlerAsyncHookHandler;
}

/** Sign-in failures allowed in one window: per client address and email, and per client address. */
export const loginRateLimit = { perEmail: 5, perAddress: 30, windowMs: 60_000 } as const;

/** The largest body the sign-in and user routes accept. */
const authBodyLimit = 16 * 1024;



const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const htmlType = 'text/html; charset=utf-8';


function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function crossSiteError(request: FastifyRequest): GravityError | undefined {
  const problem = crossSiteProblem({
    origin: header(request, 'origin'),
    secFetchSite: header(request, 'sec-fetch-site'),
    host: header(request, 'host'),
    protocol: request.protocol,
  });
  return problem === undefined ? undefined : new GravityError('E_CSRF', `cross-site request refused: ${problem}`);
}

function refuse(reply: FastifyReply, error: GravityError): FastifyReply {
  return sendError(reply, error);
}

const askAdmin = 'Ask an administrator of the cluster for a new link; they make one on a cluster node with:';

/** What the signup and reset pages say when their link cannot be used. */
function tokenRefusalPage(kind: UserTokenKind, code: ErrorCode): RefusalPage {
  const link = kind === 'signup' ? 'signup link' : 'password reset link';
  const commands = kind === 'signup' ? ['gravity users add <your email> --roles=<roles>'] : ['gravity users reset <your email>'];
  switch (code) {
    case 'E_TOKEN_EXPIRED':
      return {
        title: `This ${link} has expired`,
        message: `A ${link} works for a limited time (8 hours unless the administrator chose otherwise), and this one's time is up.`,
        action: askAdmin,
        commands,
      };
    case 'E_TOKEN_USED':
      return {
        title: `This ${link} has already been used`,
        message: `Each ${link} works once. If you set your password with it, sign in with that password.`,
        action: `If you did not, or you forgot the password, ${askAdmin.charAt(0).toLowerCase()}${askAdmin.slice(1)}`,
        commands: ['gravity users reset <your email>'],
      };
    default:
      return {
        title: `This ${link} is not valid`,
        message: `This cluster did not make this ${link}: it may have been copied incompletely, or be for another cluster. Check that you opened the whole link.`,
        action: askAdmin,
        commands,
      };
  }
}

function setSessionCookie(reply: FastifyReply, started: StartedSession): void {
  reply.setCookie(sessionCookieName, started.id, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge: Math.floor(sessionLifetimeMs / 1000),
  });
}

function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}

/** The guards, from the service. */
function guards(service: UserService): PanelAuth {
  /** The session of the request, or the error it is refused with. */
  const authenticate = async (request: FastifyRequest): Promise<SessionInfo | GravityError> => {
    const id = request.cookies[sessionCookieName];
    const session = id === undefined ? undefined : await service.session(id);
    if (session === undefined) return new GravityError('E_AUTH_REQUIRED', 'sign in first: there is no session, or it has expired or ended');
    if (stateChanging.has(request.method)) {
      const crossSite = crossSiteError(request);
      if (crossSite !== undefined) return crossSite;
      if (!sameToken(header(request, csrfHeaderName), session.csrfToken)) {
        return new GravityError('E_CSRF', `the request must carry the session's CSRF token in the ${csrfHeaderName} header`);
      }
    }
    request.panelSession = session;
    return session;
  };

  const deny = (request: FastifyRequest, reply: FastifyReply, error: GravityError): FastifyReply => {
    if (isApi(request) || (request.method !== 'GET' && request.method !== 'HEAD')) return refuse(reply, error);
    if (error.code === 'E_AUTH_REQUIRED') return reply.redirect(`${panelRoutes.loginPage}?next=${encodeURIComponent(request.url)}`, 303);
    return reply
      .code(panelHttpStatus(error))
      .type(htmlType)
      .send(refusalPageHtml({ title: 'Not allowed', message: error.message, action: error.hint ?? 'Ask an administrator of the cluster.' }));
  };

  return {
    async requireSession(request, reply) {
      const session = await authenticate(request);
      if (session instanceof GravityError) return deny(request, reply, session);
      return undefined;
    },
    async requireAdmin(request, reply) {
      const session = await authenticate(request);
      if (session instanceof GravityError) return deny(request, reply, session);
      if (!session.admin) {
        const error = new GravityError('E_FORBIDDEN', `only users with the ${adminRole} role may do this; ${session.email} has ${session.roles.join(', ')}`);
        return deny(request, reply, error);
      }
      return undefined;
    },
  };
}

/**
 * Registers the sign-in routes and pages on the panel's server and returns the guards for its other
 * routes. Registers @fastify/cookie (unless it already is) and, inside its own scope,
 * @fastify/rate-limit and an error handler that answers PanelErrorBody.
 * @example
 * const auth = await registerPanelAuth(app, { users: store.users, clock, logger, publicUrl: () => 'https://10.0.0.1:3009', serveAppShell });
 * app.get('/api/cluster', { preHandler: auth.requireSession }, () => report());
 */
export async function registerPanelAuth(app: FastifyInstance, options: PanelAuthOptions): Promise<PanelAuth> {
  const { logger } = options;
  const service = createUserService({ users: options.users, clock: options.clock });
  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
  if (!app.hasRequestDecorator('panelSession')) app.decorateRequest('panelSession', undefined);
  const auth = guards(service);
  const counters = attemptCounters(options.clock);

  const sameOrigin = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const crossSite = crossSiteError(request);
    return crossSite === undefined ? undefined : refuse(reply, crossSite);
  };

  /** Ends the session a new sign-in replaces, if the browser still had one. */
  const replaceSession = async (request: FastifyRequest, reply: FastifyReply, started: StartedSession): Promise<SessionInfo> => {
    const previous = request.cookies[sessionCookieName];
    if (previous !== undefined) await service.logout(previous);
    setSessionCookie(reply, started);
    return started.info;
  };

  const warnToken = (request: FastifyRequest, kind: UserTokenKind | undefined, error: unknown): void => {
    if (isGravityError(error) && (error.code === 'E_TOKEN_INVALID' || error.code === 'E_TOKEN_EXPIRED' || error.code === 'E_TOKEN_USED')) {
      logger.warn({ ip: request.ip, kind, code: error.code }, `a ${kind ?? 'signup or reset'} link was refused: ${error.message}`);
    }
  };

  await app.register(async (scope) => {
    await scope.register(fastifyRateLimit, { global: false, store: counters.store });
    const loginEmail = (request: FastifyRequest): string => {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      return typeof email === 'string' ? (normalizeEmail(email) ?? email.trim().toLowerCase().slice(0, 256)) : '';
    };
    const limits = [
      scope.createRateLimit({
        max: loginRateLimit.perEmail,
        timeWindow: loginRateLimit.windowMs,
        keyGenerator: (request) => `login-email ${request.ip} ${loginEmail(request)}`,
      }),
      scope.createRateLimit({ max: loginRateLimit.perAddress, timeWindow: loginRateLimit.windowMs, keyGenerator: (request) => `login-address ${request.ip}` }),
    ];

    /** Counts one attempt on each limit; the seconds to wait when one is exceeded, and the keys counted. */
    const countAttempt = async (request: FastifyRequest): Promise<{ retryAfter: number | undefined; keys: string[] }> => {
      let retryAfter: number | undefined;
      const keys: string[] = [];
      for (const limit of limits) {
        const result = await limit(request);
        if (result.isAllowed) continue;
        keys.push(result.key);
        if (result.isExceeded) retryAfter = Math.max(retryAfter ?? 1, result.ttlInSeconds);
      }
      return { retryAfter, keys };
    };

    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (isStoreFailure(error)) logger.error({ err: error, url: request.url }, 'the Control Panel cannot use the store');
      if (isGravityError(error)) return refuse(reply, error);
      const status = error.statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        // fastify's own refusals: a body that is not JSON, too large, of another content type.
        return reply.code(status).send(errorBody(new GravityError('E_REQUEST_INVALID', error.message)));
      }
      logger.error({ err: error, url: request.url }, 'the Control Panel failed to answer a sign-in request');
      return reply.code(500).send({ code: 'E_INTERNAL', message: 'the agent failed to answer; its log says why' } satisfies PanelErrorBody);
    });

    scope.get(panelRoutes.session, { preHandler: auth.requireSession }, (request): SessionInfo | undefined => request.panelSession);

    scope.post(panelRoutes.login, { onRequest: sameOrigin, bodyLimit: authBodyLimit }, async (request, reply) => {
      const body = parseLoginRequest(request.body);
      const email = body.email.slice(0, 256);
      const attempt = await countAttempt(request);
      if (attempt.retryAfter !== undefined) {
        logger.warn({ email, ip: request.ip }, 'Control Panel sign-in refused: too many failed attempts');
        const error = new GravityError('E_RATE_LIMITED', `too many failed sign-in attempts; try again in ${attempt.retryAfter} s`);
        return refuse(reply.header('retry-after', String(attempt.retryAfter)), error);
      }
      let started: StartedSession;
      try {
        started = await service.login(body.email, body.password);
      } catch (error) {
        if (isGravityError(error, 'E_AUTH_FAILED')) logger.warn({ email, ip: request.ip }, 'Control Panel sign-in failed: wrong email or password');
        throw error;
      }
      for (const key of attempt.keys) counters.refund(key);
      logger.info({ email: started.info.email, ip: request.ip }, 'signed in to the Control Panel');
      return replaceSession(request, reply, started);
    });

    scope.post(panelRoutes.logout, { preHandler: auth.requireSession }, async (request, reply) => {
      const id = request.cookies[sessionCookieName];
      if (id !== undefined) await service.logout(id);
      clearSessionCookie(reply);
      logger.info({ email: request.panelSession?.email, ip: request.ip }, 'signed out of the Control Panel');
      return reply.code(204).send();
    });

    scope.get<{ Params: { token: string } }>(panelRoutes.token, async (request) => {
      try {
        return await service.checkToken(request.params.token);
      } catch (error) {
        warnToken(request, undefined, error);
        throw error;
      }
    });

    for (const [route, kind] of [
      [panelRoutes.signup, 'signup'],
      [panelRoutes.reset, 'reset'],
    ] as const) {
      scope.post(route, { onRequest: sameOrigin, bodyLimit: authBodyLimit }, async (request, reply) => {
        const body = parsePasswordRequest(request.body);
        let started: StartedSession;
        try {
          started = kind === 'signup' ? await service.signup(body.token, body.password) : await service.resetPassword(body.token, body.password);
        } catch (error) {
          warnToken(request, kind, error);
          throw error;
        }
        logger.info({ email: started.info.email, ip: request.ip }, kind === 'signup' ? 'signed up to the Control Panel' : 'reset a Control Panel password');
        return replaceSession(request, reply, started);
      });
    }

    // Every signed-in user may see who else may sign in, and with which roles; only @teleadmin may invite.
    scope.get(panelRoutes.invite, { preHandler: auth.requireSession }, async (): Promise<UsersResponse> => ({ users: await service.list() }));

    scope.post(panelRoutes.invite, { preHandler: auth.requireAdmin, bodyLimit: authBodyLimit }, async (request, reply) => {
      const body = parseInviteRequest(request.body);
      const issued = await service.invite(body.email, body.roles, body.ttl);
      logger.info({ by: request.panelSession?.email, email: issued.email, roles: issued.roles, expiresAt: issued.expiresAt }, 'user invited from the Control Panel');
      const result: InviteResult = { url: userLinkUrl(options.publicUrl(), 'signup', issued.token), expiresAt: issued.expiresAt };
      return reply.code(201).send(result);
    });

    // As `gravity users reset`: a link for a user who has forgotten their password (an active user only).
    scope.post(panelRoutes.resetLink, { preHandler: auth.requireAdmin, bodyLimit: authBodyLimit }, async (request, reply) => {
      const body = parseResetLinkRequest(request.body);
      const issued = await service.issueReset(body.email, body.ttl);
      logger.info({ by: request.panelSession?.email, email: issued.email, expiresAt: issued.expiresAt }, 'password reset link made from the Control Panel');
      const result: ResetLinkResult = { url: userLinkUrl(options.publicUrl(), 'reset', issued.token), expiresAt: issued.expiresAt };
      return reply.code(201).send(result);
    });

    scope.get(panelRoutes.loginPage, (_request, reply) => options.serveAppShell(reply));

    for (const [route, kind] of [
      [panelRoutes.signupPage, 'signup'],
      [panelRoutes.resetPage, 'reset'],
    ] as const) {
      scope.get<{ Params: { token: string } }>(route, async (request, reply) => {
        try {
          await service.checkToken(request.params.token, kind);
        } catch (error) {
          if (!isGravityError(error) || !['E_TOKEN_INVALID', 'E_TOKEN_EXPIRED', 'E_TOKEN_USED'].includes(error.code)) throw error;
          warnToken(request, kind, error);
          return reply
            .code(panelHttpStatus(error))
            .type(htmlType)
            .header('cache-control', 'no-store')
            .header('referrer-policy', 'no-referrer')
            .send(refusalPageHtml(tokenRefusalPage(kind, error.code)));
        }
        return options.serveAppShell(reply.header('referrer-policy', 'no-referrer'));
      });
    }
  });

  return auth;
}
