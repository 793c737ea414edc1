// Control Panel sessions: a random id in the browser's cookie, its hash in the store, a CSRF token
// the pages send back with every change, and a fixed lifetime after which the user signs in again.
// Starting a session also drops the sessions and tokens that have expired, so the tables stay small
// without a timer of their own.

import type { SessionInfo } from '../api/panel-protocol.ts';
import type { Clock } from '../clock.ts';
import type { UserRecord, UserStore } from '../store/types.ts';
import { isAdmin } from './identity.ts';
import { hashSecret, looksLikeSecret, newSecret } from './tokens.ts';

/** How long a session lasts from sign-in (absolute: using it does not extend it). */
export const sessionLifetimeMs = 12 * 3_600_000;

/** How long an expired token is kept, so that its link reads "expired" rather than "not valid". */
export const expiredTokenMemoryMs = 7 * 24 * 3_600_000;

/** A session just started: the id for the cookie (shown once, never stored) and what the pages see. */
export interface StartedSession {
  id: string;
  info: SessionInfo;
}

export interface SessionsOptions {
  users: UserStore;
  clock: Pick<Clock, 'now'>;
}

export interface Sessions {
  /** Starts a session for a user who has just proved who they are. */
  start(user: UserRecord): Promise<StartedSession>;
  /** The session of a cookie's id: undefined when unknown, expired, or its user is gone. */
  lookup(id: string): Promise<SessionInfo | undefined>;
  /** Ends the session of a cookie's id; false when there was none. */
  end(id: string): Promise<boolean>;
}

function info(user: UserRecord, csrfToken: string, expiresAt: number): SessionInfo {
  return { email: user.email, roles: [...user.roles], admin: isAdmin(user.roles), csrfToken, expiresAt };
}

/**
 * @example
 * const sessions = createSessions({ users: store.users, clock });
 * const { id, info } = await sessions.start(user); // id goes into the cookie
 * (await sessions.lookup(id))?.email; // 'alice@example.com'
 */
export function createSessions(options: SessionsOptions): Sessions {
  const { users, clock } = options;
  return {
    async start(user) {
      const now = clock.now();
      await users.prune({ sessionsExpiredBefore: now, tokensExpiredBefore: now - expiredTokenMemoryMs });
      const id = newSecret();
      const csrfToken = newSecret();
      const expiresAt = now + sessionLifetimeMs;
      await users.createSession({ idHash: hashSecret(id), email: user.email, csrfToken, created: now, expiresAt });
      return { id, info: info(user, csrfToken, expiresAt) };
    },
    async lookup(id) {
      if (!looksLikeSecret(id)) return undefined;
      const session = await users.getSession(hashSecret(id), clock.now());
      if (session === undefined) return undefined;
      // Roles are read at every request: a change of roles applies at once.
      const user = await users.get(session.email);
      return user === undefined ? undefined : info(user, session.csrfToken, session.expiresAt);
    },
    async end(id) {
      return looksLikeSecret(id) && (await users.deleteSession(hashSecret(id)));
    },
  };
}
