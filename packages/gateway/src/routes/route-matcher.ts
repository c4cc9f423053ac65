import type { CompiledRoute } from './gateway-route.ts';

/** What a path matched. */
export interface RouteMatch {
  readonly route: CompiledRoute;
  /** The version in the path (`/api/v2/…` → 2); `undefined` for unversioned or plain paths. */
  readonly version: number | undefined;
  /** For versioned routes, the path after `/api/v{n}` or `/api` (`/products/7`); else the path. */
  readonly rest: string;
}

/** Resolves paths to routes. Pure: no I/O, no data-plane types. */
export interface RouteMatcher {
  /** The route serving `path` (no query string), or `undefined`. Longest prefix wins. */
  match(path: string): RouteMatch | undefined;
}

const VERSION_SEGMENT = /^v(\d{1,4})$/;

/**
 * Precompiles routes into a matcher: routes are bucketed by their first literal segment, each
 * bucket sorted by prefix length, so a lookup is one map read and a few `startsWith`.
 * The gateway's OpenAPI merge uses it to decide which service owns a path; it follows the same
 * rules as the Fastify rendering ({@link fastifyPatterns}).
 *
 * @example
 * const routes = compileRoutes([{ path: '/api/*\/products', service: 'inventory-service' }]);
 * const matcher = createRouteMatcher(routes.ok ? routes.routes : []);
 * matcher.match('/api/v2/products/7'); // { route, version: 2, rest: '/products/7' }
 */
export function createRouteMatcher(routes: readonly CompiledRoute[]): RouteMatcher {
  const versioned = bucket(routes.filter((r) => r.versioned));
  const plain = bucket(routes.filter((r) => !r.versioned));
  return {
    match(path) {
      const route = longest(plain, path);
      if (route) return { route, version: undefined, rest: path };
      if (!path.startsWith('/api/')) return undefined;
      const second = path.indexOf('/', 5);
      const head = second === -1 ? path.slice(5) : path.slice(5, second);
      const v = VERSION_SEGMENT.exec(head);
      const rest = v ? (second === -1 ? '/' : path.slice(second)) : path.slice(4);
      const hit = longest(versioned, rest);
      return hit ? { route: hit, version: v ? Number(v[1]) : undefined, rest } : undefined;
    },
  };
}

/**
 * The Fastify (find-my-way) paths that serve a route: for `/api/*\/products`, the versioned
 * `/api/:apiVersion/products` and `/api/:apiVersion/products/*`, and the unversioned
 * `/api/products` and `/api/products/*`; for a plain prefix `/p`, `/p` and `/p/*`.
 */
export function fastifyPatterns(route: CompiledRoute): { versioned: string[]; unversioned: string[] } {
  const p = route.prefix;
  if (!route.versioned) return { versioned: [], unversioned: [p, `${p}/*`] };
  return {
    versioned: [`/api/:apiVersion${p}`, `/api/:apiVersion${p}/*`],
    unversioned: [`/api${p}`, `/api${p}/*`],
  };
}

type Buckets = Map<string, CompiledRoute[]>;

function bucket(routes: readonly CompiledRoute[]): Buckets {
  const buckets: Buckets = new Map();
  for (const r of routes) {
    const key = firstSegment(r.prefix);
    const list = buckets.get(key) ?? [];
    list.push(r);
    buckets.set(key, list);
  }
  for (const list of buckets.values()) list.sort((a, b) => b.prefix.length - a.prefix.length);
  return buckets;
}

function longest(buckets: Buckets, path: string): CompiledRoute | undefined {
  const list = buckets.get(firstSegment(path));
  if (!list) return undefined;
  for (const r of list) {
    if (path === r.prefix || (path.startsWith(r.prefix) && path.charCodeAt(r.prefix.length) === 47)) return r;
  }
  return undefined;
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}
