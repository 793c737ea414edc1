// What the agent keeps on disk, behind one interface so that the embedded SQLite store and (later)
// etcd can both serve it: the status history, operations with their plans, changelog and lock, and
// the Control Panel's users with their tokens and sessions.

import type { Operation, OperationState, PhaseChange, PhaseProcess, PhaseSpec } from '../plan/types.ts';

/** The status history's event types, as `gravity status history` prints them. */
export type HistoryEventType =
  | 'Cluster Degraded'
  | 'Cluster Recovered'
  | 'Node Degraded'
  | 'Node Recovered'
  | 'Probe Failed'
  | 'Probe Succeeded'
  /** A probe that failed last, no longer in the configuration when the agent started. */
  | 'Probe Removed'
  /** A node that was degraded last, no longer this agent's node when it started. */
  | 'Node Removed';

export const historyEventTypes: readonly HistoryEventType[] = [
  'Cluster Degraded',
  'Cluster Recovered',
  'Node Degraded',
  'Node Recovered',
  'Probe Failed',
  'Probe Succeeded',
  'Probe Removed',
  'Node Removed',
];

/** One status transition. `id` is unique cluster-wide (replication between masters uses it). */
export interface HistoryEvent {
  id: string;
  /** Epoch milliseconds. */
  time: number;
  type: HistoryEventType;
  node?: string;
  /** The probe's name (`checker=` in the output). */
  checker?: string;
  /** One line: the probe's error or the degraded reason, when there is one. */
  detail?: string;
}

export interface HistoryQuery {
  /** Only events at or after this time (epoch ms). */
  since?: number;
  /** Only events at or before this time (epoch ms). */
  until?: number;
  node?: string;
  /** Only the events of this probe (`checker=`). */
  checker?: string;
  type?: HistoryEventType;
  /** The oldest `limit` matching events. */
  limit?: number;
  /** The newest `last` matching events (still listed oldest first). */
  last?: number;
}

export interface HistoryStore {
  /**
   * Appends events; an id already stored is ignored. Resolves to how many were new. Appends are
   * applied in the order they are called, so a writer need not wait for one before making the next.
   */
  append(events: readonly HistoryEvent[]): Promise<number>;
  /** Oldest first. */
  list(query?: HistoryQuery): Promise<HistoryEvent[]>;
  /** Drops events older than `before` (epoch ms); returns how many were dropped. */
  evict(before: number): Promise<number>;
  /**
   * The newest event of each node (its node events: no checker) and of each (node, checker) pair;
   * cluster events are left out. Oldest first.
   */
  latest(): Promise<HistoryEvent[]>;
}

/** An operation as stored: its definition and its own state; leaf states live in the changelog. */
export interface OperationRecord extends Omit<Operation, 'plan'> {
  /** The root of the plan as defined (id '/'). */
  plan: PhaseSpec;
}

/** An operation without its plan, its description cut to a head: what a list of operations needs. */
export interface OperationHeadline extends Omit<OperationRecord, 'plan' | 'description'> {
  /** The description's first characters (as many as asked for). */
  descriptionHead: string;
  /** The description's full length in bytes (UTF-8). */
  descriptionBytes: number;
}

/** Who holds the cluster's operation lock. */
export interface OperationLockHolder {
  operationId: string;
  pid: number;
  hostname: string;
  /** Epoch ms when it was taken. */
  since: number;
  /**
   * When the holder's process started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with
   * the pid, it tells the holder from a later process given the same pid. Absent when unknown (not
   * Linux, or a lock taken by an older gravity): then only the pid is checked.
   */
  startTime?: number;
}

export type LockResult = { acquired: true } | { acquired: false; holder: OperationLockHolder };

export interface OperationStore {
  /** Stores a new operation (state in_progress); fails if the id exists. */
  create(record: Omit<OperationRecord, 'state' | 'updated'>): Promise<void>;
  get(id: string): Promise<OperationRecord | undefined>;
  /** The most recently created operation. */
  last(): Promise<OperationRecord | undefined>;
  /** Newest first. */
  list(): Promise<OperationRecord[]>;
  /** The newest `limit` operations without their plans, newest first: as cheap however large the plans and descriptions are. */
  headlines(limit: number, descriptionChars: number): Promise<OperationHeadline[]>;
  /** One operation without its plan, as `headlines` gives it. */
  headline(id: string, descriptionChars: number): Promise<OperationHeadline | undefined>;
  /** Appends one leaf state change, durably (on disk when this returns). */
  appendChange(change: PhaseChange): Promise<void>;
  /** Every change of the operation, oldest first (the plan is rebuilt from them). */
  changes(operationId: string): Promise<PhaseChange[]>;
  setState(operationId: string, state: OperationState, time: number, rolledBack?: boolean): Promise<void>;
  /**
   * Takes the cluster's single operation lock for `holder`. A lock held by a process that is gone
   * (its pid no longer exists on this host, or now belongs to a process that started at another time
   * than the recorded `startTime`) is taken over; a live holder is returned instead.
   */
  acquireLock(holder: OperationLockHolder): Promise<LockResult>;
  /** Releases the lock if `operationId` and `pid` hold it. */
  releaseLock(operationId: string, pid: number): Promise<void>;
  lockHolder(): Promise<OperationLockHolder | undefined>;
  /**
   * Records a phase's process group, durably (on disk when this returns), before its command runs.
   * Recording the same operation, phase and group again replaces the record.
   */
  recordPhaseProcess(process: PhaseProcess): Promise<void>;
  /** Forgets a phase's process group (nothing of it is left); a record that is not there is no error. */
  clearPhaseProcess(operationId: string, phaseId: string, pgid: number): Promise<void>;
  /** The process groups recorded for the operation's phases, oldest first. */
  phaseProcesses(operationId: string): Promise<PhaseProcess[]>;
}

/** What a user token is for: a new user's signup, or an existing user's password reset. */
export type UserTokenKind = 'signup' | 'reset';

/** A user who has set a password. Emails are stored as given (src/auth normalizes them to lower case). */
export interface UserRecord {
  email: string;
  roles: string[];
  /** The password's scrypt hash with its parameters (src/auth/password.ts); never the password. */
  passwordHash: string;
  /** Epoch ms. */
  created: number;
  /** Epoch ms of the last change (a password reset). */
  updated: number;
}

/** A signup or reset token as stored: its hash, never the token itself. */
export interface UserTokenRecord {
  /** The sha-256 of the token (src/auth/tokens.ts). */
  tokenHash: string;
  email: string;
  kind: UserTokenKind;
  /** The roles the new user gets (signup); empty for a reset. */
  roles: string[];
  /** Epoch ms. */
  created: number;
  /** Epoch ms; the token works strictly before it. */
  expiresAt: number;
  /** Epoch ms when it was redeemed; a token works once. */
  usedAt?: number;
}

/** A Control Panel session as stored: the hash of the cookie's id, never the id itself. */
export interface SessionRecord {
  /** The sha-256 of the session id the cookie carries. */
  idHash: string;
  email: string;
  csrfToken: string;
  /** Epoch ms. */
  created: number;
  /** Epoch ms; the session works strictly before it. */
  expiresAt: number;
}

/** An invited user who has not signed up yet: their newest unused, unexpired signup token. */
export interface PendingInvite {
  email: string;
  roles: string[];
  created: number;
  expiresAt: number;
}

export interface RedeemRequest {
  tokenHash: string;
  /** The page it came through: a token of the other kind is not redeemed (it reads as `unknown`). */
  kind: UserTokenKind;
  /** The new password's hash. */
  passwordHash: string;
  /** Epoch ms. */
  now: number;
}

/** Why a token was not redeemed: unknown (never issued, or of the other kind), expired, used, or the user it names is already one / no longer one. */
export type RedeemRefusal = 'unknown' | 'expired' | 'used' | 'user-exists' | 'no-user';

export type RedeemResult = { redeemed: true; user: UserRecord } | { redeemed: false; reason: RedeemRefusal };

export interface PruneCutoffs {
  /** Sessions that expired before this (epoch ms) are dropped. */
  sessionsExpiredBefore: number;
  /** Tokens that expired before this (epoch ms) are dropped; until then an expired token reads as expired, not unknown. */
  tokensExpiredBefore: number;
}

export interface UserStore {
  get(email: string): Promise<UserRecord | undefined>;
  /** Every user, by email. */
  list(): Promise<UserRecord[]>;
  /** Unused signup tokens unexpired at `now` of emails that are not users yet, the newest per email, by email. */
  pendingInvites(now: number): Promise<PendingInvite[]>;
  /**
   * Stores a token, replacing every unused token of the same kind for the same email (the newest link
   * is the one that works). Throws E_USER_EXISTS for a signup of an existing user and E_USER_NOT_FOUND
   * for a reset of someone who is not a user; nothing is written then.
   */
  issueToken(token: UserTokenRecord): Promise<void>;
  getToken(tokenHash: string): Promise<UserTokenRecord | undefined>;
  /**
   * Redeems a token atomically: of two concurrent redeems of one token exactly one wins. A signup
   * creates the user with the token's roles; a reset sets the password and ends every session of the
   * user. A refusal changes nothing.
   */
  redeemToken(request: RedeemRequest): Promise<RedeemResult>;
  createSession(session: SessionRecord): Promise<void>;
  /** The session if it exists and has not expired at `now`. */
  getSession(idHash: string, now: number): Promise<SessionRecord | undefined>;
  /** Ends a session; false if there was none. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Drops expired sessions and tokens; returns how many of each. */
  prune(cutoffs: PruneCutoffs): Promise<{ sessions: number; tokens: number }>;
}

export interface Store {
  readonly history: HistoryStore;
  readonly operations: OperationStore;
  readonly users: UserStore;
  close(): Promise<void>;
}
