import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../migrate.ts', import.meta.url));
const hasPg = await serverAvailable('postgres');
let inventory: TestDatabase;
let notification: TestDatabase;
let order: TestDatabase;
let payment: TestDatabase;

beforeAll(async () => {
  if (!hasPg) return;
  inventory = await createTestDatabase('migrate_inventory');
  notification = await createTestDatabase('migrate_notification');
  order = await createTestDatabase('migrate_order');
  payment = await createTestDatabase('migrate_payment');
});
afterAll(async () => {
  await inventory?.drop();
  await notification?.drop();
  await order?.drop();
  await payment?.drop();
});

async function migrateCommand(...args: string[]): Promise<{ code: number; out: string }> {
  const env = {
    ...process.env,
    INVENTORY_SERVICE_DATABASE_URL: inventory.url, // the documented name
    DATABASE_URL_NOTIFICATION_SERVICE: notification.url, // the older spelling, still accepted
    ORDER_SERVICE_DATABASE_URL: order.url,
    PAYMENT_SERVICE_DATABASE_URL: payment.url,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args], { env });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe.skipIf(!hasPg)('npm run db:migrate', () => {
  it('applies every service migration once, then reports up to date', async () => {
    const first = await migrateCommand();
    expect(first.code).toBe(0);
    expect(first.out).toContain('inventory-service: applied outrig/outbox/0001_outbox');
    expect(first.out).toContain('notification-service/0000_notifications');
    expect(first.out).toContain('order-service: applied');
    expect(first.out).toContain('outrig/sagas/0001_sagas');
    expect(first.out).toContain('payment-service/0000_payments');
    const second = await migrateCommand();
    expect(second.out).toContain('inventory-service: up to date');
    expect(second.out).toContain('notification-service: up to date');
    expect(second.out).toContain('order-service: up to date');
    expect(second.out).toContain('payment-service: up to date');
    const tables = await inventory.sql.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_name in ('products', 'outbox', 'inbox')",
    );
    expect(tables.rows.map((r) => r.table_name).sort()).toEqual(['inbox', 'outbox', 'products']);
  });

  it('refuses a database whose applied migrations differ from the files, and exits 1', async () => {
    await inventory.sql.query(
      "update outrig_migrations set checksum = 'tampered' where set_name = 'inventory-service'",
    );
    const res = await migrateCommand();
    expect(res.code).toBe(1);
    expect(res.out).toContain('inventory-service: DB_MIGRATION_MISMATCH');
    const status = await migrateCommand('--status');
    expect(status.out).toMatch(/inventory-service\s+inventory-service\/0000_products\s+mismatched/);
  });
});
