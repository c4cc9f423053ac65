import { clientConfigSchema } from '../client/client-config.ts';
import { duration } from '../rate-limit/duration.ts';
import { tlsConfigSchema } from '../tls/tls-config.ts';
import { bool, int, list, oneOf, port, str, url } from './config-key.ts';

/** Log levels accepted by LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The variables every service reads (DESIGN §7). Names from the old guides keep working.
 * Packages that add capabilities (database, bus, registry, auth) extend this schema.
 */
export const coreConfigSchema = {
  serviceName: str({ env: 'SERVICE_NAME', doc: 'Service name: logs, metrics, registry, event source' }),
  host: str({ env: 'SERVICE_HOST', doc: 'Interface to listen on', default: '127.0.0.1' }),
  port: port({ env: 'SERVICE_PORT', doc: 'HTTP port (0 = any free port)', default: 8000 }),
  logLevel: oneOf(LOG_LEVELS, { env: 'LOG_LEVEL', doc: 'Log level', default: 'info' }),
  apiVersion: int({
    env: 'API_VERSION',
    doc: 'Pin the version unversioned /api/… requests resolve to (default: the latest)',
    optional: true,
    min: 1,
    max: 1000,
  }),
  latestApiVersion: int({
    env: 'LATEST_API_VERSION',
    doc: 'Highest version treated as latest; newer ones are previews, reachable only explicitly',
    optional: true,
    min: 1,
    max: 1000,
  }),
  unversioned: oneOf(['redirect', 'serve'] as const, {
    env: 'API_UNVERSIONED',
    doc: 'Unversioned /api/… requests: 307 to the versioned path, or serve in place',
    default: 'redirect',
  }),
  shutdownTimeoutMs: int({
    env: 'SHUTDOWN_TIMEOUT_MS',
    doc: 'How long in-flight requests may run after SIGTERM',
    default: 10_000,
    min: 0,
  }),
  bodyLimitBytes: int({
    env: 'BODY_LIMIT_BYTES',
    doc: 'Largest accepted request body',
    default: 1_048_576,
    min: 1,
  }),
  trustProxy: list({
    env: 'TRUST_PROXY',
    doc: 'Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed: the client IP for logs and per-IP rate limits',
    default: [],
  }),
  corsOrigins: list({
    env: 'CORS_ORIGINS',
    doc: 'Allowed CORS origins, comma-separated, or * (empty: CORS off)',
    default: [],
  }),
  metricsEnabled: bool({ env: 'METRICS_ENABLED', doc: 'Serve /metrics', default: true }),
  docsEnabled: bool({ env: 'API_DOCS_ENABLED', doc: 'Serve /openapi.json and /docs', default: true }),
  jwtJwksUrl: url({
    env: 'JWT_JWKS_URL',
    doc: "The token issuer's JWKS URL; unset: no token verification (routes declaring auth fail at start)",
    optional: true,
    schemes: ['http', 'https'],
  }),
  jwtIssuer: str({
    env: 'JWT_ISSUER',
    doc: 'Expected iss of access tokens (required with JWT_JWKS_URL)',
    optional: true,
  }),
  jwtAudience: str({
    env: 'JWT_AUDIENCE',
    doc: 'Expected aud of access tokens (required with JWT_JWKS_URL)',
    optional: true,
  }),
  jwtClockToleranceS: int({
    env: 'JWT_CLOCK_TOLERANCE_S',
    doc: 'Clock skew allowed when checking exp, nbf and iat, in seconds',
    default: 5,
    min: 0,
    max: 300,
  }),
  rateLimitEnabled: bool({
    env: 'RATE_LIMIT_ENABLED',
    doc: 'Default per-caller limit on every API route (limits declared per route apply either way)',
    default: true,
  }),
  rateLimitMax: int({ env: 'RATE_LIMIT_MAX', doc: 'Requests per caller and window', default: 1000, min: 1 }),
  rateLimitWindowMs: duration({
    env: 'RATE_LIMIT_WINDOW',
    doc: 'Rate-limit window: milliseconds or a duration (30s, 1 minute)',
    default: 60_000,
  }),
  rateLimitExemptRoles: list({
    env: 'RATE_LIMIT_EXEMPT_ROLES',
    doc: 'Callers with one of these token roles are never limited',
    default: ['service'],
  }),
  redisUrl: url({
    env: 'REDIS_URL',
    doc: 'Redis for rate-limit counters shared by every instance (unset: per-instance memory)',
    optional: true,
    schemes: ['redis', 'rediss'],
  }),
  tracingEnabled: bool({
    env: 'TRACING_ENABLED',
    doc: 'OpenTelemetry tracing, when started with --import @outrig/core/telemetry (OTEL_* configure it)',
    default: true,
  }),
  ...tlsConfigSchema,
  ...clientConfigSchema,
} as const;
