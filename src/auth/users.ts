// What can be done with the Control Panel's users, whoever asks (the `gravity users` commands on a
// node, or the panel's pages): invite a user (a signup token), make a password reset token, tell what
// a token is for, redeem one with a new password, sign in, and list the users. Every check a user can
// fail is a GravityError with its own code; the store guarantees a token works exactly once.

import type { SessionInfo, TokenInfo } from '../api/panel-protocol.ts';
import type { Clock } from '../clock.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { RedeemRefusal, UserRecord, UserStore, UserTokenKind, UserTokenRecord } from '../store/types.ts';
import { normalizeEmail, parseEmail, parseRoles } from './identity.ts';
import { maxPasswordLength, passwordProblems } from './password-strength.ts';
import { hashPassword, verifyPassword } from './password.ts';
import type { ScryptParameters } from './password.ts';
import { createSessions } from './sessions.ts';
import type { StartedSession } from './sessions.ts';
import { hashSecret, looksLikeSecret, newSecret, parseTokenTtl } from './tokens.ts';

export interface UserServiceOptions {
  users: UserStore;
  clock: Pick<Clock, 'now'>;
  /** The scrypt cost of new password hashes; the default unless a test needs speed. */
  scrypt?: ScryptParameters;
}

/** A token just made: the secret itself (for the URL; it is not stored) and what it is for. */
export interface IssuedToken {
  token: string;
  email: string;
  kind: UserTokenKind;
  /** The new user's roles (signup); empty for a reset. */
  roles: string[];
  ttlMs: number;
  /** Epoch ms. */
  expiresAt: number;
}

/** One line of `gravity users ls`: a user with a password, or an invited one who has not signed up. */
export interface UserListing {
  email: string;
  roles: string[];
  /** Epoch ms: when the user signed up, or when the pending invite was made. */
  created: number;
  status: 'active' | 'pending';
  /** Pending: when the invite's link expires (epoch ms). */
  inviteExpiresAt?: number;
}

export interface UserService {
  /** A signup token for a new user (E_USER_INVALID, E_TTL_INVALID, E_USER_EXISTS). A new invite replaces an unused one. */
  invite(email: string, roles: readonly string[], ttl?: string): Promise<IssuedToken>;
  /** A password reset token for an existing user (E_USER_INVALID, E_TTL_INVALID, E_USER_NOT_FOUND). */
  issueReset(email: string, ttl?: string): Promise<IssuedToken>;
  /** What a token is for; E_TOKEN_INVALID (never issued, or not of `kind`), E_TOKEN_EXPIRED or E_TOKEN_USED. */
  checkToken(token: string, kind?: UserTokenKind): Promise<TokenInfo>;
  /** Creates the invited user with this password and signs them in (E_PASSWORD_WEAK leaves the token usable). */
  signup(token: string, password: string): Promise<StartedSession>;
  /** Sets a new password from a reset token, ends the user's other sessions and signs them in. */
  resetPassword(token: string, password: string): Promise<StartedSession>;
  /** Signs in; E_AUTH_FAILED for a wrong email or a wrong password alike. */
  login(email: string, password: string): Promise<StartedSession>;
  /** The session of a cookie's id, when it is valid. */
  session(id: string): Promise<SessionInfo | undefined>;
  /** Ends a session; false when there was none. */
  logout(id: string): Promise<boolean>;
  /** Users and pending invites, by email. */
  list(): Promise<UserListing[]>;
}

const refusals: Record<RedeemRefusal, ErrorCode> = {
  unknown: 'E_TOKEN_INVALID',
  expired: 'E_TOKEN_EXPIRED',
  used: 'E_TOKEN_USED',
  'user-exists': 'E_USER_EXISTS',
  'no-user': 'E_USER_NOT_FOUND',
};

function linkName(kind: UserTokenKind | undefined): string {
  return kind === 'signup' ? 'signup link' : kind === 'reset' ? 'password reset link' : 'link';
}

function tokenError(reason: RedeemRefusal, kind: UserTokenKind | undefined, email?: string): GravityError {
  const link = linkName(kind);
  switch (reason) {
    case 'unknown':
      return new GravityError('E_TOKEN_INVALID', `this ${link} is not valid: it was not made by this cluster, or it was copied incompletely`);
    case 'expired':
      return new GravityError('E_TOKEN_EXPIRED', `this ${link} has expired`);
    case 'used':
      return new GravityError('E_TOKEN_USED', `this ${link} has already been used`);
    default:
      return new GravityError(refusals[reason], reason === 'user-exists' ? `user ${email ?? ''} already exists` : `there is no user ${email ?? ''}`);
  }
}

function weak(problems: readonly string[]): GravityError {
  return new GravityError('E_PASSWORD_WEAK', `the password is too weak: ${problems.join('; ')}`, { details: problems });
}

/**
 * @example
 * const service = createUserService({ users: store.users, clock: systemClock });
 * const { token } = await service.invite('alice@example.com', ['@teleadmin'], '1h');
 * const { id } = await service.signup(token, 'a long and unusual passphrase');
 */
export function createUserService(options: UserServiceOptions): UserService {
  const { users, clock } = options;
  const sessions = createSessions({ users, clock });
  // Signing in as nobody costs as much as signing in with a wrong password: timing tells no one
  // which emails are users.
  let decoy: Promise<string> | undefined;
  const decoyHash = (): Promise<string> => (decoy ??= hashPassword(newSecret(), options.scrypt));

  async function issue(kind: UserTokenKind, email: string, roles: string[], ttl: string | undefined): Promise<IssuedToken> {
    const ttlMs = parseTokenTtl(kind, ttl);
    const token = newSecret();
    const created = clock.now();
    const record: UserTokenRecord = { tokenHash: hashSecret(token), email, kind, roles, created, expiresAt: created + ttlMs };
    await users.issueToken(record);
    return { token, email, kind, roles, ttlMs, expiresAt: record.expiresAt };
  }

  async function usableToken(token: string, kind: UserTokenKind | undefined): Promise<UserTokenRecord> {
    const record = looksLikeSecret(token) ? await users.getToken(hashSecret(token)) : undefined;
    if (record === undefined || (kind !== undefined && record.kind !== kind)) throw tokenError('unknown', kind);
    if (record.usedAt !== undefined) throw tokenError('used', record.kind);
    if (record.expiresAt <= clock.now()) throw tokenError('expired', record.kind);
    return record;
  }

  async function redeem(kind: UserTokenKind, token: string, password: string): Promise<StartedSession> {
    const record = await usableToken(token, kind);
    const problems = passwordProblems(password, record.email);
    if (problems.length > 0) throw weak(problems);
    const passwordHash = await hashPassword(password, options.scrypt);
    const result = await users.redeemToken({ tokenHash: record.tokenHash, kind, passwordHash, now: clock.now() });
    if (!result.redeemed) throw tokenError(result.reason, kind, record.email);
    return sessions.start(result.user);
  }

  return {
    invite: async (email, roles, ttl) => issue('signup', parseEmail(email), parseRoles(roles), ttl),
    async issueReset(email, ttl) {
      const normalized = parseEmail(email);
      try {
        return await issue('reset', normalized, [], ttl);
      } catch (error) {
        if (isGravityError(error, 'E_USER_NOT_FOUND') && (await users.pendingInvites(clock.now())).some((invite) => invite.email === normalized)) {
          throw new GravityError('E_USER_NOT_FOUND', `${normalized} has been invited but has not signed up yet, so has no password to reset`, {
            hint: `make a new signup link instead: gravity users add ${normalized} --roles=...`,
          });
        }
        throw error;
      }
    },
    async checkToken(token, kind) {
      const record = await usableToken(token, kind);
      return { email: record.email, kind: record.kind, expiresAt: record.expiresAt };
    },
    signup: (token, password) => redeem('signup', token, password),
    resetPassword: (token, password) => redeem('reset', token, password),
    async login(email, password) {
      const normalized = normalizeEmail(email);
      const user: UserRecord | undefined = normalized === undefined ? undefined : await users.get(normalized);
      // No password this long can have been set; refusing it unhashed does not depend on the user.
      const tooLong = [...password].length > maxPasswordLength;
      const matches = !tooLong && (await verifyPassword(password, user?.passwordHash ?? (await decoyHash())));
      if (user === undefined || !matches) throw new GravityError('E_AUTH_FAILED', 'wrong email or password');
      return sessions.start(user);
    },
    session: (id) => sessions.lookup(id),
    logout: (id) => sessions.end(id),
    async list() {
      const now = clock.now();
      const listing: UserListing[] = (await users.list()).map((user) => ({ email: user.email, roles: user.roles, created: user.created, status: 'active' }));
      for (const invite of await users.pendingInvites(now)) {
        listing.push({ email: invite.email, roles: invite.roles, created: invite.created, status: 'pending', inviteExpiresAt: invite.expiresAt });
      }
      return listing.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    },
  };
}
