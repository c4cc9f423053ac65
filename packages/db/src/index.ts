export { assertDatabaseReachable } from './assert-database-reachable.ts';
export {
  type ConnectDatabaseOptions,
  type ConnectedDatabase,
  connectDatabase,
  databaseConfig,
} from './connect-database.ts';
export { ensureDatabase, serviceDatabaseName } from './ensure-database.ts';
export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  embeddedPostgresDefaults,
  ensureEmbeddedPostgres,
  startEmbeddedPostgres,
} from './ensure-embedded-postgres.ts';
export { DbErrors } from './errors.ts';
export { joinDrizzleTransaction } from './join-drizzle-transaction.ts';
export { loadDrizzleMigrations } from './load-drizzle-migrations.ts';
export { loadSqlMigrations } from './load-sql-migrations.ts';
export { mapPgError } from './map-pg-error.ts';
export { type MigrateOptions, type MigrateResult, migrate, migrationStatus } from './migrate.ts';
export type { Migration, MigrationSet, MigrationState, MigrationStatus } from './migration.ts';
export {
  createPgClient,
  joinPgTransaction,
  type PgClientOptions,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgRawResult,
  type RawQueryable,
} from './pg-client.ts';
export { redactUrl } from './redact-url.ts';
export {
  type ResolveDatabaseUrlOptions,
  type ResolvedDatabase,
  resolveDatabaseUrl,
} from './resolve-database-url.ts';
export type { ServiceHost } from './service-host.ts';
export type {
  QueryOptions,
  SqlClient,
  SqlQueryable,
  SqlResult,
  SqlTransaction,
  TransactionOptions,
} from './sql-client.ts';
export { stopEmbeddedPostgres } from './stop-embedded-postgres.ts';
