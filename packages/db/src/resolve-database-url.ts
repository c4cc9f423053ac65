import path from 'node:path';
import { serviceDatabaseName } from './ensure-database.ts';
import { ensureEmbeddedPostgres } from './ensure-embedded-postgres.ts';
import { DbErrors } from './errors.ts';
import { assertPostgresUrl } from './internal/postgres-url.ts';

export interface ResolveDatabaseUrlOptions {
  /** The configured URL (`DATABASE_URL`); when set (non-empty) it is used as is. */
  databaseUrl?: string;
  /** The service name; its database on the embedded server is named after it. */
  serviceName: string;
  /** Absolute path of the system's root folder: the embedded data lives in `<rootDir>/.outrig/postgres`. */
  rootDir: string;
  /** Port of the embedded server when this call starts it. Default 5488. */
  port?: number;
}

export interface ResolvedDatabase {
  readonly url: string;
  /** True when the URL points at the embedded server. */
  readonly embedded: boolean;
  /** Stops what this call started (nothing for a configured URL or a server another process runs). */
  stop(): Promise<void>;
}

/**
 * The database URL of a service: `databaseUrl` when configured, otherwise a database named
 * after the service (`order-service` → `order_service`) on the embedded PostgreSQL server of
 * the system (one server, one database per service), started if needed.
 *
 * @example
 * const db = await resolveDatabaseUrl({
 *   databaseUrl: config.DATABASE_URL,
 *   serviceName: 'order-service',
 *   rootDir: process.cwd(),
 * });
 * const sql = createPgClient({ url: db.url });
 * // on shutdown: await sql.close(); await db.stop();
 */
export async function resolveDatabaseUrl(options: ResolveDatabaseUrlOptions): Promise<ResolvedDatabase> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    assertPostgresUrl(options.databaseUrl);
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  const database = serviceDatabaseName(options.serviceName);
  if (typeof options.rootDir !== 'string' || !path.isAbsolute(options.rootDir)) {
    throw DbErrors.DB_OPTIONS_INVALID({
      params: { reason: `rootDir must be an absolute path, got ${JSON.stringify(options.rootDir)}` },
    });
  }
  const server = await ensureEmbeddedPostgres({
    dataDir: path.join(options.rootDir, '.outrig', 'postgres'),
    database,
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  return { url: server.url, embedded: true, stop: () => server.stop() };
}
