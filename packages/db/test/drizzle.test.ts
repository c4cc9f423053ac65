/**
 * Drizzle interop. `fixtures/drizzle` is real drizzle-kit 0.31 output, generated offline from
 * `fixtures/drizzle-schema.ts` (users first, then orders added) with:
 *   npx drizzle-kit generate --dialect postgresql --schema packages/db/test/fixtures/drizzle-schema.ts \
 *     --out packages/db/test/fixtures/drizzle --name init|orders
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinDrizzleTransaction, loadDrizzleMigrations, migrate, migrationStatus } from '../src/index.ts';
import { users } from './fixtures/drizzle-schema.ts';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'drizzle');
const ok = await serverAvailable('postgres');

describe('loadDrizzleMigrations', () => {
  it('reads the journal in order and splits statements on the breakpoint marker', async () => {
    const set = await loadDrizzleMigrations(fixture, 'shop-models');
    expect(set.name).toBe('shop-models');
    expect(set.migrations.map((m) => m.id)).toEqual(['0000_init', '0001_orders']);
    const first = set.migrations[0]!.sql;
    expect(first).not.toContain('statement-breakpoint');
    expect(first.split('\n')[0]).toBe(`CREATE TYPE "public"."role" AS ENUM('customer', 'admin');`);
    expect(set.migrations[1]!.sql).toContain('CREATE INDEX "orders_user_id_idx"');
  });

  it('refuses a folder that is not drizzle-kit output', async () => {
    await expect(loadDrizzleMigrations(path.dirname(fixture), 'x')).rejects.toMatchObject({
      code: 'DB_MIGRATION_INVALID',
    });
  });
});

describe.skipIf(!ok)('drizzle on PostgreSQL', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('db_drizzle');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await migrate(db.sql, [await loadDrizzleMigrations(fixture, 'shop-models')]);
    await db.sql.query('CREATE TABLE audit (user_id uuid NOT NULL)');
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const audited = async (id: string) =>
    (await db.sql.query('SELECT 1 FROM audit WHERE user_id = $1', [id])).rowCount === 1;

  it('applies the generated migrations with migrate()', async () => {
    const set = await loadDrizzleMigrations(fixture, 'shop-models');
    expect((await migrationStatus(db.sql, [set])).map((s) => s.state)).toEqual(['applied', 'applied']);
    const tables = await db.sql.query(`SELECT to_regclass('orders') IS NOT NULL AS orders`);
    expect(tables.rows[0]).toEqual({ orders: true });
  });

  it('joinDrizzleTransaction writes commit with the Drizzle transaction', async () => {
    const orm = drizzle(pool);
    const id = randomUUID();
    await orm.transaction(async (tx) => {
      await tx.insert(users).values({ id, email: `${id}@example.test` });
      await joinDrizzleTransaction(tx).query('INSERT INTO audit (user_id) VALUES ($1)', [id]);
    });
    expect(await audited(id)).toBe(true);
  });

  it('joinDrizzleTransaction writes roll back with the Drizzle transaction', async () => {
    const orm = drizzle(pool);
    const id = randomUUID();
    await expect(
      orm.transaction(async (tx) => {
        await joinDrizzleTransaction(tx).query('INSERT INTO audit (user_id) VALUES ($1)', [id]);
        await tx.insert(users).values({ id, email: `${id}@example.test` });
        tx.rollback();
      }),
    ).rejects.toThrow();
    expect(await audited(id)).toBe(false);
  });

  it('refuses the Drizzle db itself (it is not a transaction)', () => {
    expect(() => joinDrizzleTransaction(drizzle(pool))).toThrow(
      expect.objectContaining({ code: 'DB_OPTIONS_INVALID' }),
    );
  });
});
