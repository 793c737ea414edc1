// The signup and reset pages a `gravity users add` / `gravity users reset` link opens: whose link it
// is, a new password typed twice, the server's password-strength problems in the form, and signed in
// on success.

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { PasswordRequest, TokenInfo, UserTokenKind } from '../../api/panel-protocol.ts';
import { ApiError, getJson, isAbort, postJson } from '../api/http.ts';
import { FormErrorBox } from '../components/form-error.tsx';
import { localPasswordError, passwordError } from '../model/form-errors.ts';
import type { FormError } from '../model/form-errors.ts';
import { fillRoute } from '../model/routes.ts';

export interface PasswordPageProps {
  kind: UserTokenKind;
  token: string;
  /** Called once the session exists; resolves when the app has read it. */
  onSignedIn: (next: string) => Promise<void>;
}

function failureOf(failure: unknown): FormError {
  if (failure instanceof ApiError) return passwordError(failure.status, failure.body);
  return { message: `the request failed: ${failure instanceof Error ? failure.message : String(failure)}`, details: [] };
}

export function PasswordPage({ kind, token, onSignedIn }: PasswordPageProps): JSX.Element {
  const [info, setInfo] = useState<TokenInfo | undefined>(undefined);
  const [linkError, setLinkError] = useState<FormError | undefined>(undefined);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<FormError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    getJson<TokenInfo>(fillRoute(panelRoutes.token, { token }), { expectUnauthorized: true, signal: abort.signal }).then(setInfo, (failure: unknown) => {
      if (!isAbort(failure)) setLinkError(failureOf(failure));
    });
    return () => abort.abort();
  }, [token]);

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const local = localPasswordError(password, confirm);
    setError(local);
    if (local !== undefined) return;
    setBusy(true);
    try {
      const request: PasswordRequest = { token, password };
      await postJson(kind === 'signup' ? panelRoutes.signup : panelRoutes.reset, request, { expectUnauthorized: true });
      await onSignedIn(panelRoutes.clusterPage);
    } catch (failure) {
      setError(failureOf(failure));
      setBusy(false);
    }
  };

  const title = kind === 'signup' ? 'Create your account' : 'Choose a new password';
  return (
    <main class="auth-page" data-testid={kind === 'signup' ? 'signup-page' : 'reset-page'}>
      <form class="auth-form card" method="post" onSubmit={(event) => void onSubmit(event)}>
        <h1>{title}</h1>
        {info === undefined && linkError === undefined && <p class="muted">Checking the link…</p>}
        {info !== undefined && (
          <p>
            {kind === 'signup' ? 'Signing up as ' : 'New password for '}
            <strong data-testid="token-email">{info.email}</strong>
          </p>
        )}
        {info !== undefined && (
          <input type="email" name="email" autocomplete="username" value={info.email} readOnly hidden />
        )}
        <label>
          New password
          <input
            name="password"
            type="password"
            autocomplete="new-password"
            required
            disabled={info === undefined}
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </label>
        <label>
          Confirm the password
          <input
            name="confirm"
            type="password"
            autocomplete="new-password"
            required
            disabled={info === undefined}
            value={confirm}
            onInput={(event) => setConfirm(event.currentTarget.value)}
          />
        </label>
        <FormErrorBox error={linkError ?? error} />
        <button type="submit" disabled={busy || info === undefined}>
          {busy ? 'Saving…' : kind === 'signup' ? 'Sign up' : 'Set the password'}
        </button>
      </form>
    </main>
  );
}
