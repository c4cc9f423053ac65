import {
  type ConfigValues,
  type CoreConfig,
  CoreErrors,
  type CreateServiceOptions,
  createService,
  type Service,
} from '@outrig/core';
import { connectDiscovery, discoveryConfig, type Registry } from '@outrig/discovery';
import type { FastifyInstance } from 'fastify';
import { gatewayConfig } from './config/gateway-config.ts';
import { ServiceDocuments } from './documents/service-documents.ts';
import { GatewayErrors } from './errors.ts';
import { gatewayMetrics } from './metrics/gateway-metrics.ts';
import { gatewayOpenApi } from './openapi/gateway-openapi.ts';
import { mergeAsyncApiDocuments } from './openapi/merge-asyncapi.ts';
import type { OpenApiDocument } from './openapi/merge-openapi.ts';
import { registerProxyRoutes } from './proxy/register-proxy-routes.ts';
import { type CompiledRoute, compileRoutes, type GatewayRoute } from './routes/gateway-route.ts';
import { createRouteMatcher, type RouteMatcher } from './routes/route-matcher.ts';
import { Upstream } from './upstream/upstream.ts';
import { MergedVersionsSchema, mergedVersions } from './versioning/merged-versions.ts';

/** Everything the gateway reads from the environment. */
export type GatewayConfig = CoreConfig & ConfigValues<typeof discoveryConfig & typeof gatewayConfig>;

export interface CreateGatewayOptions
  extends Pick<CreateServiceOptions, 'env' | 'logStream' | 'description' | 'auth'> {
  /** Service name (`SERVICE_NAME` overrides it). Default `gateway`. */
  name?: string;
  /** Port when `SERVICE_PORT` is unset. Default 10000. */
  port?: number;
  /** The route table, unless `GATEWAY_ROUTES` or `GATEWAY_ROUTES_FILE` is set. */
  routes?: readonly GatewayRoute[];
  /** A registry to find services in instead of `REGISTRY_URL` (tests: `createLocalRegistry`). */
  registry?: Registry;
}

/** A running (or ready-to-start) gateway: a service with a route table and upstreams. */
export interface Gateway extends Service<GatewayConfig> {
  readonly routes: readonly CompiledRoute[];
  readonly matcher: RouteMatcher;
  readonly registry: Registry;
  /** The upstream (instances, breaker) of a service the route table names. */
  upstream(service: string): Upstream | undefined;
}

/**
 * Builds the API gateway: a service (so it has /health, /ready with the registry, /metrics,
 * request ids, logs and the error envelope) that routes by path prefix to instances found in the
 * registry, keeps the versioning contract (`latest` from registry metadata), verifies JWTs and
 * applies rate limits per route, retries only repeatable requests, and guards each upstream with
 * a circuit breaker and outlier ejection. `/openapi.json` merges the services' documents, `/docs`
 * renders it, `/api/versions` lists every service's versions.
 *
 * Throws `CONFIG_INVALID` for a bad environment (including `GATEWAY_ROUTES`), and
 * `GATEWAY_OPTIONS_INVALID` for bad `routes` given in code.
 *
 * @example
 * const gateway = await createGateway({
 *   routes: [
 *     { path: '/api/*\/products', service: 'inventory-service' },
 *     { path: '/api/*\/orders', service: 'order-service', auth: 'required' },
 *   ],
 * });
 * await gateway.start(); // http://127.0.0.1:10000
 */
export async function createGateway(options: CreateGatewayOptions = {}): Promise<Gateway> {
  let openapi: (() => Promise<OpenApiDocument>) | undefined;
  const service = createService({
    name: options.name ?? 'gateway',
    port: options.port ?? 10_000,
    description: options.description ?? 'API gateway: every service of the system behind one address',
    config: { ...discoveryConfig, ...gatewayConfig },
    env: options.env,
    logStream: options.logStream,
    auth: options.auth,
    versioning: false,
    openapiDocument: () => (openapi ? openapi() : Promise.resolve({})),
  }) as Service<GatewayConfig>;
  const { config } = service;
  const routes = routeTable(config, options.routes);
  const matcher = createRouteMatcher(routes);

  const discovery = await connectDiscovery(service, {
    url: options.registry ?? config.registryUrl,
    autoRegister: config.autoRegisterService,
    ttlSeconds: config.registryTtlS,
    advertiseHost: config.advertiseHost,
    advertiseUrl: config.advertiseUrl,
    home: config.outrigHome,
  });
  const { events, observer } = gatewayMetrics(service.metrics);
  const upstreams = new Map<string, Upstream>();
  for (const name of new Set(routes.map((r) => r.service))) {
    const upstream = new Upstream(name, {
      pool: {
        connections: config.upstreamConnections,
        pipelining: config.upstreamPipelining,
        keepAliveMs: config.upstreamKeepAliveMs,
      },
      outlier: { failures: config.clientOutlierFailures, cooldownMs: config.clientOutlierCooldownMs },
      breaker: {
        threshold: config.circuitBreakerEnabled
          ? config.circuitBreakerFailureThreshold
          : Number.POSITIVE_INFINITY,
        recoveryMs: config.circuitBreakerRecoveryTimeoutMs,
      },
      events,
    });
    events.circuit?.(name, 'closed');
    upstream.watch(discovery.registry);
    upstreams.set(name, upstream);
  }
  service.onClose('upstream connections', async () => {
    await Promise.all([...upstreams.values()].map((u) => u.close()));
  });

  const root = service.app as unknown as FastifyInstance;
  registerProxyRoutes(root, {
    routes,
    upstreams,
    timeoutMs: config.clientTimeoutMs,
    retries: config.clientRetries,
    unversioned: config.unversioned,
    accessLog: config.accessLog,
    observer,
  });

  const versioned = [...upstreams.values()].filter((u) =>
    routes.some((r) => r.versioned && r.service === u.name),
  );
  const versionDocs = new ServiceDocuments('/api/versions', { ttlMs: config.openapiTtlMs });
  // In a plugin, like the kit's own routes, so that the OpenAPI generator sees it.
  root.register(async (scope) => {
    scope.get(
      '/api/versions',
      {
        schema: {
          tags: ['versions'],
          summary: 'API versions of every service behind the gateway',
          response: { 200: MergedVersionsSchema },
        },
      },
      async () => mergedVersions(versioned, versionDocs),
    );
  });
  openapi = gatewayOpenApi({
    title: service.name,
    own: () => root.swagger() as unknown as OpenApiDocument,
    upstreams: [...upstreams.values()],
    matcher,
    documents: new ServiceDocuments('/openapi.json', { ttlMs: config.openapiTtlMs }),
  });
  // `/asyncapi.json`: every service's events in one document (services without messaging
  // contribute none).
  const eventDocs = new ServiceDocuments('/asyncapi.json', { ttlMs: config.openapiTtlMs });
  service.describeEvents(async () => {
    const all = [...upstreams.values()];
    const fetched = await Promise.all(all.map((u) => eventDocs.get(u)));
    const documents: { service: string; document: unknown }[] = [];
    const unavailable: { service: string; reason: string }[] = [];
    all.forEach((upstream, i) => {
      const result = fetched[i]!;
      if (result.ok) documents.push({ service: upstream.name, document: result.value });
      else unavailable.push({ service: upstream.name, reason: result.reason });
    });
    return mergeAsyncApiDocuments(service.name, documents, unavailable);
  });

  return Object.assign(service, {
    routes,
    matcher,
    registry: discovery.registry,
    upstream: (name: string) => upstreams.get(name),
  });
}

/** GATEWAY_ROUTES, else GATEWAY_ROUTES_FILE, else the routes given in code. */
function routeTable(config: GatewayConfig, given: readonly GatewayRoute[] | undefined): CompiledRoute[] {
  if (config.gatewayRoutes && config.gatewayRoutesFile) {
    const problem = {
      variable: 'GATEWAY_ROUTES_FILE',
      expected: 'unset when GATEWAY_ROUTES is set (one route table)',
      got: 'set',
    };
    throw CoreErrors.CONFIG_INVALID({
      params: { summary: 'GATEWAY_ROUTES and GATEWAY_ROUTES_FILE are both set' },
      details: { problems: [problem] },
    });
  }
  const fromEnv = config.gatewayRoutes ?? config.gatewayRoutesFile;
  if (fromEnv) return fromEnv;
  if (given === undefined) {
    const problem = {
      variable: 'GATEWAY_ROUTES',
      expected: 'a JSON array of routes, or GATEWAY_ROUTES_FILE naming a file with one',
    };
    throw CoreErrors.CONFIG_INVALID({
      params: { summary: 'the gateway has no route table (GATEWAY_ROUTES or GATEWAY_ROUTES_FILE)' },
      details: { problems: [problem] },
    });
  }
  const compiled = compileRoutes(given);
  if (!compiled.ok) {
    throw GatewayErrors.GATEWAY_OPTIONS_INVALID({
      params: { reason: compiled.problems.join('; ') },
      details: { problems: compiled.problems },
    });
  }
  return compiled.routes;
}
