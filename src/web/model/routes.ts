// Which page a URL shows, and the URLs the pages link to. The paths are the contract's
// (panelRoutes), so the pages and the server that answers them with the app shell agree.

import { panelRoutes } from '../../api/panel-protocol.ts';

export type PanelPage =
  | { name: 'cluster' }
  | { name: 'history' }
  | { name: 'operations' }
  | { name: 'actors'; path?: string }
  | { name: 'users' }
  | { name: 'login'; next: string }
  | { name: 'signup'; token: string }
  | { name: 'reset'; token: string }
  | { name: 'notFound' };

export type PanelPageName = PanelPage['name'];

/** The pages that need no session. */
const publicPages: ReadonlySet<PanelPageName> = new Set(['login', 'signup', 'reset']);

export function isPublicPage(page: PanelPage): boolean {
  return publicPages.has(page.name);
}

/**
 * The parameters of `pathname` under a pattern such as `/web/reset/:token`, or undefined when it does
 * not match. A trailing slash is ignored; parameters are URL-decoded.
 * @example matchPattern('/web/reset/:token', '/web/reset/abc') // { token: 'abc' }
 */
export function matchPattern(pattern: string, pathname: string): Record<string, string> | undefined {
  const trim = (path: string): string[] => path.replace(/\/+$/u, '').split('/');
  const wanted = trim(pattern);
  const given = trim(pathname);
  if (wanted.length !== given.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of wanted.entries()) {
    const actual = given[index] ?? '';
    if (part.startsWith(':')) {
      if (actual === '') return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * A `next=` target that is safe to go to after signing in: a path on this site (never another
 * origin, never the login page itself); `/` otherwise.
 * @example safeNext('//evil.example/') // '/'
 */
export function safeNext(next: string | null | undefined): string {
  if (next === null || next === undefined || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  if (matchPattern(panelRoutes.loginPage, next.split(/[?#]/u)[0] ?? '') !== undefined) return '/';
  return next;
}

/**
 * The page of a location.
 * @example matchPage('/actors', '?path=agent%2Fcluster') // { name: 'actors', path: 'agent/cluster' }
 */
export function matchPage(pathname: string, search: string): PanelPage {
  const query = new URLSearchParams(search);
  const is = (pattern: string): boolean => matchPattern(pattern, pathname) !== undefined;
  if (is(panelRoutes.clusterPage)) return { name: 'cluster' };
  if (is(panelRoutes.historyPage)) return { name: 'history' };
  if (is(panelRoutes.operationsPage)) return { name: 'operations' };
  if (is(panelRoutes.actorsPage)) {
    const path = query.get('path');
    return path === null || path === '' ? { name: 'actors' } : { name: 'actors', path };
  }
  if (is(panelRoutes.usersPage)) return { name: 'users' };
  if (is(panelRoutes.loginPage)) return { name: 'login', next: safeNext(query.get('next')) };
  const signup = matchPattern(panelRoutes.signupPage, pathname)?.token;
  if (signup !== undefined) return { name: 'signup', token: signup };
  const reset = matchPattern(panelRoutes.resetPage, pathname)?.token;
  if (reset !== undefined) return { name: 'reset', token: reset };
  return { name: 'notFound' };
}

/**
 * The login page, coming back to `next` afterwards.
 * @example loginLocation('/history?node=n1') // '/login?next=%2Fhistory%3Fnode%3Dn1'
 */
export function loginLocation(next: string): string {
  const target = safeNext(next);
  return target === '/' ? panelRoutes.loginPage : `${panelRoutes.loginPage}?next=${encodeURIComponent(target)}`;
}

/** The actors page with one actor selected. */
export function actorLocation(path: string): string {
  return `${panelRoutes.actorsPage}?path=${encodeURIComponent(path)}`;
}

/** A route with its `:name` parameters filled in (URL-encoded). */
export function fillRoute(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/:([a-zA-Z]+)/gu, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : encodeURIComponent(value);
  });
}
