import { sql } from 'drizzle-orm';
import { customType, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * Tenants that exist. Registering with a new `tenant` claims it; joining an existing one needs an
 * admin's token (see the README, "Tenants").
 */
export const tenantTable = pgTable('tenants', {
  id: text('id').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Accounts. `email` is stored lower-cased; `password_hash` is a PHC string (`$scrypt$ln=…`). */
export const userTable = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  tenant: text('tenant')
    .notNull()
    .references(() => tenantTable.id),
  roles: text('roles').array().notNull(),
  /** Failed logins in the current window (reset by a success or when the window has passed). */
  failedLogins: integer('failed_logins').notNull().default(0),
  lastFailedAt: timestamp('last_failed_at', { withTimezone: true }),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Refresh tokens, stored as sha256 of the opaque token. One login starts a family; each refresh
 * marks its token `rotated_at` and adds a child. Presenting a rotated token again revokes the family.
 */
export const refreshTokenTable = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey(),
    tokenHash: bytea('token_hash').notNull().unique(),
    familyId: uuid('family_id').notNull(),
    parentId: uuid('parent_id'),
    userId: uuid('user_id')
      .notNull()
      .references(() => userTable.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId)],
);

/**
 * ES256 signing keys. A rotation adds a key that is published at once but signs only from
 * `activates_at` (verifiers learn it first); the current key is the newest activated one not
 * retired. Retired keys stay in the JWKS until `expires_at` (retirement + access-token TTL +
 * margin), then are deleted. Private keys sit in this database: development grade (production:
 * a KMS, see the README).
 */
export const signingKeyTable = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    publicJwk: jsonb('public_jwk').notNull(),
    privateJwk: jsonb('private_jwk').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
    activatesAt: timestamp('activates_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [index('signing_keys_activates_idx').on(t.activatesAt)],
);
