// The contract between the Control Panel's pages (src/web) and the agent's panel server
// (src/api/panel-*.ts): every route, what it takes and what it answers, and the live stream's events.
// Both sides import these types, so a change here is a change on both sides. Types only, and no
// `node:*` import: the browser bundle uses this file.

import type { InspectionRecord } from '../actors/inspection.ts';
import type { ClusterReport } from '../health/types.ts';
import type { Operation, OperationState, OperationType, PhaseState } from '../plan/types.ts';
import type { MachineModel } from '../statechart/graph.ts';
import type { HistoryEvent, HistoryEventType } from '../store/types.ts';
import type { TreeResult } from './control-protocol.ts';

/** The panel's default HTTPS port (Gravity's Control Panel port). */
export const defaultPanelPort = 3009;

/** The role that may do everything; every other role is read-only. */
export const adminRole = '@teleadmin';

/** The name of the session cookie (HttpOnly, Secure, SameSite=Strict). */
export const sessionCookieName = 'gravity_session';

/** The header every state-changing request carries with the session's CSRF token. */
export const csrfHeaderName = 'x-csrf-token';

/** Every route of the panel. Pages are answered with the app shell; `/api/*` with JSON. */
export const panelRoutes = {
  // -- pages (the app shell; a page needing a session redirects to /login without one) --
  clusterPage: '/',
  historyPage: '/history',
  operationsPage: '/operations',
  actorsPage: '/actors',
  loginPage: '/login',
  /** The signup page a `gravity users add` URL opens: `/web/newuser/<token>`. */
  signupPage: '/web/newuser/:token',
  /** The reset page a `gravity users reset` URL opens: `/web/reset/<token>`. */
  resetPage: '/web/reset/:token',
  /** The built assets (scripts, styles), public: they hold no data. */
  assets: '/assets/*',

  // -- sign-in (no session needed; POSTs still need a same-origin Origin header) --
  /** GET: the current session, or 401. */
  session: '/api/session',
  /** POST LoginRequest: starts a session (sets the cookie); 401 on a wrong email or password; 429 when rate-limited. */
  login: '/api/login',
  /** POST: ends the session (CSRF-checked). */
  logout: '/api/logout',
  /** GET: what a signup or reset token is for; 401 forged, 410 expired or used. */
  token: '/api/tokens/:token',
  /** POST PasswordRequest: sets the password of a signup token's new user and signs in. */
  signup: '/api/signup',
  /** POST PasswordRequest: sets a new password from a reset token and signs in. */
  reset: '/api/reset',

  // -- data (session needed) --
  /** GET: the cluster's health, as the health endpoint's JSON. */
  cluster: '/api/cluster',
  /** GET HistoryFilter as query params: the status timeline, oldest first. */
  history: '/api/history',
  /** GET: the newest operations as summaries (no plan trees), newest first. */
  operations: '/api/operations',
  /** GET: one operation with its plan tree, bounded (panel-limits.ts); 404 E_OPERATION_NOT_FOUND. */
  operation: '/api/operations/:id',
  /** GET: the supervision tree with each child's state, thread, restarts and uptime. */
  tree: '/api/tree',
  /** GET: the machines that can be drawn. */
  machines: '/api/machines',
  /** GET: one machine's statechart model (states and transitions). */
  machine: '/api/machines/:name',
  /**
   * GET `?path=<actor path>[&before=<epoch ms>][&limit=<1..500>]`: the actor's newest inspection
   * records (200 unless `limit` says otherwise), or the newest older than `before`, oldest first.
   */
  actorRecords: '/api/actor-records',
  /** GET: the live stream (Server-Sent Events), see PanelStreamEvents. */
  events: '/api/events',

  // -- administration (session with @teleadmin, CSRF-checked) --
  /** POST InviteRequest: creates a signup token; answers its URL. GET (any session): UsersResponse. */
  invite: '/api/users',
  /** POST ResetLinkRequest: makes a password reset token for an active user; answers its URL. */
  resetLink: '/api/users/reset-link',
  /** The users page: everyone signed in sees the users; only @teleadmin gets the invite form. */
  usersPage: '/users',
} as const;

export interface SessionInfo {
  email: string;
  roles: string[];
  /** Holds @teleadmin: may change things; otherwise read-only. */
  admin: boolean;
  /** Send it back in the x-csrf-token header with every POST, PUT, PATCH or DELETE. */
  csrfToken: string;
  /** Epoch ms at which the session ends. */
  expiresAt: number;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface PasswordRequest {
  token: string;
  password: string;
}

export type UserTokenKind = 'signup' | 'reset';

export interface TokenInfo {
  email: string;
  kind: UserTokenKind;
  /** Epoch ms. */
  expiresAt: number;
}

export interface InviteRequest {
  email: string;
  roles: string[];
  /** A duration such as `1h` or `30m`; 8h when absent, at most 48h. */
  ttl?: string;
}

export interface ResetLinkRequest {
  email: string;
  /** A duration such as `1h`; 8h when absent, at most 24h. */
  ttl?: string;
}

export interface UserSummary {
  email: string;
  roles: string[];
  /** Epoch ms: when the user signed up, or when the pending invite was made. */
  created: number;
  /** `pending`: invited, no password set yet. */
  status: 'active' | 'pending';
  /** Pending: when the invite's link expires (epoch ms). */
  inviteExpiresAt?: number;
}

export interface UsersResponse {
  users: UserSummary[];
}

export interface InviteResult {
  url: string;
  expiresAt: number;
}

/** A password reset link: the same shape as an invite's. */
export type ResetLinkResult = InviteResult;

/** Every error body: a stable code (the catalogue's) and a sentence for people. */
export interface PanelErrorBody {
  code: string;
  message: string;
  /** Every problem, when there are several (a weak password's). */
  details?: string[];
}

/** The history page's filter, sent as query params. */
export interface HistoryFilter {
  node?: string;
  checker?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  type?: HistoryEventType;
  limit?: number;
}

export interface HistoryResponse {
  events: HistoryEvent[];
}

/** How many of a plan's leaves are in each state. */
export type PhaseCounts = Record<PhaseState, number>;

/**
 * One operation as the list shows it: no plan tree, a bounded description. Texts cut to their limit
 * end with a marker saying how long they were (see truncateText in truncated-text.ts).
 */
export interface OperationSummary {
  id: string;
  type: OperationType;
  state: OperationState;
  rolledBack?: boolean;
  /** Epoch ms. */
  created: number;
  updated: number;
  /** At most operationLimits.summaryTextChars characters, then the truncation marker. */
  description: string;
  /** The description's full length in bytes (UTF-8). */
  descriptionBytes: number;
  /** The plan's leaves by state. */
  phases: PhaseCounts;
}

export interface OperationsResponse {
  operations: OperationSummary[];
}

/** One operation with its plan tree, bounded: long texts cut with a marker, a huge plan cut short. */
export interface OperationDetailResponse {
  operation: Operation;
  /** How many phases the plan has (its root not counted). */
  phaseCount: number;
  /** How many of them were left out of `operation.plan` to keep the answer within its cap. */
  omittedPhases: number;
}

export type TreeResponse = TreeResult;

export interface MachineSummary {
  /** The name `/api/machines/:name` and the tree's `actor` field use, e.g. `probe`. */
  name: string;
  description: string;
}

export interface MachinesResponse {
  machines: MachineSummary[];
}

export type MachineResponse = MachineModel;

export interface ActorRecordsResponse {
  /** Oldest first; past `limit` only to finish the oldest record's millisecond (see actor-records-page.ts). */
  records: InspectionRecord[];
  /** Whether the agent still remembers older records of the actor (ask again with `before` = the oldest's time). */
  more: boolean;
}

/**
 * The live stream's events (`event:` name → `data:` JSON). On connect the server sends `status`,
 * `tree` and `operations` once, then each again whenever it changes, and every inspection record as
 * `record` (filtered to actors under `?path=` when the stream is opened with one). An event over the
 * per-event cap is replaced by `skipped`.
 */
export interface PanelStreamEvents {
  status: ClusterReport;
  tree: TreeResult;
  operations: OperationsResponse;
  record: InspectionRecord;
  /** An event too large to send (over the stream's per-event cap) was left out. */
  skipped: SkippedEvent;
}

export interface SkippedEvent {
  event: PanelStreamEventName;
  /** Its size in bytes. */
  bytes: number;
}

export type PanelStreamEventName = keyof PanelStreamEvents;
export const panelStreamEventNames: readonly PanelStreamEventName[] = ['status', 'tree', 'operations', 'record', 'skipped'];
