import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/** Everything payment-service's database needs, in order: framework tables, then its own (drizzle-kit). */
export async function paymentMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'payment-service',
  );
  return [outboxMigrations, inboxMigrations, own];
}

/** What `outrig db migrate|status|reset payment-service` applies (the `migrations` export convention). */
export const migrations = paymentMigrations;
