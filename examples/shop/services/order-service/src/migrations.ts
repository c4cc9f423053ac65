import { fileURLToPath } from 'node:url';
import { loadDrizzleMigrations, type MigrationSet } from '@outrig/db';
import { inboxMigrations, outboxMigrations } from '@outrig/messaging';
import { sagaMigrations } from '@outrig/sagas';

/**
 * Everything order-service's database needs, in order: framework tables (outbox, inbox, the
 * sagas' instances, history and timers), then its own (drizzle-kit). The read model's tables live
 * beside the bus log (see service.ts) and are created there at start.
 */
export async function orderMigrations(): Promise<MigrationSet[]> {
  const own = await loadDrizzleMigrations(
    fileURLToPath(new URL('../drizzle', import.meta.url)),
    'order-service',
  );
  return [outboxMigrations, inboxMigrations, sagaMigrations, own];
}

/** What `outrig db migrate|status|reset order-service` applies (the `migrations` export convention). */
export const migrations = orderMigrations;
