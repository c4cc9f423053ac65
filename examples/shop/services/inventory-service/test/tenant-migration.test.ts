import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, migrate } from '@outrig/db';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// drizzle/0001_product_tenants on a database that already has products (applied 0000 only).

const hasPg = await serverAvailable('postgres');
let db: TestDatabase;
beforeAll(async () => {
  if (hasPg) db = await createTestDatabase('inventory_tenant_migration');
});
afterAll(() => db?.drop());

describe.skipIf(!hasPg)('inventory-service migration 0001_product_tenants', () => {
  it('puts existing products in tenant default, then requires a tenant and scopes SKUs to it', async () => {
    const own = await loadDrizzleMigrations(
      fileURLToPath(new URL('../drizzle', import.meta.url)),
      'inventory-service',
    );
    expect(own.migrations.map((m) => m.id).slice(0, 2)).toEqual(['0000_products', '0001_product_tenants']);
    await migrate(db.sql, [{ ...own, migrations: own.migrations.slice(0, 1) }]);
    const old = randomUUID();
    await db.sql.query(`insert into products (id, name, sku, stock) values ($1, 'Old', 'OLD-1', 1)`, [old]);

    await migrate(db.sql, [own]);
    const rows = await db.sql.query<{ tenant_id: string }>('select tenant_id from products where id = $1', [
      old,
    ]);
    expect(rows.rows).toEqual([{ tenant_id: 'default' }]);
    // No default any more: a row must name its tenant.
    await expect(
      db.sql.query(`insert into products (id, name, stock) values ($1, 'No tenant', 1)`, [randomUUID()]),
    ).rejects.toThrow(/tenant_id/);
    // The same SKU in another tenant is fine; twice in one tenant is not.
    await db.sql.query(
      `insert into products (id, tenant_id, name, sku, stock) values ($1, 'tenant-a', 'Other', 'OLD-1', 1)`,
      [randomUUID()],
    );
    await expect(
      db.sql.query(
        `insert into products (id, tenant_id, name, sku, stock) values ($1, 'default', 'Dup', 'OLD-1', 1)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/products_tenant_sku_unique/);
  });
});
