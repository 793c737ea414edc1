// The pages' routes: every contract path maps to its page, tokens and actor paths are decoded,
// `next=` never leaves the site, and the links the pages build come back to the same page.

import assert from 'node:assert/strict';
import { panelRoutes } from '../../../src/api/panel-protocol.ts';
import { actorLocation, fillRoute, isPublicPage, loginLocation, matchPage, matchPattern, safeNext } from '../../../src/web/model/routes.ts';

describe('web/routes', () => {
  it('maps every page of the contract', () => {
    assert.deepEqual(matchPage(panelRoutes.clusterPage, ''), { name: 'cluster' });
    assert.deepEqual(matchPage(panelRoutes.historyPage, '?node=n1'), { name: 'history' });
    assert.deepEqual(matchPage(`${panelRoutes.operationsPage}/`, ''), { name: 'operations' });
    assert.deepEqual(matchPage(panelRoutes.actorsPage, ''), { name: 'actors' });
    assert.deepEqual(matchPage(panelRoutes.usersPage, ''), { name: 'users' });
    assert.deepEqual(matchPage(panelRoutes.loginPage, ''), { name: 'login', next: '/' });
    assert.deepEqual(matchPage(fillRoute(panelRoutes.signupPage, { token: 'a b/c' }), ''), { name: 'signup', token: 'a b/c' });
    assert.deepEqual(matchPage(fillRoute(panelRoutes.resetPage, { token: 'xyz' }), ''), { name: 'reset', token: 'xyz' });
    assert.deepEqual(matchPage('/web/newuser/', ''), { name: 'notFound' });
    assert.deepEqual(matchPage('/nowhere', ''), { name: 'notFound' });
  });

  it('only the sign-in pages are public', () => {
    const pages = ['/', '/history', '/operations', '/actors', '/users', '/login', '/web/newuser/t', '/web/reset/t'].map((path) => matchPage(path, ''));
    assert.deepEqual(
      pages.filter(isPublicPage).map((page) => page.name),
      ['login', 'signup', 'reset'],
    );
  });

  it('selects an actor by its path, and links back to it', () => {
    const path = 'agent/probes/probe:tcp target';
    const location = new URL(actorLocation(path), 'https://panel.example');
    assert.deepEqual(matchPage(location.pathname, location.search), { name: 'actors', path });
  });

  it('goes back to `next` after signing in, never to another site or the login page', () => {
    assert.equal(safeNext('/history?node=n1'), '/history?node=n1');
    for (const bad of [null, undefined, '', 'https://evil.example/', '//evil.example/x', '/\\evil.example', '/login?next=/x', 'history']) {
      assert.equal(safeNext(bad), '/', String(bad));
    }
    const location = new URL(loginLocation('/actors?path=agent%2Fcluster'), 'https://panel.example');
    assert.deepEqual(matchPage(location.pathname, location.search), { name: 'login', next: '/actors?path=agent%2Fcluster' });
    assert.equal(loginLocation('/'), '/login');
  });

  it('matches patterns segment by segment', () => {
    assert.deepEqual(matchPattern('/web/reset/:token', '/web/reset/abc/'), { token: 'abc' });
    assert.equal(matchPattern('/web/reset/:token', '/web/reset/abc/more'), undefined);
    assert.equal(matchPattern('/web/reset/:token', '/web/reset/%E0%A4%A'), undefined);
    assert.equal(fillRoute(panelRoutes.machine, { name: 'hook-job' }), '/api/machines/hook-job');
  });
});
