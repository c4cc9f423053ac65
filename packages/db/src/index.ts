export type { Migration, MigrationSet } from './migration.ts';
export {
  createPgClient,
  joinPgTransaction,
  type PgClientOptions,
  type PgPoolClientLike,
  type PgPoolLike,
} from './pg-client.ts';
export type {
  SqlClient,
  SqlQueryable,
  SqlResult,
  SqlTransaction,
  TransactionOptions,
} from './sql-client.ts';
