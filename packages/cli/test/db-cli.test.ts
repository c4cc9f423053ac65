/**
 * `outrig db …` through the real bin, on a throwaway system (outrig.json, a service with a
 * migrations module, Drizzle models and drizzle.config.ts), against the real PostgreSQL.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSystem, outrig } from './support/outrig-bin.ts';

const ok = await serverAvailable('postgres');

const MIGRATIONS = `
/** The service's migrations, by the \`migrations\` export convention of outrig db. */
export async function migrations() {
  return [
    { name: 'orders', migrations: [
      { id: '0001_orders', sql: 'create table orders (id int primary key, total int not null)' },
      { id: '0002_orders_note', sql: 'alter table orders add column note text' },
    ] },
  ];
}
`;

const MODELS = `
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
export const widgets = pgTable('widgets', { id: integer('id').primaryKey(), name: text('name').notNull() });
`;

const DRIZZLE_CONFIG = `
import { defineConfig } from 'drizzle-kit';
export default defineConfig({ dialect: 'postgresql', schema: './src/models.ts', out: './drizzle' });
`;

describe.skipIf(!ok)('outrig db (real bin, real PostgreSQL)', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let system: Awaited<ReturnType<typeof makeSystem>>;
  const cwd = () => system.root;
  /** The service's database through its per-service variable, as a deployment would give it. */
  const env = () => ({ ORDERS_SERVICE_DATABASE_URL: db.url });
  const tables = async () =>
    (
      await db.sql.query<{ t: string }>(
        `select tablename as t from pg_tables where schemaname = 'public' order by 1`,
      )
    ).rows.map((r) => r.t);

  beforeAll(async () => {
    db = await createTestDatabase('cli_db');
    system = await makeSystem(
      {
        name: 'fixture',
        services: {
          'orders-service': { dir: 'services/orders', port: 18_401 },
          'billing-service': { dir: 'services/billing', port: 18_402 },
          gateway: { dir: 'services/gateway', port: 18_400, kind: 'gateway' },
        },
      },
      {
        'services/orders/src/migrations.ts': MIGRATIONS,
        'services/orders/src/models.ts': MODELS,
        'services/orders/drizzle.config.ts': DRIZZLE_CONFIG,
        'services/billing/src/main.ts': '',
      },
    );
  });
  afterAll(async () => {
    await db?.drop();
    await system?.remove();
  });
  beforeEach(async () => {
    await db.sql.query('drop schema public cascade; create schema public');
  });

  it('status lists the pending migrations; migrate applies them; status then shows them applied', async () => {
    const before = await outrig(['db', 'status', 'orders-service'], { env: env(), cwd: cwd() });
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`orders-service: ${db.url}`);
    expect(before.stdout).toMatch(/^orders +0001_orders +pending +-$/m);
    expect(before.stdout).toContain('2 pending: `outrig db migrate orders-service` applies them.');

    const migrated = await outrig(['db', 'migrate', 'orders-service'], { env: env(), cwd: cwd() });
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toBe(
      `orders-service: applied 2 to ${db.url}:\n  orders/0001_orders\n  orders/0002_orders_note\n`,
    );
    expect(await tables()).toEqual(['orders', 'outrig_migrations']);

    const again = await outrig(['db', 'migrate', 'orders-service', '--json'], { env: env(), cwd: cwd() });
    expect(JSON.parse(again.stdout)).toEqual({ service: 'orders-service', database: db.url, applied: [] });

    const after = await outrig(['db', 'status', 'orders-service', '--json'], { env: env(), cwd: cwd() });
    expect(JSON.parse(after.stdout)).toEqual([
      { set: 'orders', id: '0001_orders', state: 'applied', appliedAt: expect.any(String) },
      { set: 'orders', id: '0002_orders_note', state: 'applied', appliedAt: expect.any(String) },
    ]);
  });

  it('--database-url wins over the variable; --system finds the system from anywhere', async () => {
    const other = await createTestDatabase('cli_db_other');
    try {
      const r = await outrig(
        ['db', 'migrate', 'orders-service', '--json', '--database-url', other.url, '--system', system.root],
        { env: env() },
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).database).toBe(other.url);
      expect(await tables()).toEqual([]);
    } finally {
      await other.drop();
    }
  });

  it('reset: refuses without --yes (exit 2), refuses a URL without --force, then drops and re-migrates', async () => {
    await outrig(['db', 'migrate', 'orders-service'], { env: env(), cwd: cwd() });
    await db.sql.query(`insert into orders (id, total) values (1, 10)`);
    await db.sql.query('create schema extra; create table extra.t (x int)');

    const noYes = await outrig(['db', 'reset', 'orders-service'], { env: env(), cwd: cwd() });
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain("error: reset drops every table of orders-service's database: add --yes");

    const noForce = await outrig(['db', 'reset', 'orders-service', '--yes'], { env: env(), cwd: cwd() });
    expect(noForce.code).toBe(1);
    expect(noForce.stderr).toBe(
      `error: CLI_RESET_REFUSED: Not resetting ${db.url}: it comes from ORDERS_SERVICE_DATABASE_URL, not the system's embedded server — add --force if you mean it\n`,
    );
    expect((await db.sql.query('select * from orders')).rows).toHaveLength(1);

    const reset = await outrig(['db', 'reset', 'orders-service', '--yes', '--force', '--json'], {
      env: env(),
      cwd: cwd(),
    });
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({
      service: 'orders-service',
      database: db.url,
      dropped: ['extra', 'public'],
      applied: [
        { set: 'orders', id: '0001_orders' },
        { set: 'orders', id: '0002_orders_note' },
      ],
    });
    expect((await db.sql.query('select * from orders')).rows).toHaveLength(0);
    expect((await db.sql.query(`select 1 from pg_namespace where nspname = 'extra'`)).rows).toHaveLength(0);
  });

  it('url prints the URL alone; shell runs psql on it', async () => {
    const url = await outrig(['db', 'url', 'orders-service'], { env: env(), cwd: cwd() });
    expect(url).toEqual({ code: 0, stdout: `${db.url}\n`, stderr: '' });

    const shell = await outrig(['db', 'shell', 'orders-service'], {
      env: env(),
      cwd: cwd(),
      input: 'select 40 + 2 as answer;\n',
    });
    expect(shell.code).toBe(0);
    expect(shell.stdout).toMatch(/answer\s*\n-+\s*\n\s*42\s*\n/);
  });

  it('shell without psql on the PATH: exit 1, CLI_TOOL_MISSING saying how to install it', async () => {
    const r = await outrig(['db', 'shell', 'orders-service'], {
      env: { ...env(), PATH: '/nonexistent' },
      cwd: cwd(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: CLI_TOOL_MISSING: psql is not installed: apt-get install postgresql-client/,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it("generate runs drizzle-kit generate in the service's folder and writes the migration", async () => {
    const r = await outrig(['db', 'generate', 'orders-service'], { cwd: cwd(), timeoutMs: 120_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const dir = path.join(system.root, 'services', 'orders', 'drizzle');
    const sql = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
    expect(sql).toHaveLength(1);
    const text = await readFile(path.join(dir, sql[0] as string), 'utf8');
    expect(text).toContain('CREATE TABLE "widgets"');
  });

  it.each([
    ['an unknown service', ['db', 'migrate', 'nope'], 'error: CLI_SERVICE_UNKNOWN: No service nope in '],
    ['a gateway', ['db', 'status', 'gateway'], 'error: CLI_SERVICE_NO_DATABASE: gateway has no database'],
    [
      'a service without a migrations module',
      ['db', 'migrate', 'billing-service'],
      "error: CLI_MIGRATIONS_NOT_FOUND: billing-service's migrations could not be loaded from ",
    ],
    [
      'generate without drizzle.config.ts',
      ['db', 'generate', 'billing-service'],
      'error: CLI_TOOL_MISSING: drizzle.config.ts in ',
    ],
  ])('%s: exit 1, one coded line', async (_name, args, message) => {
    const r = await outrig(args, { env: env(), cwd: cwd() });
    expect(r.code).toBe(1);
    expect(r.stderr.startsWith(message), r.stderr).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('outside a system: exit 1, CLI_SYSTEM_NOT_FOUND', async () => {
    const r = await outrig(['db', 'status', 'orders-service'], { env: env(), cwd: '/' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: CLI_SYSTEM_NOT_FOUND: No outrig.json in /');
  });

  it('every db command has --help with examples (exit 0)', async () => {
    const commands = ['migrate', 'status', 'generate', 'reset', 'url', 'shell'];
    const results = await Promise.all(commands.map((c) => outrig(['db', c, '--help'])));
    for (const [i, command] of commands.entries()) {
      const r = results[i];
      expect(r?.code).toBe(0);
      expect(r?.stdout).toContain(`Usage: outrig db ${command}`);
      expect(r?.stdout).toContain(`$ outrig db ${command}`);
    }
  });
});
