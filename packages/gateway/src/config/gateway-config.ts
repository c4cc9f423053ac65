import { bool, int } from '@outrig/core';
import { routesFile, routesJson } from './routes-config.ts';

/**
 * Config keys of the gateway, next to the core ones and `discoveryConfig` (`REGISTRY_URL`).
 * Timeouts, retries, the circuit breaker and outlier ejection use the same keys as the
 * service client: `CLIENT_TIMEOUT_MS`, `CLIENT_RETRIES`, `CIRCUIT_BREAKER_*`, `CLIENT_OUTLIER_*`.
 * Edge auth uses `JWT_*`, rate limits `RATE_LIMIT_*` and `REDIS_URL`, unversioned requests
 * `API_UNVERSIONED` — all read by the service kit.
 */
export const gatewayConfig = {
  gatewayRoutes: routesJson({
    env: 'GATEWAY_ROUTES',
    doc: 'Route table as JSON (wins over GATEWAY_ROUTES_FILE and the routes given in code)',
    optional: true,
  }),
  gatewayRoutesFile: routesFile({
    env: 'GATEWAY_ROUTES_FILE',
    doc: 'JSON file with the route table (wins over the routes given in code)',
    optional: true,
  }),
  upstreamConnections: int({
    env: 'GATEWAY_UPSTREAM_CONNECTIONS',
    doc: 'Most keep-alive connections from the gateway to one upstream instance',
    default: 128,
    min: 1,
    max: 4096,
  }),
  upstreamPipelining: int({
    env: 'GATEWAY_UPSTREAM_PIPELINING',
    doc: 'HTTP/1.1 requests in flight per upstream connection (1 = no pipelining; only idempotent requests are pipelined)',
    default: 1,
    min: 1,
    max: 100,
  }),
  upstreamKeepAliveMs: int({
    env: 'GATEWAY_UPSTREAM_KEEPALIVE_MS',
    doc: 'How long an idle upstream connection is kept open (below the services’ keep-alive timeout)',
    default: 30_000,
    min: 1,
  }),
  accessLog: bool({
    env: 'GATEWAY_ACCESS_LOG',
    doc: 'One log line per proxied request (info level); errors are logged either way',
    default: true,
  }),
  openapiTtlMs: int({
    env: 'GATEWAY_OPENAPI_TTL_MS',
    doc: 'How long the services’ OpenAPI documents and /api/versions answers are cached',
    default: 30_000,
    min: 0,
  }),
} as const;
