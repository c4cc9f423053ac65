import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { CliErrors } from '../errors.ts';

/** The file name of a system's description, at the system's root. */
export const SYSTEM_FILE = 'outrig.json';

const Name = Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 63 });
const Port = Type.Integer({ minimum: 1, maximum: 65_535 });

const ServiceEntry = Type.Object(
  {
    /** Folder of the service, relative to the system root (a workspace). */
    dir: Type.String({ minLength: 1 }),
    /** Port the service listens on (SERVICE_PORT); `<NAME>_PORT` in the environment overrides it. */
    port: Port,
    /** `service` (default) or `gateway` (routes to the others; no database). */
    kind: Type.Optional(Type.Union([Type.Literal('service'), Type.Literal('gateway')])),
    /** Whether the service keeps state in a database of its own. Default true (false for a gateway). */
    database: Type.Optional(Type.Boolean()),
    /** Entry file, relative to `dir`. Default `src/main.ts`. */
    entry: Type.Optional(Type.String({ minLength: 1 })),
    /** Extra environment for `outrig dev` (development defaults; the real environment wins). */
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    /**
     * Development-only environment for `outrig dev`, applied only when the service's database is
     * the embedded server and none of these variables is set (a seeded admin, say).
     */
    embeddedEnv: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Issues the system's tokens: `outrig dev` wires JWT_* and client credentials for the others. */
    auth: Type.Optional(Type.Boolean()),
    /**
     * Module exporting `migrations` (MigrationSet[] or a function returning them), relative to
     * `dir`, for `outrig db`. Default `src/migrations.ts`.
     */
    migrations: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Module exporting `config` (the service's own config schema, without the core keys),
     * relative to `dir`, for `outrig doctor`. Default `src/config.ts`.
     */
    config: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * For a gateway: module exporting `routes` (its route table, GatewayRoute[]), relative to
     * `dir`, for `outrig deploy render` (HAProxy and Envoy routes). Default `src/routes.ts`.
     */
    routes: Type.Optional(Type.String({ minLength: 1 })),
    /** Services this one calls (besides the auth issuer): `outrig deploy` lets only them in. */
    calls: Type.Optional(Type.Array(Name)),
  },
  { additionalProperties: false },
);

export const SystemFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    /** The system's name (a package-name-like word). */
    name: Name,
    /** Event transport on embedded defaults: `postgres` (default), `nats`, `memory`. BUS_URL overrides. */
    transport: Type.Optional(
      Type.Union([Type.Literal('postgres'), Type.Literal('nats'), Type.Literal('memory')]),
    ),
    /** Service registry: `local` (default), `etcd`, `consul`, `dns`. REGISTRY_URL overrides. */
    registry: Type.Optional(
      Type.Union([Type.Literal('local'), Type.Literal('etcd'), Type.Literal('consul'), Type.Literal('dns')]),
    ),
    /** Services by name. */
    services: Type.Record(Name, ServiceEntry),
    /** `outrig dev` settings. */
    dev: Type.Optional(
      Type.Object(
        {
          /** Port of the embedded PostgreSQL server (a free one is chosen when taken). Default 5488. */
          postgresPort: Type.Optional(Port),
          /** Port of the development dashboard. Default 9400. */
          dashboardPort: Type.Optional(Port),
        },
        { additionalProperties: false },
      ),
    ),
    /** What `outrig new` rendered from, so `outrig upgrade` can render again. */
    template: Type.Optional(
      Type.Object(
        {
          version: Type.String(),
          answers: Type.Record(Type.String(), Type.Unknown()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** One service of a system, with its defaults filled in. */
export interface SystemService {
  readonly name: string;
  /** Absolute folder of the service. */
  readonly dir: string;
  /** Folder as written in outrig.json (relative to the root). */
  readonly relativeDir: string;
  readonly port: number;
  readonly kind: 'service' | 'gateway';
  readonly database: boolean;
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  readonly embeddedEnv: Readonly<Record<string, string>>;
  readonly auth: boolean;
  /** Migrations module, relative to `dir` (default `src/migrations.ts`). */
  readonly migrations: string;
  /** Config schema module, relative to `dir` (default `src/config.ts`). */
  readonly config: string;
  /** Route table module of a gateway, relative to `dir` (default `src/routes.ts`). */
  readonly routes: string;
  /** Services this one calls, as outrig.json declares them. */
  readonly calls: readonly string[];
}

/** A system as `outrig.json` describes it, with defaults filled in. */
export interface System {
  /** Absolute path of the folder that holds outrig.json. */
  readonly root: string;
  readonly name: string;
  readonly transport: 'postgres' | 'nats' | 'memory';
  readonly registry: 'local' | 'etcd' | 'consul' | 'dns';
  /** In the order outrig.json lists them (gateways last when started). */
  readonly services: readonly SystemService[];
  readonly dev: { readonly postgresPort: number; readonly dashboardPort: number };
  readonly template?: { readonly version: string; readonly answers: Readonly<Record<string, unknown>> };
  /** The file as parsed (to write it back with changes). */
  readonly raw: SystemFile;
}

export type SystemFile = {
  $schema?: string;
  name: string;
  transport?: System['transport'];
  registry?: System['registry'];
  services: Record<
    string,
    {
      dir: string;
      port: number;
      kind?: 'service' | 'gateway';
      database?: boolean;
      entry?: string;
      env?: Record<string, string>;
      embeddedEnv?: Record<string, string>;
      auth?: boolean;
      migrations?: string;
      config?: string;
      routes?: string;
      calls?: string[];
    }
  >;
  dev?: { postgresPort?: number; dashboardPort?: number };
  template?: { version: string; answers: Record<string, unknown> };
};

const validator = Compile(SystemFileSchema);

/**
 * Finds `outrig.json` in `from` or the nearest folder above it. Undefined when there is none.
 */
export async function findSystemRoot(from: string): Promise<string | undefined> {
  let dir = path.resolve(from);
  for (;;) {
    try {
      await readFile(path.join(dir, SYSTEM_FILE));
      return dir;
    } catch {}
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Reads and validates the system description in `from` or above it.
 * Fails with CLI_SYSTEM_NOT_FOUND when there is none and CLI_SYSTEM_INVALID (naming the field)
 * when the file is not valid.
 *
 * @example
 * const system = await loadSystem(process.cwd());
 * for (const s of system.services) console.log(s.name, s.port);
 */
export async function loadSystem(from: string): Promise<System> {
  const root = await findSystemRoot(from);
  if (root === undefined) throw CliErrors.CLI_SYSTEM_NOT_FOUND({ params: { dir: path.resolve(from) } });
  const file = path.join(root, SYSTEM_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw CliErrors.CLI_SYSTEM_INVALID({
      params: { file, reason: `not JSON (${(cause as Error).message})` },
      cause,
    });
  }
  return parseSystem(parsed, root, file);
}

/** Validates a parsed outrig.json and fills in the defaults. */
export function parseSystem(parsed: unknown, root: string, file = path.join(root, SYSTEM_FILE)): System {
  if (!validator.Check(parsed)) {
    const first = [...validator.Errors(parsed)][0];
    const where = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '(root)';
    throw CliErrors.CLI_SYSTEM_INVALID({
      params: { file, reason: `${where}: ${first?.message ?? 'invalid'}` },
    });
  }
  const raw = parsed as SystemFile;
  const ports = new Map<number, string>();
  const services: SystemService[] = Object.entries(raw.services).map(([name, s]) => {
    const other = ports.get(s.port);
    if (other !== undefined) {
      throw CliErrors.CLI_SYSTEM_INVALID({
        params: { file, reason: `services.${name}.port: ${s.port} is already the port of ${other}` },
      });
    }
    ports.set(s.port, name);
    const kind = s.kind ?? 'service';
    return {
      name,
      dir: path.resolve(root, s.dir),
      relativeDir: s.dir,
      port: s.port,
      kind,
      database: s.database ?? kind !== 'gateway',
      entry: s.entry ?? 'src/main.ts',
      env: s.env ?? {},
      embeddedEnv: s.embeddedEnv ?? {},
      auth: s.auth ?? false,
      migrations: s.migrations ?? 'src/migrations.ts',
      config: s.config ?? 'src/config.ts',
      routes: s.routes ?? 'src/routes.ts',
      calls: s.calls ?? [],
    };
  });
  for (const s of services) {
    const unknown = s.calls.find((c) => raw.services[c] === undefined);
    if (unknown !== undefined) {
      throw CliErrors.CLI_SYSTEM_INVALID({
        params: { file, reason: `services.${s.name}.calls: ${unknown} is not a service of this system` },
      });
    }
  }
  if (services.filter((s) => s.auth).length > 1) {
    throw CliErrors.CLI_SYSTEM_INVALID({
      params: { file, reason: 'services: only one service can have auth: true' },
    });
  }
  return {
    root,
    name: raw.name,
    transport: raw.transport ?? 'postgres',
    registry: raw.registry ?? 'local',
    services,
    dev: { postgresPort: raw.dev?.postgresPort ?? 5488, dashboardPort: raw.dev?.dashboardPort ?? 9400 },
    ...(raw.template === undefined ? {} : { template: raw.template }),
    raw,
  };
}

/** `inventory-service` → `INVENTORY_SERVICE` (for `<NAME>_PORT`, `<NAME>_DATABASE_URL`). */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}
