import { randomUUID } from 'node:crypto';
import {
  type ConfigValues,
  type CoreConfig,
  type CreateServiceOptions,
  createService,
  type Service,
} from '@outrig/core';
import { connectDatabase } from '@outrig/db';
import { connectDiscovery, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, messagingOptions } from '@outrig/messaging';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Accounts } from './accounts.ts';
import { ClientRegistry } from './clients/client-registry.ts';
import { AUTH_CONFIG_DEFAULTS, type AuthConfigOptions, authServiceConfig } from './config.ts';
import { AuthErrors } from './errors.ts';
import { ensureSigningKey, KEY_RETENTION_MARGIN_S } from './keys/rotate-signing-keys.ts';
import { SIGNING_ALG } from './keys/signing-key.ts';
import { SigningKeyStore, type SigningKeys } from './keys/signing-key-store.ts';
import type { AuthStorage } from './memory-storage.ts';
import { authMigrations } from './migrations.ts';
import { PasswordHasher, type ScryptParams } from './passwords/password-hasher.ts';
import { createPostgresRefreshTokenRepository } from './repositories/postgres-refresh-token-repository.ts';
import { createPostgresUserRepository } from './repositories/postgres-user-repository.ts';
import type { RefreshTokenRepository } from './repositories/refresh-token-repository.ts';
import { registerJwksRoute } from './routes/jwks.ts';
import { authRoutesV1 } from './routes/v1.ts';
import { ServiceTokens } from './service-tokens.ts';
import { Sessions } from './sessions.ts';
import { AccessTokenIssuer } from './tokens/access-token-issuer.ts';

/** The config values of an auth service (the kit's core keys and {@link authServiceConfig}). */
export type AuthServiceConfig = CoreConfig & ConfigValues<ReturnType<typeof authServiceConfig>>;

/** `createAuthService()` options; every one has a default. */
export interface AuthServiceOptions
  extends Pick<CreateServiceOptions, 'env' | 'logStream'>,
    AuthConfigOptions {
  /** The service's name (registry, logs, `SERVICE_NAME`). Default `auth-service`. */
  name?: string;
  /** Shown in its OpenAPI document. */
  description?: string;
  /** scrypt parameters for new hashes. Default N = 2^15, r = 8, p = 1. */
  scrypt?: ScryptParams;
  /**
   * Keep accounts, refresh tokens and keys here instead of the database (`createMemoryAuthStorage()`
   * in tests): no database, no event bus, no `user.registered` event.
   */
  storage?: AuthStorage;
}

/**
 * An auth service: accounts (scrypt), login with ES256 access tokens and rotating refresh tokens,
 * the client-credentials grant for services, and the JWKS every verifier reads. Its own
 * database holds accounts, refresh-token hashes and the signing keys; `user.registered` goes
 * through the outbox. Registers in the service registry (`REGISTRY_URL`) once listening.
 *
 * @example
 * const service = await createAuthService({ env: { DATABASE_URL: url, BUS_URL: 'memory:' } });
 * await service.start();
 */
export async function createAuthService(
  options: AuthServiceOptions = {},
): Promise<Service<AuthServiceConfig>> {
  const adminEnv = options.adminEnv ?? AUTH_CONFIG_DEFAULTS.adminEnv;
  let keys: SigningKeys | undefined;
  const service = createService({
    name: options.name ?? 'auth-service',
    port: options.port ?? AUTH_CONFIG_DEFAULTS.port,
    description: options.description ?? 'Accounts, login, JWT issuance (ES256) and JWKS',
    config: authServiceConfig(options),
    env: options.env,
    logStream: options.logStream,
    // Routes declaring `auth` verify against this service's own keys (JWT_ISSUER/JWT_AUDIENCE are
    // its own, with defaults): no JWKS round trip to itself.
    auth: {
      algorithms: [SIGNING_ALG],
      keys: (header, token) => {
        if (!keys) throw AuthErrors.SIGNING_KEY_UNAVAILABLE();
        return keys.verificationKey(header, token);
      },
    },
  });
  const { config, log } = service;
  const clients = ClientRegistry.parse(config.clients);

  const storage = options.storage ?? (await connectStorage(service));
  keys = storage.keys;
  const issuer = new AccessTokenIssuer(keys, {
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlS: config.accessTtlS,
  });

  const hasher = new PasswordHasher(options.scrypt);
  const { users, refreshTokens } = storage;
  const accounts = new Accounts(users, hasher);
  purgeRefreshTokens(service, refreshTokens);
  const sessions = new Sessions({
    users,
    refreshTokens,
    hasher,
    issuer,
    refreshTtlS: config.refreshTtlS,
    lockout: { threshold: config.lockoutThreshold, windowS: config.lockoutS },
    dummyHash: await hasher.hash(randomUUID()),
    audit: {
      loginFailed: ({ userId, locked }) =>
        log.info({ userId, locked }, locked ? 'login failed: account locked' : 'login failed'),
      refreshReused: (info) => log.warn(info, 'refresh token reused: its family was revoked'),
    },
  });

  await seedAdmin(service, accounts, adminEnv);
  if (clients.size > 0) log.info({ clients: clients.size }, 'client-credentials clients configured');

  service.version(
    1,
    authRoutesV1({
      accounts,
      sessions,
      serviceTokens: new ServiceTokens(clients, issuer),
      credentialRateLimit: config.credentialRateLimit,
    }),
  );
  registerJwksRoute(service.app, keys);
  await connectDiscovery(service, discoveryOptions(config));
  return service;
}

/** The database (DATABASE_URL, or the embedded server), its migrations, the first key, and the bus. */
async function connectStorage(service: Service<AuthServiceConfig>): Promise<AuthStorage> {
  const { config, log } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await authMigrations(),
  });
  const bus = await connectMessaging(service, { ...messagingOptions(config, db), metrics: service.metrics });
  const orm = drizzle({ client: db.pool });
  const first = await ensureSigningKey(db.sql);
  if (first.created) log.info({ kid: first.kid }, 'created the first signing key');
  return {
    users: createPostgresUserRepository(orm, bus.outbox),
    refreshTokens: createPostgresRefreshTokenRepository(orm),
    keys: new SigningKeyStore(db.sql, {
      cacheMs: config.keyCacheMs,
      keepS: config.accessTtlS + KEY_RETENTION_MARGIN_S,
    }),
  };
}

/** Hourly: deletes refresh tokens expired for a day (a spent token that old is refused either way). */
function purgeRefreshTokens(service: Service<AuthServiceConfig>, tokens: RefreshTokenRepository): void {
  const timer = setInterval(() => {
    tokens.purgeExpired(86_400).then(
      (n) => n > 0 && service.log.info({ deleted: n }, 'expired refresh tokens deleted'),
      (err) => service.log.warn({ err }, 'could not delete expired refresh tokens'),
    );
  }, 3_600_000);
  timer.unref();
  service.onClose('refresh-token purge', () => clearInterval(timer));
}

/** The admin variables (`AUTH_ADMIN_EMAIL` + `AUTH_ADMIN_PASSWORD` by default): an admin in tenant `default`, created once. */
async function seedAdmin(
  service: Service<AuthServiceConfig>,
  accounts: Accounts,
  env: { email: string; password: string },
): Promise<void> {
  const { adminEmail, adminPassword } = service.config;
  if (!adminEmail && !adminPassword) return;
  if (!adminEmail || !adminPassword) {
    service.log.warn(`${env.email} and ${env.password} must both be set to seed an admin: none seeded`);
    return;
  }
  const created = await accounts.seedAdmin(adminEmail, adminPassword, env.password);
  service.log.warn(
    { email: adminEmail.trim().toLowerCase(), created },
    `admin account from ${env.email}/${env.password} (development only: do not set these in production)`,
  );
}
