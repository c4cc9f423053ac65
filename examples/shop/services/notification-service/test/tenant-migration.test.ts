import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, migrate } from '@outrig/db';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// drizzle/0001_notification_tenants on a database that already has notifications (0000 only).

const hasPg = await serverAvailable('postgres');
let db: TestDatabase;
beforeAll(async () => {
  if (hasPg) db = await createTestDatabase('notification_tenant_migration');
});
afterAll(() => db?.drop());

const insertOld = `insert into notifications (event_id, type, source, data, event_time)
  values ($1, 'product.created', '/services/inventory-service', '{}', now())`;

describe.skipIf(!hasPg)('notification-service migration 0001_notification_tenants', () => {
  it('puts existing notifications in tenant default, then requires a tenant', async () => {
    const own = await loadDrizzleMigrations(
      fileURLToPath(new URL('../drizzle', import.meta.url)),
      'notification-service',
    );
    expect(own.migrations.map((m) => m.id).slice(0, 2)).toEqual([
      '0000_notifications',
      '0001_notification_tenants',
    ]);
    await migrate(db.sql, [{ ...own, migrations: own.migrations.slice(0, 1) }]);
    const old = randomUUID();
    await db.sql.query(insertOld, [old]);

    await migrate(db.sql, [own]);
    const rows = await db.sql.query<{ tenant_id: string }>(
      'select tenant_id from notifications where event_id = $1',
      [old],
    );
    expect(rows.rows).toEqual([{ tenant_id: 'default' }]);
    await expect(db.sql.query(insertOld, [randomUUID()])).rejects.toThrow(/tenant_id/);
  });
});
