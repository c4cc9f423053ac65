import path from 'node:path';
import { ensureEmbeddedPostgres, redactUrl, type SqlClient, serviceDatabaseName } from '@outrig/db';
import { connectDatabase, pgPort } from '../database.ts';
import { create, ownDatabaseUrl, serverDatabaseName } from '../dev/dev-databases.ts';
import { embeddedPostgresPort } from '../dev/embedded-port.ts';
import type { CliIo } from '../io.ts';
import { exists } from './service-modules.ts';
import { envPrefix, type System, type SystemService } from './system-file.ts';

/** How a `db` command picks a service's database. */
export interface ServiceDatabaseOptions {
  databaseUrl?: string;
  /** Told when the embedded server has to be started (a few seconds; longer the first time). */
  progress?: (text: string) => void;
}

/** A service's database, connected. */
export interface ServiceDatabase {
  readonly sql: SqlClient;
  /** The full URL (with its password): for `db url` and `db shell` only. */
  readonly url: string;
  /** The URL with its password masked, for messages. */
  readonly target: string;
  /** `--database-url`, `<NAME>_DATABASE_URL`, or `the embedded server in <dir>`. */
  readonly source: string;
  /** True on the system's embedded server (what `db reset` may do without `--force`). */
  readonly embedded: boolean;
  /** True when this command started the embedded server (it stops on close). */
  readonly startedHere: boolean;
  close(): Promise<void>;
}

/** `INVENTORY_SERVICE_DATABASE_URL`: the variable naming one service's database. */
export function serviceDatabaseVariable(service: string): string {
  return `${envPrefix(service)}_DATABASE_URL`;
}

/**
 * Connects to a service's database, chosen as `outrig dev` chooses it (ADR 0010):
 * `--database-url`, else `<NAME>_DATABASE_URL` (alias `DATABASE_URL_<NAME>`), else database
 * `<system>_<service>` on the server `DATABASE_URL` names, else the service's database
 * (`order-service` → `order_service`, created if absent) on the system's embedded server under
 * `$OUTRIG_HOME` or the system root — the one `outrig dev` runs, used where it runs (its port:
 * `$OUTRIG_PG_PORT`, the one `outrig dev` remembered, or outrig.json's `dev.postgresPort`),
 * started (and stopped on close) when it does not.
 */
export async function openServiceDatabase(
  system: System,
  service: SystemService,
  options: ServiceDatabaseOptions,
  io: CliIo,
): Promise<ServiceDatabase> {
  const variable = serviceDatabaseVariable(service.name);
  let url: string;
  let source: string;
  let embedded = false;
  let startedHere = false;
  let stop = async () => {};
  if (options.databaseUrl !== undefined) {
    url = options.databaseUrl;
    source = '--database-url';
  } else if (ownDatabaseUrl(service.name, io.env)) {
    const own = ownDatabaseUrl(service.name, io.env) as { url: string; variable: string };
    url = own.url;
    source = own.variable;
  } else if (io.env.DATABASE_URL) {
    const name = serverDatabaseName(system.name, service.name);
    url = (await create(io.env.DATABASE_URL, name, service.name, variable)).url;
    source = `database ${name} on the server DATABASE_URL names`;
  } else {
    const home = path.resolve(io.cwd, io.env.OUTRIG_HOME || system.root);
    const dataDir = path.join(home, '.outrig', 'postgres');
    if (!(await exists(path.join(dataDir, 'postmaster.pid')))) {
      options.progress?.(`Starting the embedded PostgreSQL (data in ${dataDir}) …\n`);
    }
    pgPort(io.env.OUTRIG_PG_PORT); // a bad value fails here, naming the variable
    const wanted = await embeddedPostgresPort(home, io.env, system.dev.postgresPort);
    const server = await ensureEmbeddedPostgres({
      dataDir,
      port: wanted.port,
      portTaken: wanted.strict ? 'fail' : 'any-free',
      database: serviceDatabaseName(service.name),
    });
    url = server.url;
    source = `the embedded server in ${dataDir}`;
    embedded = true;
    startedHere = server.owned;
    stop = () => server.stop();
  }
  const { sql, close } = await connectDatabase(url, source, stop);
  return { sql, url, target: redactUrl(url), source, embedded, startedHere, close };
}
