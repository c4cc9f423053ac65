import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/** Everything inventory-service's database needs, in order: framework tables, then its own (drizzle-kit). */
export async function inventoryMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'inventory-service',
  );
  return [outboxMigrations, inboxMigrations, own];
}

/** What `outrig db migrate|status|reset inventory-service` applies (the `migrations` export convention). */
export const migrations = inventoryMigrations;
