import pg from 'pg';
import type { SqlClient, SqlResult, SqlTransaction, TransactionOptions } from './sql-client.ts';

/** Anything with node-postgres' `query(text, params)` shape. */
export interface RawQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** The subset of a `pg` Pool this adapter uses (so callers may pass any compatible pool). */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

/** The subset of a checked-out `pg` client this adapter uses. */
export interface PgPoolClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(err?: Error | boolean): void;
}

export interface PgClientOptions {
  /** `postgres://…` connection string; used when no `pool` is given. */
  url?: string;
  /** A pool the caller built and owns; `close()` leaves it open. */
  pool?: PgPoolLike;
  /** Pool size when this adapter builds the pool. Default 10. */
  max?: number;
  /** `application_name` reported to PostgreSQL. */
  applicationName?: string;
}

/**
 * A {@link SqlClient} over a `pg` Pool.
 *
 * @example
 * const sql = createPgClient({ url: 'postgres://postgres@127.0.0.1:5432/shop' });
 * await sql.transaction(async (tx) => {
 *   await tx.query('insert into t(id) values ($1)', [1]);
 * });
 * await sql.close();
 */
export function createPgClient(options: PgClientOptions): SqlClient {
  const owned = options.pool === undefined;
  const pool: PgPoolLike =
    options.pool ??
    (new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      application_name: options.applicationName,
    }) as unknown as PgPoolLike);
  if (owned) {
    // An idle client's connection error (server restart) must not crash the process.
    (pool as unknown as pg.Pool).on('error', () => {});
  }
  let closed = false;
  return {
    query: (text, params) => run(pool, text, params),
    async transaction(fn, txOptions) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await inTransaction(client, fn, txOptions);
      } catch (err) {
        if (isConnectionError(err)) broken = err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      if (closed || !owned) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * A {@link SqlTransaction} over a `pg` client that is already inside a transaction the caller
 * opened (for example Drizzle's `db.transaction(tx => …)` on node-postgres, or a raw
 * `BEGIN`). Outrig's writes join that transaction; the caller commits or rolls back.
 *
 * @example
 * await client.query('BEGIN');
 * const tx = joinPgTransaction(client);
 * await outbox.write(tx, event);
 * await client.query('COMMIT');
 */
export function joinPgTransaction(client: RawQueryable): SqlTransaction {
  const tx: SqlTransaction = {
    inTransaction: true,
    query: (text, params) => run(client, text, params),
    transaction: (fn) => fn(tx),
  };
  return tx;
}

async function inTransaction<T>(
  client: PgPoolClientLike,
  fn: (tx: SqlTransaction) => Promise<T>,
  options: TransactionOptions | undefined,
): Promise<T> {
  await client.query(options?.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}` : 'BEGIN');
  try {
    const result = await fn(joinPgTransaction(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function run<R>(q: RawQueryable, text: string, params?: readonly unknown[]): Promise<SqlResult<R>> {
  const res = await q.query(text, params as unknown[] | undefined);
  return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === undefined || code === 'ECONNRESET' || code === '57P01' || code === 'EPIPE';
}
