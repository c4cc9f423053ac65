import { DbErrors } from './errors.ts';
import { joinPgTransaction, type RawQueryable } from './pg-client.ts';
import type { SqlTransaction } from './sql-client.ts';

/**
 * A {@link SqlTransaction} inside a Drizzle (node-postgres driver) transaction: Outrig's writes
 * (outbox, inbox, sagas) then commit or roll back with the caller's Drizzle transaction.
 *
 * Drizzle does not expose the connection of `db.transaction(tx => …)` in its public types; at
 * run time it is `tx.session.client` (the `pg` PoolClient that ran BEGIN). This reads it and
 * fails with DB_OPTIONS_INVALID if the shape ever changes, instead of writing outside the
 * transaction. Checked against drizzle-orm 0.45. Only the node-postgres driver is supported.
 *
 * @example
 * import { drizzle } from 'drizzle-orm/node-postgres';
 * const db = drizzle(pool);
 * await db.transaction(async (tx) => {
 *   await tx.insert(orders).values({ id, total });
 *   await joinDrizzleTransaction(tx).query('insert into audit(order_id) values ($1)', [id]);
 * });
 */
export function joinDrizzleTransaction(drizzleTx: unknown): SqlTransaction {
  const client = (drizzleTx as { session?: { client?: unknown } } | null)?.session?.client;
  if (!isQueryable(client) || isPool(client)) {
    throw DbErrors.DB_OPTIONS_INVALID({
      params: {
        reason:
          'joinDrizzleTransaction needs the `tx` of a drizzle-orm/node-postgres db.transaction() callback',
      },
    });
  }
  return joinPgTransaction(client);
}

function isQueryable(value: unknown): value is RawQueryable {
  return typeof (value as { query?: unknown } | null)?.query === 'function';
}

/** The session of `db` itself (not of a transaction) holds the Pool: joining it would not join anything. */
function isPool(value: unknown): boolean {
  return typeof (value as { totalCount?: unknown }).totalCount === 'number';
}
