import { int, str, url } from '@outrig/core';
import { databaseConfig } from '@outrig/db';
import { discoveryConfig } from '@outrig/discovery';
import { messagingConfig } from '@outrig/messaging';

/** What the auth service's config schema depends on (defaults in {@link AUTH_CONFIG_DEFAULTS}). */
export interface AuthConfigOptions {
  /** The port the service listens on: the default issuer is `http://127.0.0.1:<port>`. */
  port?: number;
  /** Default of `JWT_AUDIENCE`: `aud` of every token. */
  audience?: string;
  /** Names of the two variables that seed an admin at start. */
  adminEnv?: { email: string; password: string };
}

/** The defaults of {@link AuthConfigOptions}. */
export const AUTH_CONFIG_DEFAULTS = {
  port: 8001,
  audience: 'outrig',
  adminEnv: { email: 'AUTH_ADMIN_EMAIL', password: 'AUTH_ADMIN_PASSWORD' },
} as const satisfies Required<AuthConfigOptions>;

/**
 * The auth service's own config keys (on top of the kit's, the database's and messaging's).
 * Secrets (`AUTH_CLIENTS`, the admin password) are plain strings here and parsed by the
 * service, so that a bad value is reported without echoing the secret.
 *
 * @example
 * authConfig({ port: 8001, audience: 'outrig-shop', adminEnv: { email: 'SHOP_ADMIN_EMAIL', password: 'SHOP_ADMIN_PASSWORD' } })
 */
export function authConfig(options: AuthConfigOptions = {}) {
  const port = options.port ?? AUTH_CONFIG_DEFAULTS.port;
  const adminEnv = options.adminEnv ?? AUTH_CONFIG_DEFAULTS.adminEnv;
  return {
    jwtIssuer: url({
      env: 'JWT_ISSUER',
      doc: '`iss` of every token this service issues',
      default: `http://127.0.0.1:${port}`,
    }),
    jwtAudience: str({
      env: 'JWT_AUDIENCE',
      doc: '`aud` of every token this service issues',
      default: options.audience ?? AUTH_CONFIG_DEFAULTS.audience,
    }),
    accessTtlS: int({
      env: 'AUTH_ACCESS_TTL_S',
      doc: 'Lifetime of access tokens in seconds',
      default: 900,
      min: 1,
      max: 86_400,
    }),
    refreshTtlS: int({
      env: 'AUTH_REFRESH_TTL_S',
      doc: 'Lifetime of a refresh token in seconds (each refresh issues a new one)',
      default: 30 * 86_400,
      min: 1,
      max: 365 * 86_400,
    }),
    lockoutThreshold: int({
      env: 'AUTH_LOCKOUT_THRESHOLD',
      doc: 'Failed logins in a row (within AUTH_LOCKOUT_S of each other) that lock an account',
      default: 5,
      min: 1,
      max: 1000,
    }),
    lockoutS: int({
      env: 'AUTH_LOCKOUT_S',
      doc: 'How long a locked account stays locked, in seconds',
      default: 900,
      min: 1,
      max: 86_400,
    }),
    credentialRateLimit: int({
      env: 'AUTH_CREDENTIALS_RATE_LIMIT',
      doc: 'Requests per client IP and minute on login, register and the token endpoint (stricter than RATE_LIMIT_MAX)',
      default: 20,
      min: 1,
    }),
    keyCacheMs: int({
      env: 'AUTH_KEY_CACHE_MS',
      doc: 'How long the current signing key is cached; a rotated key is used at most this late',
      default: 10_000,
      min: 0,
      max: 3_600_000,
    }),
    clients: str({
      env: 'AUTH_CLIENTS',
      doc: 'Clients of the client-credentials grant: id:secret[:scope scope …], comma-separated',
      optional: true,
    }),
    adminEmail: str({
      env: adminEnv.email,
      doc: 'Seed an admin (tenant `default`) with this email at start, if absent',
      optional: true,
    }),
    adminPassword: str({
      env: adminEnv.password,
      doc: "The seeded admin's password (development only)",
      optional: true,
    }),
  } as const;
}

/**
 * The auth service's whole config schema on top of the kit's core keys: what `createService({ config })`
 * gets, and what `outrig doctor` validates without starting the service (a service's
 * `src/config.ts` exports it as `config`).
 *
 * @example
 * export const config = authServiceConfig({ audience: 'outrig-shop' });
 */
export function authServiceConfig(options: AuthConfigOptions = {}) {
  return { ...databaseConfig, ...messagingConfig, ...discoveryConfig, ...authConfig(options) };
}
