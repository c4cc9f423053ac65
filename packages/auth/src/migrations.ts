import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';

/**
 * Everything an auth service's database needs, in order: the outbox and inbox tables, then its
 * own (set `auth-service`, from drizzle/ next to this package's src/ or dist/).
 */
export async function authMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'auth-service',
  );
  return [outboxMigrations, inboxMigrations, own];
}
