// The URLs users are sent: the panel's address (`https://<host>:<port>`) and the signup and reset
// pages under it, which `gravity users add|reset` print and the panel's invite answers.

import { panelRoutes } from '../api/panel-protocol.ts';
import type { UserTokenKind } from '../store/types.ts';

/**
 * The panel's base URL for a host (an IP address or a name) and port; IPv6 addresses in brackets.
 * @example panelBaseUrl('10.0.0.1', 3009) // 'https://10.0.0.1:3009'
 */
export function panelBaseUrl(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/u, '$1');
  return `https://${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/**
 * The page a token opens: `/web/newuser/<token>` for a signup, `/web/reset/<token>` for a reset.
 * @example userLinkUrl('https://10.0.0.1:3009', 'signup', token) // 'https://10.0.0.1:3009/web/newuser/<token>'
 */
export function userLinkUrl(baseUrl: string, kind: UserTokenKind, token: string): string {
  const page = kind === 'signup' ? panelRoutes.signupPage : panelRoutes.resetPage;
  return `${baseUrl.replace(/\/+$/u, '')}${page.replace(':token', encodeURIComponent(token))}`;
}
