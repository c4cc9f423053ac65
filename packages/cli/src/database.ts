import path from 'node:path';
import {
  assertDatabaseReachable,
  createPgClient,
  DbErrors,
  redactUrl,
  resolveDatabaseUrl,
  type SqlClient,
} from '@outrig/db';
import type { CliIo } from './io.ts';

/** The database options every `outrig outbox` command takes. */
export interface DatabaseOptions {
  databaseUrl?: string;
  service?: string;
  home?: string;
}

/** An open connection to the database a command works on. */
export interface OpenDatabase {
  readonly sql: SqlClient;
  /** The URL with its password masked, for every message that names the database. */
  readonly target: string;
  /** Closes the pool and stops the embedded server if this command started it. */
  close(): Promise<void>;
}

/** How long to wait for a connection before reporting DB_UNREACHABLE. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Resolves the database (`--database-url`, else `--service` on the embedded server under
 * `--home`/`OUTRIG_HOME`, else `DATABASE_URL`), connects and runs one query, so that a wrong
 * or unreachable database fails here with `DB_UNREACHABLE` naming it (password masked).
 * Returns undefined when no database was given at all (a usage error for the caller).
 */
export async function openDatabase(options: DatabaseOptions, io: CliIo): Promise<OpenDatabase | undefined> {
  let url: string;
  let source: string;
  let stop = async () => {};
  if (options.databaseUrl !== undefined) {
    url = options.databaseUrl;
    source = '--database-url';
  } else if (options.service !== undefined) {
    const rootDir = path.resolve(io.cwd, options.home ?? io.env.OUTRIG_HOME ?? '.');
    // The port a server started here listens on, as `npm start` and the shop's tools choose it
    // (a server already running in that folder is used wherever it listens).
    const port = pgPort(io.env.OUTRIG_PG_PORT);
    const resolved = await resolveDatabaseUrl({
      serviceName: options.service,
      rootDir,
      ...(port === undefined ? {} : { port }),
    });
    url = resolved.url;
    stop = () => resolved.stop();
    source = `the embedded server in ${path.join(rootDir, '.outrig', 'postgres')}`;
  } else if (io.env.DATABASE_URL !== undefined && io.env.DATABASE_URL !== '') {
    url = io.env.DATABASE_URL;
    source = 'DATABASE_URL';
  } else {
    return undefined;
  }
  const { sql, close } = await connectDatabase(url, source, stop);
  return { sql, target: redactUrl(url), close };
}

/**
 * A small pool on `url` for one CLI command, checked with one query: a wrong or unreachable
 * database fails here with `DB_UNREACHABLE` naming `source` (password masked). `stop` (the
 * embedded server this command started) runs on failure and on close.
 */
export async function connectDatabase(
  url: string,
  source: string,
  stop: () => Promise<void>,
): Promise<{ sql: SqlClient; close(): Promise<void> }> {
  let sql: SqlClient;
  try {
    // createPgClient checks the scheme first (DB_URL_INVALID, password masked).
    sql = createPgClient({
      url,
      max: 2,
      applicationName: 'outrig-cli',
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const close = async () => {
    await sql.close();
    await stop();
  };
  try {
    await assertDatabaseReachable(sql, { url, source });
  } catch (err) {
    await close();
    throw err;
  }
  return { sql, close };
}

/** `OUTRIG_PG_PORT` as a port number, undefined when unset; a bad value fails with DB_OPTIONS_INVALID. */
export function pgPort(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw DbErrors.DB_OPTIONS_INVALID({
      params: { reason: `OUTRIG_PG_PORT must be a port number (0-65535), got ${JSON.stringify(raw)}` },
    });
  }
  return port;
}
