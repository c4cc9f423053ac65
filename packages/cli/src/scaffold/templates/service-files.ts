import { pascalCase } from '../names.ts';
import { TS } from './ts-extension.ts';

/** What the service templates need. */
export interface ServiceContext {
  /** `notes-service` */
  readonly name: string;
  /** `@notes/notes-service` */
  readonly packageName: string;
  readonly port: number;
  /** Dependency specs by package name (Outrig's, drizzle-orm, the transport adapter). */
  readonly dependencies: Readonly<Record<string, string>>;
  /** The system has an auth service: every route of this one needs its bearer token. */
  readonly auth: boolean;
}

/** The spellings of a service name the templates use. */
export function serviceSymbols(name: string): { factory: string; errors: string; options: string } {
  const pascal = pascalCase(name);
  return { factory: `create${pascal}`, errors: `${pascal}Errors`, options: `${pascal}Options` };
}

/** Every file of a new service without resources (`outrig add resource` adds them). */
export function serviceFiles(ctx: ServiceContext): Record<string, string> {
  const s = serviceSymbols(ctx.name);
  const authNote = ctx.auth
    ? `\nEvery route of its API needs a bearer token from auth-service (\`auth: { default: 'required' }\`
in \`src/service.ts\`; \`JWT_JWKS_URL\`, \`JWT_ISSUER\`, \`JWT_AUDIENCE\` are set by \`outrig dev\`), and the
gateway checks it before forwarding. To open a route, declare \`config: { auth: 'optional' }\` on it
and loosen its prefix in \`services/gateway/src/routes.ts\`; \`roles\` and \`scopes\` narrow it.
`
    : '';
  return {
    'package.json': `${JSON.stringify(
      {
        name: ctx.packageName,
        version: '0.1.0',
        private: true,
        type: 'module',
        scripts: { start: 'node --import @outrig/core/telemetry src/main.ts' },
        dependencies: ctx.dependencies,
      },
      null,
      2,
    )}\n`,
    'README.md': `# ${ctx.name}

Port ${ctx.port} (\`SERVICE_PORT\`), its own database, events through the transactional outbox.
API v1 under \`/api/v1/…\`; \`/docs\` shows it, \`/health\` and \`/metrics\` are on.

| folder | what |
|---|---|
| \`src/routes/v1/\` | one file of routes per resource (\`outrig add resource ${ctx.name} <name>\`) |
| \`src/schemas/\` | TypeBox schemas: what the API accepts and returns |
| \`src/repositories/\` | storage ports, their PostgreSQL (Drizzle) and in-memory implementations |
| \`src/models/\` | Drizzle tables; \`npx drizzle-kit generate\` in this folder writes migrations into \`drizzle/\` |
| \`src/events/\` | the events the service publishes |
| \`test/\` | tests (\`npm test\` at the system's root) |

Migrations run when the service starts.
${authNote}`,
    'drizzle.config.ts': `import { defineConfig } from 'drizzle-kit';

// \`npx drizzle-kit generate\` (in this folder) writes a migration into drizzle/ after a change to
// src/models. The service applies them at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/models',
  out: './drizzle',
});
`,
    'drizzle/meta/_journal.json': `${JSON.stringify({ version: '7', dialect: 'postgresql', entries: [] }, null, 2)}\n`,
    'src/main.ts': `import { runService } from '@outrig/core';
import { ${s.factory} } from './service${TS}';

await runService(() => ${s.factory}());
`,
    'src/service.ts': `import {
  type ConfigValues,
  type CoreConfig,
  type CreateServiceOptions,
  createService,
  type Service,
} from '@outrig/core';
import { connectDatabase, databaseConfig } from '@outrig/db';
import { connectDiscovery, discoveryConfig, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, messagingConfig, messagingOptions } from '@outrig/messaging';
import { drizzle } from 'drizzle-orm/node-postgres';
import { events } from './events/index${TS}';
import { serviceMigrations } from './migrations${TS}';
import { routesV1 } from './routes/v1${TS}';
import { createPostgresStorage, type Storage } from './storage${TS}';

export interface ${s.options} extends Pick<CreateServiceOptions, ${ctx.auth ? "'env' | 'logStream' | 'auth'" : "'env' | 'logStream'"}> {
  /** Use this storage instead of the database (tests of the HTTP contract). */
  storage?: Storage;
}

/**
 * ${ctx.name}: its resources in its own database; every change publishes an event through the
 * transactional outbox. Registers in the service registry (REGISTRY_URL) once listening.
 */
export async function ${s.factory}(options: ${s.options} = {}): Promise<Service> {
  const service = createService({
    name: '${ctx.name}',
    port: ${ctx.port},
    config: { ...databaseConfig, ...messagingConfig, ...discoveryConfig },
    env: options.env,
    logStream: options.logStream,${
      ctx.auth
        ? `
    // Every route needs a token from auth-service, verified with its JWKS (JWT_JWKS_URL).
    auth: { default: 'required', ...options.auth },`
        : ''
    }
  });
  const storage = options.storage ?? (await connectStorage(service));
  service.version(1, routesV1(storage));
  await connectDiscovery(service, discoveryOptions(service.config));
  return service;
}

type StorageConfig = CoreConfig & ConfigValues<typeof databaseConfig & typeof messagingConfig>;

/** The database (DATABASE_URL, or the embedded server), its migrations, and the event bus (BUS_URL). */
async function connectStorage(service: Service<StorageConfig>): Promise<Storage> {
  const { config } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await serviceMigrations(),
  });
  const bus = await connectMessaging(service, {
    ...messagingOptions(config, db),
    metrics: service.metrics,
    events, // its AsyncAPI document at /asyncapi.json
  });
  return createPostgresStorage(drizzle({ client: db.pool }), bus.outbox);
}
`,
    'src/migrations.ts': `import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/** Everything the database needs, in order: the outbox and inbox tables, then the service's own. */
export async function serviceMigrations(): Promise<MigrationSet[]> {
  const folder = fileURLToPath(new URL('../drizzle', import.meta.url));
  const own = await loadDrizzleMigrations(folder, '${ctx.name}');
  return [outboxMigrations, inboxMigrations, own];
}

/** What \`outrig db migrate|status|reset ${ctx.name}\` applies. */
export const migrations = serviceMigrations;
`,
    'src/events/index.ts': `import type { EventCatalog } from '@outrig/messaging';

/**
 * The events ${ctx.name} publishes and consumes: served as its AsyncAPI document at
 * /asyncapi.json and checked by \`outrig contract check\`. \`outrig add resource\` adds its events.
 */
export const events: EventCatalog = {
  publishes: [
    // outrig:published-events
  ],
  consumes: [],
};
`,
    'src/errors.ts': `import { defineErrors } from '@outrig/core';

/** ${ctx.name}'s error codes: each with its HTTP status and message. */
export const ${s.errors} = defineErrors({
  // outrig:errors
});
`,
    'src/storage.ts': `import type { Outbox } from '@outrig/messaging';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';

/** Where the service keeps its resources: one repository each. */
export interface Storage {
  // outrig:storage
}

/** In-process storage for tests of the HTTP contract (publishes no events). */
export function createMemoryStorage(): Storage {
  return {
    // outrig:memory-storage
  };
}

/** The service's database (Drizzle); every write publishes its event through the outbox. */
export function createPostgresStorage(db: NodePgDatabase, outbox: Outbox): Storage {
  return {
    // outrig:postgres-storage
  };
}
`,
    'src/routes/v1.ts': `import type { ServiceApp } from '@outrig/core';
import type { Storage } from '../storage${TS}';

/** API v1: the routes of every resource. */
export function routesV1(storage: Storage) {
  return (api: ServiceApp) => {
    // outrig:routes-v1
  };
}
`,
    'test/support.ts': supportFile(ctx.auth, s.factory),
    'test/health.test.ts': `import { afterAll, describe, expect, it } from 'vitest';
import { createTestService } from './support${TS}';

const service = await createTestService();
afterAll(() => service.app.close());

describe('${ctx.name}', () => {
  it('answers /health and serves its OpenAPI', async () => {
    const health = await service.app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    const openapi = await service.app.inject({ url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
  });
});
`,
  };
}

/** test/support.ts: the service as its tests build it, and the headers of a caller. */
export function supportFile(auth: boolean, factory: string): string {
  if (!auth) {
    return `import type { Service } from '@outrig/core';
import { ${factory} } from '../src/service${TS}';
import { createMemoryStorage } from '../src/storage${TS}';

/** The service on in-memory storage, for tests of its HTTP contract. */
export function createTestService(): Promise<Service> {
  return ${factory}({ env: { LOG_LEVEL: 'silent' }, storage: createMemoryStorage() });
}

/** Headers of a caller of the API (its routes need nothing). */
export async function callerHeaders(): Promise<Record<string, string>> {
  return {};
}
`;
  }
  return `import type { Service } from '@outrig/core';
import { createTestIssuer } from '@outrig/testing';
import { ${factory} } from '../src/service${TS}';
import { createMemoryStorage } from '../src/storage${TS}';

// Tokens signed here, as auth-service signs them: the service verifies them with this issuer's
// keys instead of auth-service's JWKS.
const issuer = await createTestIssuer();

/** The service on in-memory storage, trusting the test issuer, for tests of its HTTP contract. */
export function createTestService(): Promise<Service> {
  return ${factory}({
    env: { LOG_LEVEL: 'silent', ...issuer.env },
    auth: { keys: issuer.keys },
    storage: createMemoryStorage(),
  });
}

/** Headers of a caller of the API: a user's bearer token. */
export async function callerHeaders(): Promise<Record<string, string>> {
  return { authorization: \`Bearer \${await issuer.token()}\` };
}
`;
}
