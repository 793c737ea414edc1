// The users page: who may sign in to the panel, with their roles and whether they have signed up yet
// (from /api/users), so that everyone can see who holds which role. Users with @teleadmin also get
// the invite form, which makes a signup link as `gravity users add` does, and a reset link button on
// each active user, as `gravity users reset`; either link is shown to be copied. Everyone else is
// told that their roles are read-only and who can invite.

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adminRole, panelRoutes } from '../../api/panel-protocol.ts';
import type { InviteResult, ResetLinkRequest, ResetLinkResult, SessionInfo, UserSummary, UsersResponse } from '../../api/panel-protocol.ts';
import { ApiError, getJson, isAbort, postJson } from '../api/http.ts';
import { FormErrorBox } from '../components/form-error.tsx';
import type { FormError } from '../model/form-errors.ts';
import { formatTime } from '../model/format.ts';
import { emptyInviteForm, inviteError, inviteRequest, resetLinkError, rolesText, statusText, userLinkTitle, usersCountText } from '../model/users.ts';
import type { InviteFormValues } from '../model/users.ts';

export interface UsersPageProps {
  session: SessionInfo;
}

/** A signup or reset link just made, and for whom. */
interface UserLink extends InviteResult {
  kind: 'signup' | 'reset';
  email: string;
}

function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

/** The host the link names, which the invited user must be able to reach. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

interface UserRowProps {
  user: UserSummary;
  self: boolean;
  /** Given to admins: makes a password reset link for this (active) user. */
  onResetLink?: (email: string) => void;
  busy: boolean;
}

function UserRow({ user, self, onResetLink, busy }: UserRowProps): JSX.Element {
  return (
    <tr class={`user-row status-${user.status}`} data-testid="user-row" data-email={user.email} data-status={user.status} data-roles={user.roles.join(',')}>
      <td>
        {user.email}
        {self && <span class="muted"> (you)</span>}
      </td>
      <td>
        {user.roles.map((role) => (
          <span key={role} class={role === adminRole ? 'badge role role-admin' : 'badge role'}>
            {role}
          </span>
        ))}
      </td>
      <td>
        <span class={`badge badge-${user.status}`} data-testid="user-status">
          {statusText(user)}
        </span>
      </td>
      <td class="time">{formatTime(user.created)}</td>
      {onResetLink !== undefined && (
        <td>
          {user.status === 'active' && (
            <button type="button" class="secondary" data-testid="reset-link" disabled={busy} onClick={() => onResetLink(user.email)}>
              Reset link
            </button>
          )}
        </td>
      )}
    </tr>
  );
}

function InviteForm({ onInvited }: { onInvited: (invited: UserLink) => void }): JSX.Element {
  const [form, setForm] = useState<InviteFormValues>(emptyInviteForm);
  const [error, setError] = useState<FormError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const field = (name: keyof InviteFormValues) => (event: Event): void => {
    setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement).value });
  };

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const request = inviteRequest(form);
    try {
      const result = await postJson<InviteResult>(panelRoutes.invite, request);
      if (result === undefined) throw new Error('the agent sent no link');
      setForm(emptyInviteForm);
      onInvited({ ...result, kind: 'signup', email: request.email });
    } catch (failure) {
      setError(failure instanceof ApiError ? inviteError(failure.status, failure.body) : { message: `the invite failed: ${messageOf(failure)}`, details: [] });
    } finally {
      setBusy(false);
    }
  };

  // noValidate: the agent checks the email, roles and TTL, and its refusal is shown in the form.
  return (
    <form class="card invite-form" data-testid="invite-form" method="post" noValidate onSubmit={(event) => void onSubmit(event)}>
      <h2>Invite a user</h2>
      <p class="muted small">
        Makes a signup link, as <code>gravity users add</code> does. {adminRole} may change things; any other role may only look.
      </p>
      <div class="filters">
        <label>
          Email
          <input name="invite-email" type="email" autocomplete="off" value={form.email} onInput={field('email')} placeholder="user@example.com" />
        </label>
        <label>
          Roles (comma-separated)
          <input name="invite-roles" autocomplete="off" value={form.roles} onInput={field('roles')} placeholder={`${adminRole} or a role name`} />
        </label>
        <label>
          Link valid for
          <input name="invite-ttl" class="ttl" autocomplete="off" value={form.ttl} onInput={field('ttl')} placeholder="8h" />
        </label>
        <button type="submit" data-testid="invite-submit" disabled={busy}>
          {busy ? 'Inviting…' : 'Invite'}
        </button>
      </div>
      <FormErrorBox error={error} />
    </form>
  );
}

function UserLinkCard({ link }: { link: UserLink }): JSX.Element {
  const host = hostOf(link.url);
  return (
    <section class="card invite-result" data-testid={link.kind === 'signup' ? 'invite-result' : 'reset-result'}>
      <p>
        {userLinkTitle(link.kind)} for <strong>{link.email}</strong>. It works once, until {formatTime(link.expiresAt)}. Share it with the user:
      </p>
      <code class="invite-url" data-testid={link.kind === 'signup' ? 'invite-url' : 'reset-url'}>
        {link.url}
      </code>
      <p class="muted small">
        Click the link to select it, then copy it (Ctrl+C, or ⌘C on a Mac).
        {host === undefined ? '' : ` Make sure that ${host} is reachable for the user.`}
      </p>
    </section>
  );
}

export function UsersPage({ session }: UsersPageProps): JSX.Element {
  const [users, setUsers] = useState<UserSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [link, setLink] = useState<UserLink | undefined>(undefined);
  const [linkError, setLinkError] = useState<FormError | undefined>(undefined);
  const [resetting, setResetting] = useState(false);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    getJson<UsersResponse>(panelRoutes.invite, { signal: abort.signal }).then(
      (answer) => {
        setUsers(answer.users);
        setError(undefined);
      },
      (failure: unknown) => {
        if (!isAbort(failure)) setError(messageOf(failure));
      },
    );
    return () => abort.abort();
  }, [generation]);

  const onInvited = (result: UserLink): void => {
    setLink(result);
    setLinkError(undefined);
    setGeneration((value) => value + 1);
  };

  const onResetLink = async (email: string): Promise<void> => {
    setResetting(true);
    setLinkError(undefined);
    try {
      const request: ResetLinkRequest = { email };
      const result = await postJson<ResetLinkResult>(panelRoutes.resetLink, request);
      if (result === undefined) throw new Error('the agent sent no link');
      setLink({ ...result, kind: 'reset', email });
    } catch (failure) {
      setLink(undefined);
      setLinkError(failure instanceof ApiError ? resetLinkError(email, failure.status, failure.body) : { message: `the reset link failed: ${messageOf(failure)}`, details: [] });
    } finally {
      setResetting(false);
    }
  };

  return (
    <div class="page users-page" data-testid="users-page">
      <h1>Users</h1>
      {session.admin ? (
        <>
          <InviteForm onInvited={onInvited} />
          {link !== undefined && <UserLinkCard link={link} />}
          <FormErrorBox error={linkError} />
        </>
      ) : (
        <p class="card read-only-note" data-testid="read-only-note">
          Your roles ({rolesText(session.roles)}) are read-only: you can see the users, but not change them. An administrator ({adminRole}) can invite
          users with the form on this page or with <code>gravity users add</code> on a cluster node.
        </p>
      )}
      {error !== undefined && (
        <p class="error-text" data-testid="users-error">
          {error}
        </p>
      )}
      {users === undefined ? (
        error === undefined && <p class="muted">Loading…</p>
      ) : (
        <>
          <p class="muted">{usersCountText(users)}</p>
          <table class="table users">
            <thead>
              <tr>
                <th>Email</th>
                <th>Roles</th>
                <th>Status</th>
                <th>Created</th>
                {session.admin && <th />}
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <UserRow
                  key={user.email}
                  user={user}
                  self={user.email === session.email}
                  busy={resetting}
                  {...(session.admin ? { onResetLink: (email: string) => void onResetLink(email) } : {})}
                />
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
