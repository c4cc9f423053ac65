import type { ResourceNames } from '../names.ts';
import { TS } from './ts-extension.ts';

/** What a resource template needs to know about its service. */
export interface ResourceContext {
  readonly names: ResourceNames;
  /** `NotesServiceErrors`: the service's error catalogue in src/errors.ts. */
  readonly errors: string;
}

/** src/schemas/<name>.ts: the resource as API v1 shows it, and what callers send. */
export function schemaFile({ names: n }: ResourceContext): string {
  return `import { type Static, Type } from '@outrig/core';

/** Path parameters of one ${n.words}. */
export const ${n.pascal}Id = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** A ${n.words} as API v1 shows it (and as its events carry it). */
export const ${n.pascal} = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type ${n.pascal} = Static<typeof ${n.pascal}>;

/** What a caller sends to create or replace a ${n.words}. */
export const ${n.pascal}Input = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type ${n.pascal}Input = Static<typeof ${n.pascal}Input>;
`;
}

/** src/models/<name>-table.ts: the Drizzle table (drizzle-kit generates migrations from it). */
export function modelFile({ names: n }: ResourceContext): string {
  return `import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The \`${n.table}\` table. After a change here, \`npx drizzle-kit generate\` writes a migration into drizzle/. */
export const ${n.camel}Table = pgTable('${n.table}', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
`;
}

/** drizzle/<tag>.sql: what drizzle-kit generates for {@link modelFile}. */
export function migrationSql({ names: n }: ResourceContext): string {
  return `CREATE TABLE "${n.table}" (
\t"id" uuid PRIMARY KEY NOT NULL,
\t"name" text NOT NULL,
\t"created_at" timestamp with time zone DEFAULT now() NOT NULL,
\t"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
`;
}

/** The table as a drizzle-kit snapshot describes it (so `drizzle-kit generate` diffs from here). */
export function snapshotTable({ names: n }: ResourceContext): Record<string, unknown> {
  const column = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
    name,
    type,
    primaryKey: false,
    notNull: true,
    ...extra,
  });
  return {
    name: n.table,
    schema: '',
    columns: {
      id: column('id', 'uuid', { primaryKey: true }),
      name: column('name', 'text'),
      created_at: column('created_at', 'timestamp with time zone', { default: 'now()' }),
      updated_at: column('updated_at', 'timestamp with time zone', { default: 'now()' }),
    },
    indexes: {},
    foreignKeys: {},
    compositePrimaryKeys: {},
    uniqueConstraints: {},
    policies: {},
    checkConstraints: {},
    isRLSEnabled: false,
  };
}

/** src/events/<name>-events.ts: `<name>.created|updated|deleted`. */
export function eventsFile({ names: n }: ResourceContext): string {
  const event = (
    verb: string,
    schema: string,
  ) => `/** A ${n.words} was ${verb}. Topic \`${n.kebab}.events\`, key = the ${n.words}'s id. */
export const ${n.pascal}${verb.charAt(0).toUpperCase()}${verb.slice(1)} = defineEvent({
  type: '${n.kebab}.${verb}',
  aggregateType: '${n.kebab}',
  schema: ${schema},
  description: 'A ${n.words} was ${verb}',
});
`;
  return `import { Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';
import { ${n.pascal} } from '../schemas/${n.kebab}${TS}';

${event('created', n.pascal)}
${event('updated', n.pascal)}
${event('deleted', "Type.Object({ id: Type.String({ format: 'uuid' }) })")}`;
}

/** src/repositories/<name>-repository.ts: the port, and an in-memory implementation for tests. */
export function repositoryFile({ names: n }: ResourceContext): string {
  return `import { randomUUID } from 'node:crypto';
import type { ${n.pascal}, ${n.pascal}Input } from '../schemas/${n.kebab}${TS}';

/** Where ${n.wordsPlural} live. Writes publish their \`${n.kebab}.*\` event in the same transaction. */
export interface ${n.pascal}Repository {
  /** Newest first, at most \`limit\`. */
  list(limit: number): Promise<${n.pascal}[]>;
  get(id: string): Promise<${n.pascal} | undefined>;
  create(input: ${n.pascal}Input): Promise<${n.pascal}>;
  /** Undefined when there is no such ${n.words}. */
  update(id: string, input: ${n.pascal}Input): Promise<${n.pascal} | undefined>;
  /** False when there is no such ${n.words}. */
  remove(id: string): Promise<boolean>;
}

/** In-process ${n.wordsPlural} for tests of the HTTP contract (publishes no events). */
export function createMemory${n.pascal}Repository(): ${n.pascal}Repository {
  const items = new Map<string, ${n.pascal}>();
  return {
    async list(limit) {
      return [...items.values()].reverse().slice(0, limit);
    },
    async get(id) {
      return items.get(id);
    },
    async create(input) {
      const now = new Date().toISOString();
      const item = { id: randomUUID(), name: input.name, createdAt: now, updatedAt: now };
      items.set(item.id, item);
      return item;
    },
    async update(id, input) {
      const item = items.get(id);
      if (!item) return undefined;
      const updated = { ...item, name: input.name, updatedAt: new Date().toISOString() };
      items.set(id, updated);
      return updated;
    },
    async remove(id) {
      return items.delete(id);
    },
  };
}
`;
}

/** src/repositories/postgres-<name>-repository.ts: Drizzle, with events through the outbox. */
export function postgresRepositoryFile({ names: n }: ResourceContext): string {
  const t = `${n.camel}Table`;
  return `import { randomUUID } from 'node:crypto';
import { joinDrizzleTransaction } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { desc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { ${n.pascal}Created, ${n.pascal}Deleted, ${n.pascal}Updated } from '../events/${n.kebab}-events${TS}';
import { ${t} } from '../models/${n.kebab}-table${TS}';
import type { ${n.pascal} } from '../schemas/${n.kebab}${TS}';
import type { ${n.pascal}Repository } from './${n.kebab}-repository${TS}';

type Row = typeof ${t}.$inferSelect;

const toItem = (row: Row): ${n.pascal} => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * ${n.pascalPlural} in the service's own database (Drizzle). Every write commits its \`${n.kebab}.*\` event
 * to the outbox in the same transaction: the change and its event are never separated.
 */
export function createPostgres${n.pascal}Repository(db: NodePgDatabase, outbox: Outbox): ${n.pascal}Repository {
  return {
    async list(limit) {
      const rows = await db.select().from(${t}).orderBy(desc(${t}.createdAt)).limit(limit);
      return rows.map(toItem);
    },
    async get(id) {
      const [row] = await db.select().from(${t}).where(eq(${t}.id, id));
      return row && toItem(row);
    },
    create(input) {
      return db.transaction(async (tx) => {
        const values = { id: randomUUID(), name: input.name };
        const [row] = await tx.insert(${t}).values(values).returning();
        const item = toItem(row!);
        const event = outbox.event(${n.pascal}Created, { subject: item.id, data: item });
        await outbox.write(joinDrizzleTransaction(tx), event);
        return item;
      });
    },
    update(id, input) {
      return db.transaction(async (tx) => {
        const changes = { name: input.name, updatedAt: new Date() };
        const [row] = await tx.update(${t}).set(changes).where(eq(${t}.id, id)).returning();
        if (!row) return undefined;
        const item = toItem(row);
        const event = outbox.event(${n.pascal}Updated, { subject: id, data: item });
        await outbox.write(joinDrizzleTransaction(tx), event);
        return item;
      });
    },
    remove(id) {
      return db.transaction(async (tx) => {
        const deleted = await tx.delete(${t}).where(eq(${t}.id, id)).returning();
        if (deleted.length === 0) return false;
        const event = outbox.event(${n.pascal}Deleted, { subject: id, data: { id } });
        await outbox.write(joinDrizzleTransaction(tx), event);
        return true;
      });
    },
  };
}
`;
}

/** src/routes/v1/<plural>.ts: CRUD under `/<plural>` (the kit serves it at `/api/v1/<plural>`). */
export function routesFile({ names: n, errors }: ResourceContext): string {
  const notFound = `${n.constant}_NOT_FOUND`;
  return `import { type ServiceApp, Type } from '@outrig/core';
import { ${errors} } from '../../errors${TS}';
import type { ${n.pascal}Repository } from '../../repositories/${n.kebab}-repository${TS}';
import { ${n.pascal}, ${n.pascal}Id, ${n.pascal}Input } from '../../schemas/${n.kebab}${TS}';

const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At most this many (100)' })),
});

/** API v1 of ${n.wordsPlural}: list, read, create, replace and delete under \`/${n.plural}\`. */
export function ${n.camel}RoutesV1(api: ServiceApp, ${n.camelPlural}: ${n.pascal}Repository): void {
  const found = (id: string, item: ${n.pascal} | undefined): ${n.pascal} => {
    if (!item) throw ${errors}.${notFound}({ params: { id } });
    return item;
  };
  api.get(
    '/${n.plural}',
    {
      schema: {
        summary: 'List ${n.wordsPlural}, newest first',
        querystring: ListQuery,
        response: { 200: Type.Array(${n.pascal}) },
      },
    },
    async (request) => ${n.camelPlural}.list(request.query.limit ?? 100),
  );
  api.get(
    '/${n.plural}/:id',
    { schema: { summary: 'Get a ${n.words}', params: ${n.pascal}Id, response: { 200: ${n.pascal} } } },
    async (request) => found(request.params.id, await ${n.camelPlural}.get(request.params.id)),
  );
  api.post(
    '/${n.plural}',
    { schema: { summary: 'Create a ${n.words}', body: ${n.pascal}Input, response: { 201: ${n.pascal} } } },
    async (request, reply) => {
      const item = await ${n.camelPlural}.create(request.body);
      reply.code(201).header('location', \`/api/v1/${n.plural}/\${item.id}\`);
      return item;
    },
  );
  api.put(
    '/${n.plural}/:id',
    {
      schema: {
        summary: 'Replace a ${n.words}',
        params: ${n.pascal}Id,
        body: ${n.pascal}Input,
        response: { 200: ${n.pascal} },
      },
    },
    async (request) => {
      const { id } = request.params;
      return found(id, await ${n.camelPlural}.update(id, request.body));
    },
  );
  api.delete(
    '/${n.plural}/:id',
    { schema: { summary: 'Delete a ${n.words}', params: ${n.pascal}Id, response: { 204: Type.Null() } } },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await ${n.camelPlural}.remove(id))) throw ${errors}.${notFound}({ params: { id } });
      return reply.code(204).send(null);
    },
  );
}
`;
}

/** test/<plural>-api.test.ts: the HTTP contract through inject(), on in-memory storage. */
export function apiTestFile({ names: n }: ResourceContext): string {
  return `import { afterAll, describe, expect, it } from 'vitest';
import { callerHeaders, createTestService } from './support${TS}';

const service = await createTestService();
const headers = await callerHeaders();
afterAll(() => service.app.close());

const url = '/api/v1/${n.plural}';

describe('${n.wordsPlural} API v1', () => {
  it('creates, reads, lists, replaces and deletes a ${n.words}', async () => {
    const created = await service.app.inject({ method: 'POST', url, headers, payload: { name: 'First' } });
    expect(created.statusCode).toBe(201);
    const item = created.json().data;
    expect(item).toMatchObject({ id: expect.any(String), name: 'First' });
    expect(created.headers.location).toBe(\`\${url}/\${item.id}\`);
    expect(created.json().metadata.version).toBe('v1');

    const read = await service.app.inject({ url: \`\${url}/\${item.id}\`, headers });
    expect(read.json().data).toEqual(item);
    const list = await service.app.inject({ url, headers });
    expect(list.json().data).toEqual([item]);

    const replaced = await service.app.inject({
      method: 'PUT',
      url: \`\${url}/\${item.id}\`,
      headers,
      payload: { name: 'Second' },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().data).toMatchObject({ id: item.id, name: 'Second' });

    const deleted = await service.app.inject({ method: 'DELETE', url: \`\${url}/\${item.id}\`, headers });
    expect(deleted.statusCode).toBe(204);
    const gone = await service.app.inject({ url: \`\${url}/\${item.id}\`, headers });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('${n.constant}_NOT_FOUND');
  });

  it('400 names the field of a bad body; 400 for an id that is not a UUID', async () => {
    const empty = await service.app.inject({ method: 'POST', url, headers, payload: { name: '' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details.fields[0].path).toBe('body/name');
    const badId = await service.app.inject({ url: \`\${url}/not-a-uuid\`, headers });
    expect(badId.statusCode).toBe(400);
  });
});
`;
}
