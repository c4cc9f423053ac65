import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/** Everything auth-service's database needs, in order: framework tables, then its own (drizzle-kit). */
export async function authMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'auth-service',
  );
  return [outboxMigrations, inboxMigrations, own];
}

/** What `outrig db migrate|status|reset auth-service` applies (the `migrations` export convention). */
export const migrations = authMigrations;
