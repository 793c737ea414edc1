// Which methods a server answers at a path, from the routes it registered: what tells a path it does
// not know (404) from a known path asked with a method it does not take (405, with `Allow`).

/** A registered route's path, as a pattern: `:name` is one segment, a trailing `*` anything. */
function patternOf(url: string): RegExp {
  const parts = url.split('/').map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`, 'u');
}

export interface RouteMethods {
  /** Records that `method` is answered at `url` (a route's path, with `:params` and `*`). */
  add(method: string | readonly string[], url: string): void;
  /** The methods answered at a request's path (without its query), sorted; empty for an unknown path. */
  allowed(pathname: string): string[];
}

/**
 * @example
 * const routes = routeMethods(); app.addHook('onRoute', (route) => routes.add(route.method, route.url));
 * routes.allowed('/api/users') // ['GET', 'HEAD', 'POST']
 */
export function routeMethods(): RouteMethods {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  const byUrl = new Map<string, Set<string>>();
  return {
    add(method, url) {
      let methods = byUrl.get(url);
      if (methods === undefined) {
        methods = new Set();
        byUrl.set(url, methods);
        routes.push({ pattern: patternOf(url), methods });
      }
      for (const name of typeof method === 'string' ? [method] : method) methods.add(name.toUpperCase());
    },
    allowed(pathname) {
      const found = new Set<string>();
      for (const route of routes) if (route.pattern.test(pathname)) for (const method of route.methods) found.add(method);
      return [...found].sort();
    },
  };
}
