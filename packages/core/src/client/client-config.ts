import { bool, int, str, url } from '../config/config-key.ts';

/**
 * Config keys of the service client (`service.client(name)`), part of every service's config.
 * `CIRCUIT_BREAKER_*` are the names of the old guides; durations are plain milliseconds.
 */
export const clientConfigSchema = {
  circuitBreakerEnabled: bool({
    env: 'CIRCUIT_BREAKER_ENABLED',
    doc: 'Circuit breaker per called service (service client)',
    default: true,
  }),
  circuitBreakerFailureThreshold: int({
    env: 'CIRCUIT_BREAKER_FAILURE_THRESHOLD',
    doc: 'Consecutive failed attempts (connection error, timeout, 5xx) that open a breaker',
    default: 5,
    min: 1,
  }),
  circuitBreakerRecoveryTimeoutMs: int({
    env: 'CIRCUIT_BREAKER_RECOVERY_TIMEOUT',
    doc: 'Milliseconds an open breaker fails fast before it lets one trial call through (half-open)',
    default: 10_000,
    min: 1,
  }),
  clientTimeoutMs: int({
    env: 'CLIENT_TIMEOUT_MS',
    doc: 'Timeout of each attempt of a service-client call (response headers and body)',
    default: 5_000,
    min: 1,
  }),
  clientRetries: int({
    env: 'CLIENT_RETRIES',
    doc: 'Retries of a failed call that is safe to retry (idempotent method or idempotency key)',
    default: 2,
    min: 0,
    max: 10,
  }),
  clientRetryDelayMs: int({
    env: 'CLIENT_RETRY_DELAY_MS',
    doc: 'First retry delay; later ones grow exponentially with jitter',
    default: 100,
    min: 0,
  }),
  clientRetryMaxDelayMs: int({
    env: 'CLIENT_RETRY_MAX_DELAY_MS',
    doc: 'Largest delay between two retries',
    default: 2_000,
    min: 0,
  }),
  clientOutlierFailures: int({
    env: 'CLIENT_OUTLIER_FAILURES',
    doc: 'Consecutive failures after which an instance is skipped for CLIENT_OUTLIER_COOLDOWN_MS',
    default: 3,
    min: 1,
  }),
  clientOutlierCooldownMs: int({
    env: 'CLIENT_OUTLIER_COOLDOWN_MS',
    doc: 'How long a failing instance is skipped before it gets traffic again',
    default: 10_000,
    min: 0,
  }),
  clientDiscoveryTtlMs: int({
    env: 'CLIENT_DISCOVERY_TTL_MS',
    doc: 'How long a list of instances is cached when the source cannot be watched',
    default: 5_000,
    min: 0,
  }),
  authTokenUrl: url({
    env: 'AUTH_TOKEN_URL',
    doc: "The issuer's client-credentials endpoint: service tokens for calls this service makes in its own name",
    optional: true,
    schemes: ['http', 'https'],
  }),
  authClientId: str({
    env: 'AUTH_CLIENT_ID',
    doc: 'Client id for the client-credentials grant (with AUTH_TOKEN_URL and AUTH_CLIENT_SECRET)',
    optional: true,
  }),
  authClientSecret: str({
    env: 'AUTH_CLIENT_SECRET',
    doc: 'Client secret for the client-credentials grant (never logged)',
    optional: true,
  }),
} as const;
