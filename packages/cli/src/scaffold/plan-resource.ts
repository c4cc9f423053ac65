import { randomUUID } from 'node:crypto';
import { addImports, type FilePlan, insertAtMarker } from './file-plan.ts';
import type { ResourceNames } from './names.ts';
import {
  apiTestFile,
  eventsFile,
  migrationSql,
  modelFile,
  postgresRepositoryFile,
  type ResourceContext,
  repositoryFile,
  routesFile,
  schemaFile,
  snapshotTable,
} from './templates/resource-files.ts';
import { serviceSymbols, supportFile } from './templates/service-files.ts';
import { TS } from './templates/ts-extension.ts';

/** Where the resource goes: the service (folder relative to the system root) and the gateway. */
export interface ResourceTarget {
  readonly service: string;
  /** `services/notes-service` */
  readonly serviceDir: string;
  /** `services/gateway`, when the system has a gateway. */
  readonly gatewayDir?: string;
  /** The system has an auth service: the gateway requires a token on the resource's routes. */
  readonly auth?: boolean;
}

/**
 * Plans a CRUD resource in a service: schema, Drizzle table and migration, events, repositories,
 * v1 routes, tests; and the edits that wire it (storage, v1 routes, error code, gateway route).
 */
export async function planResource(
  plan: FilePlan,
  target: ResourceTarget,
  names: ResourceNames,
): Promise<void> {
  const symbols = serviceSymbols(target.service);
  const ctx: ResourceContext = { names, errors: symbols.errors };
  const dir = target.serviceDir;
  const n = names;
  await plan.create(`${dir}/src/schemas/${n.kebab}.ts`, schemaFile(ctx));
  await plan.create(`${dir}/src/models/${n.kebab}-table.ts`, modelFile(ctx));
  await plan.create(`${dir}/src/events/${n.kebab}-events.ts`, eventsFile(ctx));
  await plan.create(`${dir}/src/repositories/${n.kebab}-repository.ts`, repositoryFile(ctx));
  await plan.create(`${dir}/src/repositories/postgres-${n.kebab}-repository.ts`, postgresRepositoryFile(ctx));
  await plan.create(`${dir}/src/routes/v1/${n.plural}.ts`, routesFile(ctx));
  await plan.create(`${dir}/test/${n.plural}-api.test.ts`, apiTestFile(ctx));
  // Services generated before test/support.ts existed get it with their next resource.
  if ((await plan.read(`${dir}/test/support.ts`)) === undefined) {
    await plan.create(`${dir}/test/support.ts`, supportFile(target.auth === true, symbols.factory));
  }
  await planMigration(plan, dir, ctx);

  const edit = async (file: string, change: (content: string) => string) => {
    plan.update(`${dir}/${file}`, change(await plan.require(`${dir}/${file}`)));
  };
  const at = (file: string, marker: string, what: string, lines: string) => (content: string) =>
    insertAtMarker(content, marker, lines, { file: `${plan.root}/${dir}/${file}`, what });

  await edit(
    'src/errors.ts',
    at(
      'src/errors.ts',
      'outrig:errors',
      'error codes',
      `${n.constant}_NOT_FOUND: { status: 404, message: '${n.pascal} {id} not found' },`,
    ),
  );
  await edit('src/storage.ts', (content) =>
    addImports(
      [
        at('src/storage.ts', 'outrig:storage', 'repositories', `${n.camelPlural}: ${n.pascal}Repository;`),
        at(
          'src/storage.ts',
          'outrig:memory-storage',
          'repositories',
          `${n.camelPlural}: createMemory${n.pascal}Repository(),`,
        ),
        at(
          'src/storage.ts',
          'outrig:postgres-storage',
          'repositories',
          `${n.camelPlural}: createPostgres${n.pascal}Repository(db, outbox),`,
        ),
      ].reduce((c, f) => f(c), content),
      [
        `import { ${named(`createMemory${n.pascal}Repository`, `type ${n.pascal}Repository`)} } from './repositories/${n.kebab}-repository${TS}';`,
        `import { createPostgres${n.pascal}Repository } from './repositories/postgres-${n.kebab}-repository${TS}';`,
      ],
    ),
  );
  // Services made before src/events/index.ts existed declare no events: nothing to add there.
  const catalogue = await plan.read(`${dir}/src/events/index.ts`);
  if (catalogue !== undefined) {
    const verbs = ['Created', 'Updated', 'Deleted'].map((v) => `${n.pascal}${v}`);
    plan.update(
      `${dir}/src/events/index.ts`,
      addImports(
        at(
          'src/events/index.ts',
          'outrig:published-events',
          'published events',
          verbs.map((v) => `${v},`).join('\n'),
        )(catalogue),
        [`import { ${[...verbs].sort().join(', ')} } from './${n.kebab}-events${TS}';`],
      ),
    );
  }
  await edit('src/routes/v1.ts', (content) =>
    addImports(
      at(
        'src/routes/v1.ts',
        'outrig:routes-v1',
        'routes',
        `${n.camel}RoutesV1(api, storage.${n.camelPlural});`,
      )(content),
      [`import { ${n.camel}RoutesV1 } from './v1/${n.plural}${TS}';`],
    ),
  );
  if (target.gatewayDir !== undefined) {
    const file = `${target.gatewayDir}/src/routes.ts`;
    plan.update(
      file,
      insertAtMarker(
        await plan.require(file),
        'outrig:routes',
        `{ path: '/api/*/${n.plural}', service: '${target.service}'${target.auth ? ", auth: 'required'" : ''} },`,
        { file: `${plan.root}/${file}`, what: 'routes' },
      ),
    );
  }
}

/** Named imports in Biome's order (case-insensitive, `type` ignored). */
function named(...names: string[]): string {
  const key = (name: string) => name.replace(/^type /, '').toLowerCase();
  return names.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).join(', ');
}

/** drizzle/<idx>_<table>.sql, its journal entry and a snapshot, as `drizzle-kit generate` writes them. */
async function planMigration(plan: FilePlan, dir: string, ctx: ResourceContext): Promise<void> {
  const journalFile = `${dir}/drizzle/meta/_journal.json`;
  const journal = JSON.parse(await plan.require(journalFile)) as {
    entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
  };
  const idx = journal.entries.reduce((max, e) => Math.max(max, e.idx + 1), 0);
  const tag = `${String(idx).padStart(4, '0')}_${ctx.names.table}`;
  journal.entries.push({ idx, version: '7', when: Date.now(), tag, breakpoints: true });
  plan.update(journalFile, `${JSON.stringify(journal, null, 2)}\n`);
  await plan.create(`${dir}/drizzle/${tag}.sql`, migrationSql(ctx));

  const previous =
    idx === 0
      ? undefined
      : await plan.read(`${dir}/drizzle/meta/${String(idx - 1).padStart(4, '0')}_snapshot.json`);
  const base = previous === undefined ? emptySnapshot() : (JSON.parse(previous) as Snapshot);
  const snapshot: Snapshot = {
    ...base,
    id: randomUUID(),
    prevId: base.id,
    tables: { ...base.tables, [`public.${ctx.names.table}`]: snapshotTable(ctx) },
  };
  await plan.create(
    `${dir}/drizzle/meta/${String(idx).padStart(4, '0')}_snapshot.json`,
    `${JSON.stringify(snapshot, null, 2)}\n`,
  );
}

interface Snapshot {
  id: string;
  prevId: string;
  tables: Record<string, unknown>;
  [key: string]: unknown;
}

function emptySnapshot(): Snapshot {
  return {
    id: '00000000-0000-0000-0000-000000000000',
    prevId: '',
    version: '7',
    dialect: 'postgresql',
    tables: {},
    enums: {},
    schemas: {},
    sequences: {},
    roles: {},
    policies: {},
    views: {},
    _meta: { columns: {}, schemas: {}, tables: {} },
  };
}
