// The users page's view model: what the invite form sends (roles typed comma-separated, the TTL left
// to the server's default when empty), what it says when the server refuses an invite or a reset
// link, and how each user's roles and status read in the list. Kept apart from the page so that it can be tested without a DOM.

import { adminRole } from '../../api/panel-protocol.ts';
import type { InviteRequest, UserSummary } from '../../api/panel-protocol.ts';
import type { FormError } from './form-errors.ts';
import { readErrorBody } from './form-errors.ts';
import { formatTime } from './format.ts';

/** The invite form's fields, as typed. */
export interface InviteFormValues {
  email: string;
  /** Comma-separated, e.g. `viewer, ops`. */
  roles: string;
  /** A duration such as `1h`; empty for the server's default (8h). */
  ttl: string;
}

export const emptyInviteForm: InviteFormValues = { email: '', roles: '', ttl: '' };

/**
 * Roles from the comma-separated field: trimmed, blanks dropped, each once. Whether they are valid
 * role names is the server's to say.
 * @example splitRoles(' viewer, ops,,viewer ') // ['viewer', 'ops']
 */
export function splitRoles(text: string): string[] {
  return [...new Set(text.split(',').map((role) => role.trim()).filter((role) => role !== ''))];
}

/**
 * The request the invite form sends.
 * @example inviteRequest({ email: ' bob@example.com ', roles: 'viewer', ttl: '' }) // { email: 'bob@example.com', roles: ['viewer'] }
 */
export function inviteRequest(values: InviteFormValues): InviteRequest {
  const request: InviteRequest = { email: values.email.trim(), roles: splitRoles(values.roles) };
  const ttl = values.ttl.trim();
  if (ttl !== '') request.ttl = ttl;
  return request;
}

/** The invite form's error for a refused invite: the server's message and every problem it lists. */
export function inviteError(status: number, body: unknown): FormError {
  const read = readErrorBody(body);
  const fallback =
    status === 403 ? `only users with the ${adminRole} role may invite users` : status === 409 ? 'this user already exists' : `the invite failed (HTTP ${status})`;
  return { message: read.message ?? fallback, details: read.details };
}

/** The error shown when a reset link is refused: the server's message, else one for the status. */
export function resetLinkError(email: string, status: number, body: unknown): FormError {
  const read = readErrorBody(body);
  const fallback =
    status === 403
      ? `only users with the ${adminRole} role may make reset links`
      : status === 404
        ? `${email} has no password to reset`
        : `the reset link for ${email} failed (HTTP ${status})`;
  return { message: read.message ?? fallback, details: read.details };
}

/** What a link card calls its link. */
export function userLinkTitle(kind: 'signup' | 'reset'): string {
  return kind === 'signup' ? 'Signup link' : 'Password reset link';
}

/** A user's roles as the list shows them. */
export function rolesText(roles: readonly string[]): string {
  return roles.length === 0 ? '—' : roles.join(', ');
}

/**
 * A user's status as the list shows it: `active`, or `pending` with when the invite's link expires.
 * @example statusText({ status: 'pending', inviteExpiresAt: t, ... }) // 'pending (invite expires 2026-11-25 18:00:00)'
 */
export function statusText(user: Pick<UserSummary, 'status' | 'inviteExpiresAt'>): string {
  if (user.status === 'active') return 'active';
  return user.inviteExpiresAt === undefined ? 'pending' : `pending (invite expires ${formatTime(user.inviteExpiresAt)})`;
}

/** How many users are active and how many invites are pending, for the line above the list. */
export function usersCountText(users: readonly Pick<UserSummary, 'status'>[]): string {
  const pending = users.filter((user) => user.status === 'pending').length;
  const active = users.length - pending;
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  return pending === 0 ? plural(active, 'user') : `${plural(active, 'user')}, ${plural(pending, 'pending invite')}`;
}
