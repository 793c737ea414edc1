// The cross-site check: the browser's Origin must be the panel's own origin and Sec-Fetch-Site must
// not say another site; requests without either header (not from a browser) pass.

import assert from 'node:assert/strict';
import { crossSiteProblem } from '../../src/auth/same-origin.ts';

const own = { host: '10.0.0.1:3009', protocol: 'https' };

describe('same-origin check', () => {
  it('passes the panel origin, and requests without the headers', () => {
    assert.equal(crossSiteProblem({ ...own, origin: 'https://10.0.0.1:3009' }), undefined);
    assert.equal(crossSiteProblem({ ...own, origin: 'https://10.0.0.1:3009', secFetchSite: 'same-origin' }), undefined);
    assert.equal(crossSiteProblem({ ...own }), undefined);
    assert.equal(crossSiteProblem({ host: 'localhost', protocol: 'https', origin: 'https://localhost:443' }), undefined, 'default ports compare equal');
    assert.equal(crossSiteProblem({ host: '[fd00::1]:3009', protocol: 'https', origin: 'https://[fd00::1]:3009' }), undefined);
  });

  it('refuses another host, port or scheme, an opaque origin, and what the browser calls another site', () => {
    for (const site of [
      { ...own, origin: 'https://evil.example' },
      { ...own, origin: 'https://10.0.0.1:7575' },
      { ...own, origin: 'http://10.0.0.1:3009' },
      { ...own, origin: 'null' },
      { ...own, origin: 'not a url' },
      { ...own, secFetchSite: 'cross-site' },
      { ...own, secFetchSite: 'same-site', origin: 'https://10.0.0.1:3009' },
      { protocol: 'https', origin: 'https://10.0.0.1:3009' },
    ]) {
      assert.ok(crossSiteProblem(site) !== undefined, JSON.stringify(site));
    }
  });
});
