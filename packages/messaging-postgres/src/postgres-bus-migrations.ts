import type { MigrationSet } from '@outrig/db';
import { schemaSteps } from './internal/schema.ts';
import { POSTGRES_BROKER_DEFAULTS } from './postgres-broker-options.ts';

/**
 * The bus schema as a MigrationSet, for teams that apply migrations themselves (then create the
 * broker with `autoMigrate: false`). The statements are idempotent, so a database the broker
 * already set up accepts them too.
 *
 * @example
 * for (const m of postgresBusMigrations().migrations) await sql.query(m.sql);
 * const broker = createPostgresBroker({ sql, autoMigrate: false });
 */
export function postgresBusMigrations(schema: string = POSTGRES_BROKER_DEFAULTS.schema): MigrationSet {
  return {
    name: schema === POSTGRES_BROKER_DEFAULTS.schema ? 'outrig/bus' : `outrig/bus:${schema}`,
    migrations: schemaSteps(schema),
  };
}
