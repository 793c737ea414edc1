// The Control Panel app: reads the session, sends a visitor without one to the login page, keeps one
// live stream open while signed in, and shows the page the URL names under the top bar.

import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { panelRoutes } from '../api/panel-protocol.ts';
import type { OperationsResponse, SessionInfo, TreeResponse } from '../api/panel-protocol.ts';
import type { ClusterReport } from '../health/types.ts';
import { ApiError, getJson, onUnauthorized, postJson, setCsrfToken } from './api/http.ts';
import { LiveStore } from './api/live-store.ts';
import { useLiveState } from './api/use-live.ts';
import { TopBar } from './components/top-bar.tsx';
import { isPublicPage, loginLocation, matchPage } from './model/routes.ts';
import type { PanelPage } from './model/routes.ts';
import { ActorsPage } from './pages/actors-page.tsx';
import { ClusterPage } from './pages/cluster-page.tsx';
import { HistoryPage } from './pages/history-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { OperationsPage } from './pages/operations-page.tsx';
import { PasswordPage } from './pages/password-page.tsx';
import { UsersPage } from './pages/users-page.tsx';
import { Link, navigate, useLocation } from './router.tsx';

/** undefined: not read yet; null: nobody is signed in. */
type SessionState = SessionInfo | null | undefined;

function here(): string {
  return `${window.location.pathname}${window.location.search}`;
}

function ignore(): void {
  // Seeding is best effort: the live stream brings the same data.
}

function SignedInPage({ page, search, session, live }: { page: PanelPage; search: string; session: SessionInfo; live: LiveStore }): JSX.Element {
  const state = useLiveState(live);
  switch (page.name) {
    case 'cluster':
      return <ClusterPage status={state.status} />;
    case 'history':
      return <HistoryPage search={search} status={state.status} />;
    case 'operations':
      return <OperationsPage operations={state.operations} />;
    case 'actors':
      return <ActorsPage tree={state.tree} treeReceivedAt={state.treeReceivedAt} selected={page.path} live={live} />;
    case 'users':
      return <UsersPage session={session} />;
    default:
      return (
        <div class="page" data-testid="not-found">
          <h1>Not found</h1>
          <p>
            There is no page here. <Link href={panelRoutes.clusterPage}>Go to the cluster.</Link>
          </p>
        </div>
      );
  }
}

function Shell({ page, search, session, live, onSignOut }: { page: PanelPage; search: string; session: SessionInfo; live: LiveStore; onSignOut: () => void }): JSX.Element {
  const state = useLiveState(live);
  useEffect(() => {
    const status = state.status;
    document.title = status === undefined ? 'Gravity' : `${status.status === 'degraded' ? '⚠ ' : ''}${status.name} · Gravity`;
  }, [state.status]);
  return (
    <>
      <TopBar status={state.status} page={page.name} connected={state.connected} email={session.email} onSignOut={onSignOut} />
      <main class="content">
        <SignedInPage page={page} search={search} session={session} live={live} />
      </main>
    </>
  );
}

export function App(): JSX.Element {
  const location = useLocation();
  const page = matchPage(location.pathname, location.search);
  const publicPage = isPublicPage(page);
  const [session, setSession] = useState<SessionState>(undefined);
  const [sessionError, setSessionError] = useState<string | undefined>(undefined);
  const live = useMemo(() => new LiveStore(), []);

  const signedOut = (): void => {
    setCsrfToken(undefined);
    setSession(null);
  };

  useEffect(() => {
    onUnauthorized(() => {
      signedOut();
      if (!isPublicPage(matchPage(window.location.pathname, window.location.search))) navigate(loginLocation(here()), true);
    });
  }, []);

  const readSession = async (): Promise<SessionInfo | null> => {
    try {
      const info = await getJson<SessionInfo>(panelRoutes.session, { expectUnauthorized: true });
      setCsrfToken(info.csrfToken);
      setSession(info);
      setSessionError(undefined);
      return info;
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) {
        signedOut();
        return null;
      }
      setSessionError(failure instanceof Error ? failure.message : String(failure));
      return null;
    }
  };

  // A page that needs a session: read it once; without one, off to the login page.
  useEffect(() => {
    if (publicPage) return;
    if (session === null) {
      navigate(loginLocation(here()), true);
      return;
    }
    if (session === undefined) void readSession();
  }, [publicPage, session]);

  // While signed in: the live stream, and the first values fetched directly so that a page shows
  // without waiting for the stream.
  useEffect(() => {
    if (session === undefined || session === null) return;
    live.connect();
    getJson<ClusterReport>(panelRoutes.cluster).then((status) => live.seed({ status }), ignore);
    getJson<TreeResponse>(panelRoutes.tree).then((tree) => live.seed({ tree }), ignore);
    getJson<OperationsResponse>(panelRoutes.operations).then((operations) => live.seed({ operations }), ignore);
    return () => live.close();
  }, [session?.email, session?.csrfToken]);

  const onSignedIn = async (next: string): Promise<void> => {
    const info = await readSession();
    if (info === null) throw new Error('the session did not start');
    navigate(next, true);
  };

  const onSignOut = (): void => {
    postJson(panelRoutes.logout, {})
      .catch(ignore)
      .finally(() => {
        signedOut();
        navigate(panelRoutes.loginPage);
      });
  };

  switch (page.name) {
    case 'login':
      return <LoginPage next={page.next} onSignedIn={onSignedIn} />;
    case 'signup':
      return <PasswordPage key={page.token} kind="signup" token={page.token} onSignedIn={onSignedIn} />;
    case 'reset':
      return <PasswordPage key={page.token} kind="reset" token={page.token} onSignedIn={onSignedIn} />;
    default:
      break;
  }
  if (session === undefined || session === null) {
    return (
      <main class="auth-page">
        <p class="muted" data-testid="loading">
          {sessionError === undefined ? 'Loading…' : `The agent did not answer: ${sessionError}`}
        </p>
        {sessionError !== undefined && (
          <button type="button" onClick={() => void readSession()}>
            Try again
          </button>
        )}
      </main>
    );
  }
  return <Shell page={page} search={location.search} session={session} live={live} onSignOut={onSignOut} />;
}
