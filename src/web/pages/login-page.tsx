// The sign-in page: email and password, the server's refusal (wrong password, too many attempts and
// how long to wait) in the form, and on success the page the user wanted (`?next=`) or the cluster.

import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { LoginRequest } from '../../api/panel-protocol.ts';
import { ApiError, postJson } from '../api/http.ts';
import { FormErrorBox } from '../components/form-error.tsx';
import { loginError } from '../model/form-errors.ts';
import type { FormError } from '../model/form-errors.ts';

export interface LoginPageProps {
  next: string;
  /** Called once the session exists; resolves when the app has read it. */
  onSignedIn: (next: string) => Promise<void>;
}

export function LoginPage({ next, onSignedIn }: LoginPageProps): JSX.Element {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<FormError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const request: LoginRequest = { email: email.trim(), password };
      await postJson(panelRoutes.login, request, { expectUnauthorized: true });
      await onSignedIn(next);
    } catch (failure) {
      setError(
        failure instanceof ApiError
          ? loginError(failure.status, failure.body, failure.retryAfter, Date.now())
          : { message: `sign-in failed: ${failure instanceof Error ? failure.message : String(failure)}`, details: [] },
      );
      setBusy(false);
    }
  };

  return (
    <main class="auth-page" data-testid="login-page">
      <form class="auth-form card" method="post" onSubmit={(event) => void onSubmit(event)}>
        <h1>Gravity Control Panel</h1>
        <p class="muted">Sign in to continue.</p>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required value={email} onInput={(event) => setEmail(event.currentTarget.value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </label>
        <FormErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
