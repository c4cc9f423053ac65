/**
 * `npm run db:migrate` — applies every service's migrations (framework tables, then its own
 * drizzle-kit migrations) to its database, idempotently; refuses a database whose applied
 * migrations differ from the files (DB_MIGRATION_MISMATCH), applying nothing to it.
 * `npm run db:migrate -- --status` only reports applied / pending / mismatched per migration.
 *
 * Databases, as `npm start` (`outrig dev`) gives them (docs/architecture/0010): the service's
 * `<SERVICE>_DATABASE_URL` (e.g. INVENTORY_SERVICE_DATABASE_URL; `DATABASE_URL_<SERVICE>` is
 * accepted too), else database `shop_<service>` on the server of `DATABASE_URL`, else the
 * embedded server of `npm start` (started for the command and stopped after).
 */
import {
  createPgClient,
  type EmbeddedPostgresServer,
  ensureDatabase,
  ensureEmbeddedPostgres,
  type MigrationSet,
  migrate,
  migrationStatus,
  serviceDatabaseName,
} from '@outrig/db';
import { inventoryMigrations } from './services/inventory-service/src/migrations.ts';
import { notificationMigrations } from './services/notification-service/src/migrations.ts';
import { orderMigrations } from './services/order-service/src/migrations.ts';
import { paymentMigrations } from './services/payment-service/src/migrations.ts';

const root = new URL('.', import.meta.url).pathname;
const statusOnly = process.argv.includes('--status');
const plan: [string, () => Promise<MigrationSet[]>][] = [
  ['inventory-service', inventoryMigrations],
  ['notification-service', notificationMigrations],
  ['order-service', orderMigrations],
  ['payment-service', paymentMigrations],
];

let embedded: EmbeddedPostgresServer | undefined;
async function urlFor(service: string): Promise<string> {
  const prefix = service.toUpperCase().replace(/-/g, '_');
  const configured = process.env[`${prefix}_DATABASE_URL`] || process.env[`DATABASE_URL_${prefix}`];
  if (configured) return configured;
  if (process.env.DATABASE_URL) {
    return (await ensureDatabase(process.env.DATABASE_URL, serviceDatabaseName(`shop_${service}`))).url;
  }
  embedded ??= await ensureEmbeddedPostgres({
    dataDir: `${(process.env.OUTRIG_HOME ?? root).replace(/\/$/, '')}/.outrig/postgres`,
    port: Number(process.env.OUTRIG_PG_PORT ?? 5488),
    // A running server of this folder is used wherever it listens; a taken port (another
    // checkout's server) is never used: a free one is.
    portTaken: 'any-free',
  });
  return (await ensureDatabase(embedded.adminUrl, serviceDatabaseName(service))).url;
}

let failed = false;
for (const [service, sets] of plan) {
  const sql = createPgClient({ url: await urlFor(service), max: 2 });
  try {
    if (statusOnly) {
      for (const m of await migrationStatus(sql, await sets()))
        console.log(`${service}  ${m.set}/${m.id}  ${m.state}`);
    } else {
      const { applied } = await migrate(sql, await sets());
      console.log(
        `${service}: ${applied.length === 0 ? 'up to date' : `applied ${applied.map((m) => `${m.set}/${m.id}`).join(', ')}`}`,
      );
    }
  } catch (err) {
    failed = true;
    const e = err as Error & { code?: string };
    console.error(`${service}: ${e.code ?? 'ERROR'} ${e.message}`);
  } finally {
    await sql.close();
  }
}
await embedded?.stop();
process.exit(failed ? 1 : 0);
