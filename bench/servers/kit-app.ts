import { type CreateServiceOptions, createService, type Service, Type } from '@outrig/core';

/** Kit features a benchmark can switch off for the hello route alone. */
export type RouteFeature = 'envelope' | 'metrics' | 'log';

const Hello = Type.Object({ hello: Type.String() });

/**
 * The bench service: `GET /api/v1/hello` → `{ hello: 'world' }` with a response schema, through
 * createService with every default on. `off` switches features off for this route only, through
 * the route options the kit honours. (Security headers are computed once at start: nothing to switch off per route.)
 *
 * @example
 * const service = buildKitService({ env: process.env });
 * await service.start();
 */
export function buildKitService(
  options: Pick<CreateServiceOptions, 'env' | 'logStream'> & { off?: ReadonlySet<RouteFeature> } = {},
): Service {
  const off = options.off ?? new Set();
  const service = createService({
    name: 'bench-kit',
    port: 3000,
    // The rate limiter stays on (its cost is part of the kit) with a limit no bench reaches.
    env: { RATE_LIMIT_MAX: '1000000000', ...(options.env ?? process.env) },
    logStream: options.logStream,
  });
  service.version(1, (api) => {
    api.get(
      '/hello',
      {
        schema: { response: { 200: Hello } },
        config: {
          ...(off.has('envelope') ? { envelope: false } : {}),
          ...(off.has('metrics') ? { metrics: false } : {}),
          ...(off.has('log') ? { log: false } : {}),
        },
      },
      async () => ({ hello: 'world' }),
    );
  });
  return service;
}

/** Parses `BENCH_ROUTE_OFF`-style lists: `envelope,log`. */
export function routeFeatures(list: string | undefined): Set<RouteFeature> {
  const known: readonly string[] = ['envelope', 'metrics', 'log'];
  const names = (list ?? '').split(',').filter(Boolean);
  for (const n of names)
    if (!known.includes(n)) throw new Error(`unknown route feature ${n} (known: ${known})`);
  return new Set(names as RouteFeature[]);
}
