import path from 'node:path';
import { str, url } from '@outrig/core';
import pg from 'pg';
import { assertDatabaseReachable } from './assert-database-reachable.ts';
import { mapPgError } from './map-pg-error.ts';
import { migrate } from './migrate.ts';
import type { MigrationSet } from './migration.ts';
import { createPgClient, type PgPoolLike } from './pg-client.ts';
import { resolveDatabaseUrl } from './resolve-database-url.ts';
import type { ServiceHost } from './service-host.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * Config keys for a service's database; spread them into `createService({ config })`.
 * `DATABASE_URL` absent = the system's embedded PostgreSQL under `<OUTRIG_HOME>/.outrig/`.
 */
export const databaseConfig = {
  databaseUrl: url({
    env: 'DATABASE_URL',
    doc: "The service's PostgreSQL database (absent: embedded server, one database per service)",
    optional: true,
    schemes: ['postgres', 'postgresql'],
  }),
  outrigHome: str({
    env: 'OUTRIG_HOME',
    doc: 'Root folder of the system; the embedded server keeps its data in <OUTRIG_HOME>/.outrig',
    default: '.',
  }),
} as const;

export interface ConnectDatabaseOptions {
  /** `DATABASE_URL`; absent = the embedded server. */
  url?: string;
  /** Root folder for the embedded server's data (`<home>/.outrig/postgres`). Default cwd. */
  home?: string;
  /** Migration sets to apply at start, in order (framework sets first, then the service's). */
  migrations?: readonly MigrationSet[];
  /** Pool size. Default 10. */
  max?: number;
}

export interface ConnectedDatabase {
  readonly sql: SqlClient;
  /** The `pg` Pool behind `sql`, for an ORM (`drizzle({ client: pool })`); closed at shutdown. */
  readonly pool: pg.Pool;
  readonly url: string;
  readonly embedded: boolean;
}

/**
 * Connects a service to its database: resolves the URL (starting the embedded server when none
 * is configured), applies migrations (refusing a database whose history differs), adds a
 * `database` readiness check, maps PostgreSQL errors that reach the error handler to coded
 * errors ({@link mapPgError}: 4xx for what the input caused, 503 for an unavailable database)
 * and closes the pool (and the server it started) at shutdown.
 *
 * @example
 * const db = await connectDatabase(service, {
 *   url: service.config.databaseUrl,
 *   home: service.config.outrigHome,
 *   migrations: [outboxMigrations, inboxMigrations, await loadDrizzleMigrations(dir, 'service/inventory')],
 * });
 */
export async function connectDatabase(
  host: ServiceHost,
  options: ConnectDatabaseOptions = {},
): Promise<ConnectedDatabase> {
  const resolved = await resolveDatabaseUrl({
    databaseUrl: options.url,
    serviceName: host.name,
    rootDir: path.resolve(options.home ?? '.'),
  });
  const pool = new pg.Pool({
    connectionString: resolved.url,
    max: options.max ?? 10,
    application_name: host.name,
    // A transaction's first statement travels with its BEGIN (one round trip less); cursors and
    // query streams need a pool of their own.
    pipeline: true,
  });
  // An idle connection's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', (err) => host.log.warn({ err }, 'idle database connection lost'));
  // Nor may a connection's error while an ORM holds it between statements (pg-pool removes its own
  // listener while a client is checked out): without a listener of its own, a terminated backend
  // is an uncaught 'error' event that kills the service. The statement then in use fails instead
  // (503 DB_UNAVAILABLE), and pg-pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => host.log.warn({ err }, 'database connection lost while in use'));
  });
  const sql = createPgClient({ pool: pool as unknown as PgPoolLike });
  const release = async () => {
    await pool.end();
    await resolved.stop();
  };
  try {
    // A wrong or unreachable DATABASE_URL stops the start here, with a coded error naming it.
    await assertDatabaseReachable(sql, {
      url: resolved.url,
      source: resolved.embedded ? 'the embedded server' : 'DATABASE_URL',
    });
    const result = await migrate(sql, options.migrations ?? []);
    if (result.applied.length > 0) {
      host.log.info({ applied: result.applied.map((m) => `${m.set}/${m.id}`) }, 'migrations applied');
    }
  } catch (err) {
    await release();
    throw err;
  }
  // Errors a request causes by its input (constraint, data) answer 4xx, an unavailable database 503.
  host.mapErrors?.(mapPgError);
  host.readiness('database', async () => {
    await sql.query('select 1');
  });
  host.onClose('database', release);
  return { sql, pool, url: resolved.url, embedded: resolved.embedded };
}
