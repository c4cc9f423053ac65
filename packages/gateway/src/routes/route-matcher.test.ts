import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type CompiledRoute, compileRoutes, type GatewayRoute } from './gateway-route.ts';
import { createRouteMatcher, fastifyPatterns } from './route-matcher.ts';

const table: GatewayRoute[] = [
  { path: '/api/*/products/**', service: 'inventory-service' },
  { path: '/api/*/products/reports', service: 'report-service' },
  { path: '/api/*/auth', service: 'auth-service' },
  { path: '/.well-known/jwks.json', service: 'auth-service' },
];

function compiled(routes: unknown): CompiledRoute[] {
  const result = compileRoutes(routes);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.routes;
}

describe('compileRoutes', () => {
  it('splits versioned and plain prefixes, and implies auth from roles', () => {
    const routes = compiled([
      { path: '/api/*/orders/**', service: 'order-service', roles: ['admin'] },
      { path: '/.well-known/jwks.json', service: 'auth-service' },
    ]);
    expect(routes[0]).toMatchObject({ versioned: true, prefix: '/orders', auth: 'required' });
    expect(routes[1]).toMatchObject({ versioned: false, prefix: '/.well-known/jwks.json' });
  });

  it('collects every problem with its place in the table', () => {
    const result = compileRoutes([
      { path: 'products', service: 'inventory-service' },
      { path: '/api/*/x', service: 'bad name!' },
      { path: '/api/v2/x', service: 'a' },
      { path: '/api/*/y/*/z', service: 'a' },
      { path: '/api/*/ok', service: 'a', auth: 'sometimes', retries: 99, rateLimit: { max: 0 } },
      { path: '/api/*/ok', service: 'a', tiemoutMs: 5 },
      { path: '/api/*/dup', service: 'a' },
      { path: '/api/dup', service: 'b' },
    ]);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      'routes[0].path must start with /',
      'routes[1].service must be a service name (letters, digits, . _ -)',
      'routes[2].path /api/v2/x: write /api/*/… (the version is resolved by the gateway), not a fixed version',
      expect.stringMatching(/^routes\[3\]\.path \/api\/\*\/y\/\*\/z: segment "\*" may not contain wildcards/),
      'routes[4].auth must be one of required, optional, none',
      'routes[4].rateLimit max must be a positive integer',
      'routes[4].retries must be an integer between 0 and 10',
      'routes[5].tiemoutMs is not a route option',
      'routes[7].path /api/dup has the same prefix as routes[6].path',
    ]);
    expect(compileRoutes({})).toEqual({ ok: false, problems: ['routes must be an array of route objects'] });
    expect(compileRoutes([])).toEqual({ ok: false, problems: ['routes must not be empty'] });
  });
});

describe('createRouteMatcher', () => {
  const matcher = createRouteMatcher(compiled(table));
  const cases: [string, string | undefined, number | undefined][] = [
    ['/api/v2/products', 'inventory-service', 2],
    ['/api/v2/products/7', 'inventory-service', 2],
    ['/api/products/7', 'inventory-service', undefined],
    ['/api/v1/products/reports', 'report-service', 1],
    ['/api/v1/products/reports/2026', 'report-service', 1],
    ['/api/v1/products/reportsx', 'inventory-service', 1],
    ['/api/v1/productsx', undefined, undefined],
    ['/api/v3/auth/login', 'auth-service', 3],
    ['/.well-known/jwks.json', 'auth-service', undefined],
    ['/.well-known/other', undefined, undefined],
    ['/api/versions', undefined, undefined],
    ['/health', undefined, undefined],
  ];
  it.each(cases)('%s → %s (v%s)', (path, service, version) => {
    const match = matcher.match(path);
    expect(match?.route.service).toBe(service);
    if (service) expect(match?.version).toBe(version);
  });

  it('gives the path relative to the version', () => {
    expect(matcher.match('/api/v2/products/7')?.rest).toBe('/products/7');
    expect(matcher.match('/api/products/7')?.rest).toBe('/products/7');
  });

  it('agrees with the Fastify rendering of the same table', async () => {
    const routes = compiled(table);
    const app = Fastify();
    for (const route of routes) {
      const patterns = fastifyPatterns(route);
      for (const url of [...patterns.versioned, ...patterns.unversioned]) {
        app.all(url, async (req) => ({ service: route.service, params: req.params }));
      }
    }
    for (const [path, service] of cases) {
      const res = await app.inject({ url: path });
      const expected = service === undefined ? 404 : 200;
      expect(res.statusCode, path).toBe(expected);
      if (expected === 200) expect(res.json().service, path).toBe(service);
    }
    await app.close();
  });
});
