// The methods a server answers at a path, from its routes: what tells 404 from 405.

import assert from 'node:assert/strict';
import { routeMethods } from '../../src/api/route-methods.ts';

describe('api/route-methods', () => {
  it('lists the methods of the routes that match a path, parameters and wildcards included', () => {
    const routes = routeMethods();
    routes.add(['GET', 'HEAD'], '/api/users');
    routes.add('POST', '/api/users');
    routes.add('GET', '/api/operations/:id');
    routes.add('get', '/assets/*');
    routes.add('GET', '/a.b');
    assert.deepEqual(routes.allowed('/api/users'), ['GET', 'HEAD', 'POST']);
    assert.deepEqual(routes.allowed('/api/operations/abc'), ['GET']);
    assert.deepEqual(routes.allowed('/api/operations/abc/def'), []);
    assert.deepEqual(routes.allowed('/api/operations/'), []);
    assert.deepEqual(routes.allowed('/assets/x/y.js'), ['GET']);
    assert.deepEqual(routes.allowed('/aXb'), [], 'a dot in a route is a dot');
    assert.deepEqual(routes.allowed('/nowhere'), []);
  });
});
