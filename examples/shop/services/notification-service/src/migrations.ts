import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/** Everything notification-service's database needs, in order: framework tables, then its own (drizzle-kit). */
export async function notificationMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'notification-service',
  );
  return [outboxMigrations, inboxMigrations, own];
}

/** What `outrig db migrate|status|reset notification-service` applies (the `migrations` export convention). */
export const migrations = notificationMigrations;
