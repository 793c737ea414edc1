// Users in the embedded SQLite store: the users with their password hashes, their signup and reset
// tokens, and the Control Panel's sessions. Kept apart from sqlite.ts like the operations: the
// queries, the one-statement redeem that makes a token work exactly once, and the read-only view live
// together; sqlite.ts owns the connection, its durability settings and error mapping.

import type { Database } from 'better-sqlite3';
import { GravityError } from '../errors.ts';
import type { Guard } from './sqlite-operations.ts';
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
} from './types.ts';
import type { Synchronous } from './async.ts';

/** The users as this backend builds them, before sqlite.ts serves them async. */
export type SyncUserStore = Synchronous<UserStore>;

/** The first schema version (sqlite-migrations.ts) that has the user tables. */
export const usersSchemaVersion = 3;

interface UserRow {
  email: string;
  roles: string;
  password_hash: string;
  created: number;
  updated: number;
}

interface TokenRow {
  token_hash: string;
  email: string;
  kind: string;
  roles: string;
  created: number;
  expires_at: number;
  used_at: number | null;
}

interface SessionRow {
  id_hash: string;
  email: string;
  csrf_token: string;
  created: number;
  expires_at: number;
}

const userColumns = 'email, roles, password_hash, created, updated';
const tokenColumns = 'token_hash, email, kind, roles, created, expires_at, used_at';
const sessionColumns = 'id_hash, email, csrf_token, created, expires_at';

function parseRoles(file: string, owner: string, text: string): string[] {
  let roles: unknown;
  try {
    roles = JSON.parse(text);
  } catch (error) {
    throw damaged(file, owner, error);
  }
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) throw damaged(file, owner);
  return roles;
}

function damaged(file: string, owner: string, cause?: unknown): GravityError {
  return new GravityError('E_STORE', `${file}: the roles of ${owner} are damaged`, {
    hint: "the file was changed by something other than gravity; fix the roles with 'sqlite3' or move the file aside (its users, operations and status history are then lost)",
    cause,
  });
}

function toUser(file: string, row: UserRow): UserRecord {
  return { email: row.email, roles: parseRoles(file, `user ${row.email}`, row.roles), passwordHash: row.password_hash, created: row.created, updated: row.updated };
}

function toToken(file: string, row: TokenRow): UserTokenRecord {
  const token: UserTokenRecord = {
    tokenHash: row.token_hash,
    email: row.email,
    // kind is CHECKed by the schema.
    kind: row.kind as UserTokenKind,
    roles: parseRoles(file, `the ${row.kind} token of ${row.email}`, row.roles),
    created: row.created,
    expiresAt: row.expires_at,
  };
  if (row.used_at !== null) token.usedAt = row.used_at;
  return token;
}

function toSession(row: SessionRow): SessionRecord {
  return { idHash: row.id_hash, email: row.email, csrfToken: row.csrf_token, created: row.created, expiresAt: row.expires_at };
}

/** The queries both views run. */
function readers(db: Database, file: string, guard: Guard): Pick<SyncUserStore, 'get' | 'list' | 'pendingInvites' | 'getToken' | 'getSession'> {
  const get = db.prepare<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE email = ?`);
  const list = db.prepare<[], UserRow>(`SELECT ${userColumns} FROM users ORDER BY email ASC`);
  // The newest usable invite per email (rowid breaks ties within a millisecond), of emails that are not users yet.
  const pending = db.prepare<[{ now: number }], TokenRow>(
    `SELECT ${tokenColumns} FROM user_tokens t
     WHERE kind = 'signup' AND used_at IS NULL AND expires_at > @now
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.email = t.email)
       AND NOT EXISTS (SELECT 1 FROM user_tokens n WHERE n.email = t.email AND n.kind = 'signup' AND n.used_at IS NULL
                       AND n.expires_at > @now AND (n.created > t.created OR (n.created = t.created AND n.rowid > t.rowid)))
     ORDER BY email ASC`,
  );
  const getToken = db.prepare<[string], TokenRow>(`SELECT ${tokenColumns} FROM user_tokens WHERE token_hash = ?`);
  const getSession = db.prepare<[string, number], SessionRow>(`SELECT ${sessionColumns} FROM sessions WHERE id_hash = ? AND expires_at > ?`);
  return {
    get: (email) =>
      guard('read', () => {
        const row = get.get(email);
        return row === undefined ? undefined : toUser(file, row);
      }),
    list: () => guard('read', () => list.all().map((row) => toUser(file, row))),
    pendingInvites: (now) =>
      guard('read', () =>
        pending.all({ now }).map((row): PendingInvite => {
          const token = toToken(file, row);
          return { email: token.email, roles: token.roles, created: token.created, expiresAt: token.expiresAt };
        }),
      ),
    getToken: (tokenHash) =>
      guard('read', () => {
        const row = getToken.get(tokenHash);
        return row === undefined ? undefined : toToken(file, row);
      }),
    getSession: (idHash, now) =>
      guard('read', () => {
        const row = getSession.get(idHash, now);
        return row === undefined ? undefined : toSession(row);
      }),
  };
}

/** Why a token that the redeeming UPDATE did not touch was refused. */
function refusal(token: TokenRow | undefined, kind: UserTokenKind, now: number): RedeemRefusal {
  if (token?.kind !== kind) return 'unknown';
  if (token.used_at !== null) return 'used';
  return token.expires_at <= now ? 'expired' : 'unknown';
}

/** Thrown inside a redeem transaction to undo the token's use; never leaves this module. */
class Undo extends Error {
  constructor(readonly reason: RedeemRefusal) {
    super(`token not redeemed: ${reason}`);
  }
}

/**
 * The users of a writable connection at schema version 3 or later. Durability (every write on disk
 * when it returns) is the connection's setting, made by sqlite.ts.
 * @example
 * const users = sqliteUsers(db, file, (doing, work) => work());
 * users.issueToken({ tokenHash, email: 'alice@example.com', kind: 'signup', roles: ['@teleadmin'], created: now, expiresAt: now + 8 * 3_600_000 });
 */
export function sqliteUsers(db: Database, file: string, guard: Guard): SyncUserStore {
  const read = readers(db, file, guard);
  const userExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM users WHERE email = ?');
  const dropUnused = db.prepare<[string, string]>('DELETE FROM user_tokens WHERE email = ? AND kind = ? AND used_at IS NULL');
  const insertToken = db.prepare<[string, string, string, string, number, number]>(
    'INSERT INTO user_tokens (token_hash, email, kind, roles, created, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const tokenRow = db.prepare<[string], TokenRow>(`SELECT ${tokenColumns} FROM user_tokens WHERE token_hash = ?`);
  // The one statement that decides which of two concurrent redeems wins: only an unused, unexpired
  // token of the right kind is marked, and SQLite runs one write at a time.
  const markUsed = db.prepare<[{ now: number; tokenHash: string; kind: UserTokenKind }]>(
    'UPDATE user_tokens SET used_at = @now WHERE token_hash = @tokenHash AND kind = @kind AND used_at IS NULL AND expires_at > @now',
  );
  const insertUser = db.prepare<[string, string, string, number, number]>(
    'INSERT INTO users (email, roles, password_hash, created, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING',
  );
  const setPassword = db.prepare<[string, number, string]>('UPDATE users SET password_hash = ?, updated = ? WHERE email = ?');
  const userRow = db.prepare<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE email = ?`);
  const endSessionsOf = db.prepare<[string]>('DELETE FROM sessions WHERE email = ?');
  const insertSession = db.prepare<[string, string, string, number, number]>(
    'INSERT INTO sessions (id_hash, email, csrf_token, created, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const deleteSession = db.prepare<[string]>('DELETE FROM sessions WHERE id_hash = ?');
  const pruneSessions = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at < ?');
  const pruneTokens = db.prepare<[number]>('DELETE FROM user_tokens WHERE expires_at < ?');

  const issue = db.transaction((token: UserTokenRecord) => {
    const exists = userExists.get(token.email) !== undefined;
    if (token.kind === 'signup' && exists) throw new GravityError('E_USER_EXISTS', `user ${token.email} already exists`);
    if (token.kind === 'reset' && !exists) throw new GravityError('E_USER_NOT_FOUND', `there is no user ${token.email}`);
    dropUnused.run(token.email, token.kind);
    insertToken.run(token.tokenHash, token.email, token.kind, JSON.stringify(token.roles), token.created, token.expiresAt);
  });

  const redeem = db.transaction((request: RedeemRequest): RedeemResult => {
    if (markUsed.run({ now: request.now, tokenHash: request.tokenHash, kind: request.kind }).changes === 0) {
      return { redeemed: false, reason: refusal(tokenRow.get(request.tokenHash), request.kind, request.now) };
    }
    const token = toToken(file, tokenRow.get(request.tokenHash)!);
    if (request.kind === 'signup') {
      if (insertUser.run(token.email, JSON.stringify(token.roles), request.passwordHash, request.now, request.now).changes === 0) throw new Undo('user-exists');
    } else {
      if (setPassword.run(request.passwordHash, request.now, token.email).changes === 0) throw new Undo('no-user');
      // A reset often follows a leaked password: whoever is signed in with it is signed out.
      endSessionsOf.run(token.email);
    }
    return { redeemed: true, user: toUser(file, userRow.get(token.email)!) };
  });

  return {
    ...read,
    issueToken: (token) =>
      guard('write to', () => {
        issue.immediate(token);
      }),
    redeemToken: (request) =>
      guard('write to', () => {
        try {
          return redeem.immediate(request);
        } catch (error) {
          if (error instanceof Undo) return { redeemed: false, reason: error.reason };
          throw error;
        }
      }),
    createSession: (session) =>
      guard('write to', () => {
        insertSession.run(session.idHash, session.email, session.csrfToken, session.created, session.expiresAt);
      }),
    deleteSession: (idHash) => guard('write to', () => deleteSession.run(idHash).changes > 0),
    prune: (cutoffs: PruneCutoffs) =>
      guard('write to', () => ({
        sessions: pruneSessions.run(cutoffs.sessionsExpiredBefore).changes,
        tokens: pruneTokens.run(cutoffs.tokensExpiredBefore).changes,
      })),
  };
}

function readOnly(file: string, what: string): never {
  throw new GravityError('E_STORE', `cannot ${what}: ${file} was opened read-only`, {
    hint: "users are changed by 'gravity users add' and 'gravity users reset', which open the store for writing",
  });
}

function refuseWrites(file: string): Pick<SyncUserStore, 'issueToken' | 'redeemToken' | 'createSession' | 'deleteSession' | 'prune'> {
  return {
    issueToken: () => readOnly(file, 'issue a user token'),
    redeemToken: () => readOnly(file, 'redeem a user token'),
    createSession: () => readOnly(file, 'start a session'),
    deleteSession: () => readOnly(file, 'end a session'),
    prune: () => readOnly(file, 'prune sessions and tokens'),
  };
}

/**
 * The users of a read-only connection at schema version 3 or later: reads work, writes throw E_STORE.
 * @example const users = sqliteUsersReadOnly(db, file, guard); users.list();
 */
export function sqliteUsersReadOnly(db: Database, file: string, guard: Guard): SyncUserStore {
  return { ...readers(db, file, guard), ...refuseWrites(file) };
}

/**
 * No users: for a state dir without a store, or a file from before the user tables existed. Writes
 * throw E_STORE as on any read-only view.
 * @example const users = noUsers(file); users.list(); // []
 */
export function noUsers(file: string): SyncUserStore {
  return {
    get: () => undefined,
    list: () => [],
    pendingInvites: () => [],
    getToken: () => undefined,
    getSession: () => undefined,
    ...refuseWrites(file),
  };
}
