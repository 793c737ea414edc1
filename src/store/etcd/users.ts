// Users in etcd: the users, their signup and reset tokens, and the Control Panel's sessions, with two
// small indexes: the newest token of each email and kind (so that issuing a token finds the unused
// one it replaces without a scan), and each user's sessions (so that a reset ends them all). Every
// decision SQLite makes inside a transaction is made here by reading, then committing only if the
// keys read are unchanged: of two redeems of one token exactly one commits, the other reads it used.

import type { IKeyValue } from 'etcd3';
import { GravityError } from '../../errors.ts';
import type {
  PendingInvite,
  PruneCutoffs,
  RedeemRefusal,
  RedeemRequest,
  RedeemResult,
  SessionRecord,
  UserRecord,
  UserStore,
  UserTokenKind,
  UserTokenRecord,
} from '../types.ts';
import { getKv, isObject, keyOf, parseJson, retry, scan, text } from './context.ts';
import type { EtcdContext } from './context.ts';
import { keys } from './keys.ts';

const isRoles = (value: unknown): value is string[] => Array.isArray(value) && value.every((role) => typeof role === 'string');

function isUser(value: unknown): value is UserRecord {
  return (
    isObject(value) &&
    typeof value.email === 'string' &&
    isRoles(value.roles) &&
    typeof value.passwordHash === 'string' &&
    typeof value.created === 'number' &&
    typeof value.updated === 'number'
  );
}

function isToken(value: unknown): value is UserTokenRecord {
  return (
    isObject(value) &&
    typeof value.tokenHash === 'string' &&
    typeof value.email === 'string' &&
    (value.kind === 'signup' || value.kind === 'reset') &&
    isRoles(value.roles) &&
    typeof value.created === 'number' &&
    typeof value.expiresAt === 'number' &&
    (value.usedAt === undefined || typeof value.usedAt === 'number')
  );
}

function isSession(value: unknown): value is SessionRecord {
  return (
    isObject(value) &&
    typeof value.idHash === 'string' &&
    typeof value.email === 'string' &&
    typeof value.csrfToken === 'string' &&
    typeof value.created === 'number' &&
    typeof value.expiresAt === 'number'
  );
}

const storedUser = (user: UserRecord): UserRecord => ({ email: user.email, roles: [...user.roles], passwordHash: user.passwordHash, created: user.created, updated: user.updated });

function storedToken(token: UserTokenRecord): UserTokenRecord {
  return {
    tokenHash: token.tokenHash,
    email: token.email,
    kind: token.kind,
    roles: [...token.roles],
    created: token.created,
    expiresAt: token.expiresAt,
    ...(token.usedAt === undefined ? {} : { usedAt: token.usedAt }),
  };
}

const storedSession = (session: SessionRecord): SessionRecord => ({
  idHash: session.idHash,
  email: session.email,
  csrfToken: session.csrfToken,
  created: session.created,
  expiresAt: session.expiresAt,
});

interface Read<T> {
  value: T;
  kv: IKeyValue;
}

/** Why a token that cannot be redeemed now was refused. */
function refusal(token: UserTokenRecord | undefined, kind: UserTokenKind, now: number): RedeemRefusal | undefined {
  if (token?.kind !== kind) return 'unknown';
  if (token.usedAt !== undefined) return 'used';
  return token.expiresAt <= now ? 'expired' : undefined;
}

/**
 * The users of an etcd store.
 * @example const users = etcdUsers(context); await users.issueToken({ tokenHash, email, kind: 'signup', roles, created, expiresAt });
 */
export function etcdUsers(context: EtcdContext): UserStore {
  const { ns } = context;

  const readKey = async <T>(key: string, check: (value: unknown) => value is T): Promise<Read<T> | undefined> => {
    const kv = await getKv(context, key);
    return kv === undefined ? undefined : { value: parseJson(key, text(kv), check), kv };
  };
  const readUser = (email: string): Promise<Read<UserRecord> | undefined> => readKey(keys.user(email), isUser);
  const readToken = (hash: string): Promise<Read<UserTokenRecord> | undefined> => readKey(keys.token(hash), isToken);
  const allTokens = async (): Promise<Read<UserTokenRecord>[]> =>
    (await scan(context, keys.tokens)).map((kv) => ({ value: storedToken(parseJson(keyOf(kv), text(kv), isToken)), kv }));

  const issueToken = (token: UserTokenRecord): Promise<void> =>
    context.optimistic('write to', `the tokens of ${token.email}`, async () => {
      const user = await readUser(token.email);
      if (token.kind === 'signup' && user !== undefined) throw new GravityError('E_USER_EXISTS', `user ${token.email} already exists`);
      if (token.kind === 'reset' && user === undefined) throw new GravityError('E_USER_NOT_FOUND', `there is no user ${token.email}`);
      const newestKey = keys.newestToken(token.email, token.kind);
      const newest = await getKv(context, newestKey);
      const replaced = newest === undefined ? undefined : await readToken(text(newest));
      let txn = ns
        .if(keys.user(token.email), 'Mod', '==', user?.kv.mod_revision ?? 0)
        .and(newestKey, 'Mod', '==', newest?.mod_revision ?? 0)
        .and(keys.token(token.tokenHash), 'Version', '==', 0);
      const drop = replaced !== undefined && replaced.value.usedAt === undefined && replaced.value.kind === token.kind && replaced.value.tokenHash !== token.tokenHash;
      if (drop) txn = txn.and(keys.token(replaced.value.tokenHash), 'Mod', '==', replaced.kv.mod_revision);
      const response = await txn
        .then(
          ...(drop ? [ns.delete().key(keys.token(replaced.value.tokenHash))] : []),
          // A new token is stored unused, whatever the record says (as SQLite's insert).
          ns.put(keys.token(token.tokenHash)).value(JSON.stringify(storedToken({ ...token, usedAt: undefined }))),
          ns.put(newestKey).value(token.tokenHash),
        )
        .commit();
      context.observe(response.header);
      if (response.succeeded) return { done: undefined };
      if ((await readToken(token.tokenHash)) !== undefined) throw new Error(`a token with hash ${token.tokenHash} is already stored`);
      return retry;
    });

  const redeemToken = (request: RedeemRequest): Promise<RedeemResult> =>
    context.optimistic<RedeemResult>('write to', 'the token', async () => {
      const token = await readToken(request.tokenHash);
      const refused = refusal(token?.value, request.kind, request.now);
      if (refused !== undefined || token === undefined) return { done: { redeemed: false, reason: refused ?? 'unknown' } };
      const { email } = token.value;
      const used = JSON.stringify(storedToken({ ...token.value, usedAt: request.now }));
      const user = await readUser(email);
      if (request.kind === 'signup') {
        if (user !== undefined) return { done: { redeemed: false, reason: 'user-exists' } };
        const created: UserRecord = { email, roles: [...token.value.roles], passwordHash: request.passwordHash, created: request.now, updated: request.now };
        const response = await ns
          .if(keys.token(request.tokenHash), 'Mod', '==', token.kv.mod_revision)
          .and(keys.user(email), 'Version', '==', 0)
          .then(ns.put(keys.token(request.tokenHash)).value(used), ns.put(keys.user(email)).value(JSON.stringify(created)))
          .commit();
        context.observe(response.header);
        return response.succeeded ? { done: { redeemed: true, user: created } } : retry;
      }
      if (user === undefined) return { done: { redeemed: false, reason: 'no-user' } };
      const updated = storedUser({ ...user.value, passwordHash: request.passwordHash, updated: request.now });
      // A reset often follows a leaked password: whoever is signed in with it is signed out.
      const generation = await getKv(context, keys.sessionGen(email));
      const sessions = await scan(context, keys.sessionsOf(email));
      const ends = sessions.flatMap((kv) => {
        const hash = decodeURIComponent(keyOf(kv).slice(keys.sessionsOf(email).length));
        return [ns.delete().key(keys.session(hash)), ns.delete().key(keyOf(kv))];
      });
      const response = await ns
        .if(keys.token(request.tokenHash), 'Mod', '==', token.kv.mod_revision)
        .and(keys.user(email), 'Mod', '==', user.kv.mod_revision)
        .and(keys.sessionGen(email), 'Mod', '==', generation?.mod_revision ?? 0)
        .then(ns.put(keys.token(request.tokenHash)).value(used), ns.put(keys.user(email)).value(JSON.stringify(updated)), ...ends)
        .commit();
      context.observe(response.header);
      return response.succeeded ? { done: { redeemed: true, user: updated } } : retry;
    });

  const createSession = (session: SessionRecord): Promise<void> =>
    context.run('write to', async () => {
      const response = await ns
        .if(keys.session(session.idHash), 'Version', '==', 0)
        .then(
          ns.put(keys.session(session.idHash)).value(JSON.stringify(storedSession(session))),
          ns.put(keys.sessionOf(session.email, session.idHash)).value(''),
          ns.put(keys.sessionGen(session.email)).value(session.idHash),
        )
        .commit();
      context.observe(response.header);
      if (!response.succeeded) throw new Error('a session with this id is already stored');
    });

  /** Deletes a session read as `kv` (from a range read, whose keys are relative; else `key` names it) if it is unchanged: true if it did, false if it had changed or gone. */
  const dropSession = async (kv: IKeyValue, key = keyOf(kv)): Promise<boolean> => {
    const session = parseJson(key, text(kv), isSession);
    const response = await ns
      .if(key, 'Mod', '==', kv.mod_revision)
      .then(ns.delete().key(key), ns.delete().key(keys.sessionOf(session.email, session.idHash)))
      .commit();
    context.observe(response.header);
    return response.succeeded;
  };

  const deleteSession = (idHash: string): Promise<boolean> =>
    context.optimistic('write to', 'the session', async () => {
      const kv = await getKv(context, keys.session(idHash));
      if (kv === undefined) return { done: false };
      return (await dropSession(kv, keys.session(idHash))) ? { done: true } : retry;
    });

  const prune = (cutoffs: PruneCutoffs): Promise<{ sessions: number; tokens: number }> =>
    context.run('write to', async () => {
      const expiredSessions = (await scan(context, keys.sessions)).filter((kv) => parseJson(keyOf(kv), text(kv), isSession).expiresAt < cutoffs.sessionsExpiredBefore);
      const sessions = (await Promise.all(expiredSessions.map((kv) => dropSession(kv)))).filter(Boolean).length;
      const expiredTokens = (await allTokens()).filter((token) => token.value.expiresAt < cutoffs.tokensExpiredBefore);
      const dropped = await Promise.all(
        expiredTokens.map(async (token) => {
          const key = keyOf(token.kv);
          const response = await ns.if(key, 'Mod', '==', token.kv.mod_revision).then(ns.delete().key(key)).commit();
          context.observe(response.header);
          if (!response.succeeded) return false;
          // The index of the newest token goes with its token, unless a newer one took its place.
          const newestKey = keys.newestToken(token.value.email, token.value.kind);
          const index = await ns.if(newestKey, 'Value', '==', token.value.tokenHash).then(ns.delete().key(newestKey)).commit();
          context.observe(index.header);
          return true;
        }),
      );
      return { sessions, tokens: dropped.filter(Boolean).length };
    });

  const pendingInvites = async (now: number): Promise<PendingInvite[]> => {
    const users = new Set((await scan(context, keys.users)).map((kv) => parseJson(keyOf(kv), text(kv), isUser).email));
    const newest = new Map<string, Read<UserTokenRecord>>();
    for (const token of await allTokens()) {
      const { value } = token;
      if (value.kind !== 'signup' || value.usedAt !== undefined || value.expiresAt <= now || users.has(value.email)) continue;
      const kept = newest.get(value.email);
      // The newer token wins; of one millisecond, the one stored later.
      const newer =
        kept === undefined ||
        value.created > kept.value.created ||
        (value.created === kept.value.created && BigInt(token.kv.create_revision) > BigInt(kept.kv.create_revision));
      if (newer) newest.set(value.email, token);
    }
    return [...newest.values()]
      .map(({ value }) => ({ email: value.email, roles: value.roles, created: value.created, expiresAt: value.expiresAt }))
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  };

  return {
    get: (email) =>
      context.run('read', async () => {
        const user = await readUser(email);
        return user === undefined ? undefined : storedUser(user.value);
      }),
    list: () =>
      context.run('read', async () =>
        (await scan(context, keys.users))
          .map((kv) => storedUser(parseJson(keyOf(kv), text(kv), isUser)))
          .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0)),
      ),
    pendingInvites: (now) => context.run('read', () => pendingInvites(now)),
    issueToken,
    getToken: (tokenHash) =>
      context.run('read', async () => {
        const token = await readToken(tokenHash);
        return token === undefined ? undefined : storedToken(token.value);
      }),
    redeemToken,
    createSession,
    getSession: (idHash, now) =>
      context.run('read', async () => {
        const session = await readKey(keys.session(idHash), isSession);
        return session !== undefined && session.value.expiresAt > now ? storedSession(session.value) : undefined;
      }),
    deleteSession,
    prune,
  };
}
