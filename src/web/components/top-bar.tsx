// The bar on top of every signed-in page: the cluster's status (green running, red degraded with
// the reason), the pages, whether the live stream is connected, who is signed in and sign-out.

import type { JSX } from 'preact';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { ClusterReport } from '../../health/types.ts';
import { degradedReason } from '../model/degraded-reason.ts';
import type { PanelPageName } from '../model/routes.ts';
import { Link } from '../router.tsx';

export interface TopBarProps {
  status: ClusterReport | undefined;
  page: PanelPageName;
  connected: boolean;
  email: string;
  onSignOut: () => void;
}

const links: { page: PanelPageName; href: string; text: string }[] = [
  { page: 'cluster', href: panelRoutes.clusterPage, text: 'Cluster' },
  { page: 'history', href: panelRoutes.historyPage, text: 'History' },
  { page: 'operations', href: panelRoutes.operationsPage, text: 'Operations' },
  { page: 'actors', href: panelRoutes.actorsPage, text: 'Actors' },
  { page: 'users', href: panelRoutes.usersPage, text: 'Users' },
];

export function TopBar({ status, page, connected, email, onSignOut }: TopBarProps): JSX.Element {
  const state = status?.status ?? 'unknown';
  const reason = status === undefined ? undefined : degradedReason(status);
  return (
    <header class={`top-bar status-${state}`} data-testid="top-bar">
      <div class="top-row">
        <span class="brand">
          Gravity{status === undefined ? '' : <span class="cluster-name"> · {status.name}</span>}
        </span>
        <span class="status-pill" data-testid="cluster-status" data-status={state}>
          {state === 'unknown' ? 'loading' : state}
        </span>
        <nav class="nav">
          {links.map((link) => (
            <Link key={link.page} href={link.href} class={link.page === page ? 'nav-link current' : 'nav-link'} aria-current={link.page === page ? 'page' : undefined}>
              {link.text}
            </Link>
          ))}
        </nav>
        <span class="spacer" />
        <span class="live-badge" data-testid="live-badge" data-live={String(connected)} title={connected ? 'live updates on' : 'reconnecting to the live stream'}>
          {connected ? 'live' : 'reconnecting'}
        </span>
        <span class="user" data-testid="user-email">
          {email}
        </span>
        <button type="button" class="sign-out" data-testid="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </div>
      {reason !== undefined && (
        <div class="reason" data-testid="degraded-reason">
          {reason}
        </div>
      )}
    </header>
  );
}
