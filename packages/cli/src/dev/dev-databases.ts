import path from 'node:path';
import {
  type EmbeddedPostgresServer,
  ensureDatabase,
  ensureEmbeddedPostgres,
  redactUrl,
  serviceDatabaseName,
} from '@outrig/db';
import { CliErrors } from '../errors.ts';
import type { System, SystemService } from '../system/system-file.ts';
import { envPrefix } from '../system/system-file.ts';
import { embeddedPostgresPort, rememberEmbeddedPort } from './embedded-port.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Where each service's database comes from in one `outrig dev` run. */
export interface DevDatabases {
  /** `DATABASE_URL` and `BUS_URL` for a service (empty for one without a database). */
  envFor(service: SystemService): Promise<Record<string, string>>;
  /** True when the service's database is on the embedded server (development-only env applies). */
  embedded(service: SystemService): boolean;
  /** The embedded server, when this run uses one. */
  readonly server?: EmbeddedPostgresServer;
  /** The port the embedded server was asked for, when it had to move off it. */
  readonly movedFrom?: number;
  /** Stops the embedded server if this run started it. */
  stop(): Promise<void>;
}

/**
 * The service's own URL: `<SERVICE>_DATABASE_URL`, or `DATABASE_URL_<SERVICE>` (the older
 * spelling of the shop's tools), with the variable's name.
 */
export function ownDatabaseUrl(service: string, env: Env): { url: string; variable: string } | undefined {
  for (const variable of [`${envPrefix(service)}_DATABASE_URL`, `DATABASE_URL_${envPrefix(service)}`]) {
    const url = env[variable];
    if (url !== undefined && url !== '') return { url, variable };
  }
  return undefined;
}

/** The database a service gets on a shared server (`DATABASE_URL`): `<system>_<service>`. */
export function serverDatabaseName(system: string, service: string): string {
  return serviceDatabaseName(`${system}_${service}`);
}

/**
 * Decides every service's database (docs/architecture/0010-database-per-service-in-dev.md):
 * 1. `<SERVICE>_DATABASE_URL` (alias `DATABASE_URL_<SERVICE>`): used as is;
 * 2. else `DATABASE_URL`: a server; the service gets database `<system>_<service>` on it,
 *    created when absent (CLI_DEV_DATABASE_FAILED when the role may not);
 * 3. else the embedded server under `<home>/.outrig/postgres`, database `<service>`.
 * The postgres transport's bus is `outrig_bus` on the embedded server, `<system>_bus` on a
 * `DATABASE_URL` server; `BUS_URL` in the environment wins.
 */
export async function prepareDatabases(
  system: System,
  services: readonly SystemService[],
  home: string,
  env: Env,
): Promise<DevDatabases> {
  const stateful = services.filter((s) => s.database);
  const serverUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  const needsEmbedded = serverUrl === undefined && stateful.some((s) => !ownDatabaseUrl(s.name, env));
  /** The shared bus: BUS_URL, the transport's default, or a database `name` on the server. */
  const busUrl = async (adminUrl: string | undefined, name: string): Promise<string | undefined> => {
    if (env.BUS_URL) return env.BUS_URL;
    if (system.transport !== 'postgres') return defaultBus(system);
    // Without a shared server each service uses outrig_bus on its own server (the default).
    if (adminUrl === undefined) return undefined;
    return (await create(adminUrl, name, 'the event bus', 'BUS_URL')).url;
  };
  if (!needsEmbedded) {
    let bus: Promise<string | undefined> | undefined;
    return {
      embedded: () => false,
      async envFor(service) {
        if (!service.database) return {};
        bus ??= busUrl(serverUrl, `${serviceDatabaseName(system.name)}_bus`);
        const own = ownDatabaseUrl(service.name, env);
        const url =
          own?.url ??
          (
            await create(
              serverUrl as string,
              serverDatabaseName(system.name, service.name),
              service.name,
              `${envPrefix(service.name)}_DATABASE_URL`,
            )
          ).url;
        const b = await bus;
        return { DATABASE_URL: url, ...(b === undefined ? {} : { BUS_URL: b }) };
      },
      stop: async () => {},
    };
  }
  const dataDir = path.join(home, '.outrig', 'postgres');
  const wanted = await embeddedPostgresPort(home, env, system.dev.postgresPort);
  const server = await ensureEmbeddedPostgres({
    dataDir,
    port: wanted.port,
    portTaken: wanted.strict ? 'fail' : 'any-free',
  });
  const moved = server.owned && wanted.port !== 0 && server.port !== wanted.port;
  if (!wanted.strict && server.owned) {
    // Remember a port we had to move to; forget it once the configured one works again.
    await rememberEmbeddedPort(home, server.port === system.dev.postgresPort ? undefined : server.port);
  }
  const bus = busUrl(server.adminUrl, 'outrig_bus');
  bus.catch(() => {});
  return {
    server,
    ...(moved ? { movedFrom: wanted.port } : {}),
    embedded: (service) => service.database && !ownDatabaseUrl(service.name, env),
    async envFor(service) {
      if (!service.database) return {};
      const own = ownDatabaseUrl(service.name, env);
      const url = own?.url ?? (await ensureDatabase(server.adminUrl, serviceDatabaseName(service.name))).url;
      const b = await bus;
      return { DATABASE_URL: url, ...(b === undefined ? {} : { BUS_URL: b }) };
    },
    stop: () => server.stop(),
  };
}

function defaultBus(system: System): string | undefined {
  if (system.transport === 'memory') return 'memory:';
  if (system.transport === 'nats') return 'nats://127.0.0.1:4222';
  return undefined;
}

/**
 * Creates database `name` on the server at `adminUrl` when absent and returns its URL;
 * CLI_DEV_DATABASE_FAILED (naming `variable`, what to set instead) when the role may not.
 */
export async function create(adminUrl: string, name: string, forWhat: string, variable: string) {
  try {
    return await ensureDatabase(adminUrl, name);
  } catch (cause) {
    throw CliErrors.CLI_DEV_DATABASE_FAILED({
      params: {
        database: name,
        service: forWhat,
        server: redactUrl(adminUrl),
        reason: (cause as Error).message,
        variable,
      },
      cause,
    });
  }
}
