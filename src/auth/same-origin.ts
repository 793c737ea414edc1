// The browser's own word on where a request comes from. A page on another site can make a browser
// POST to the panel, but it cannot hide where it comes from: the browser adds `Origin` (the page's
// scheme, host and port) and `Sec-Fetch-Site`. A state-changing request whose Origin is not the panel
// itself, or which the browser calls cross-site, is refused, session or not (sign-in included, so that
// no page can sign a visitor in as someone else). Clients that are not browsers send neither header.

/** What the check reads from a request. */
export interface RequestSite {
  /** The `Origin` header. */
  origin?: string | undefined;
  /** The `Sec-Fetch-Site` header. */
  secFetchSite?: string | undefined;
  /** The `Host` header the request was sent to. */
  host?: string | undefined;
  /** `https` or `http`: how the request reached the server. */
  protocol: string;
}

function originOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a state-changing request must be refused as cross-site, or undefined when it may proceed.
 * @example crossSiteProblem({ origin: 'https://evil.example', host: '10.0.0.1:3009', protocol: 'https' }) // 'the request comes from https://evil.example, ...'
 */
export function crossSiteProblem(site: RequestSite): string | undefined {
  // same-site is refused too: another port of this host (another service) is another origin.
  if (site.secFetchSite === 'cross-site' || site.secFetchSite === 'same-site') {
    return `the browser says the request comes from another site (Sec-Fetch-Site: ${site.secFetchSite})`;
  }
  if (site.origin === undefined) return undefined;
  const own = site.host === undefined ? undefined : originOf(`${site.protocol}://${site.host}`);
  const theirs = originOf(site.origin);
  if (own === undefined || theirs !== own) {
    return `the request comes from ${theirs ?? JSON.stringify(site.origin)}, not from the Control Panel itself (${own ?? 'unknown'})`;
  }
  return undefined;
}
