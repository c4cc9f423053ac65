import pg from 'pg';
import { DbErrors } from './errors.ts';
import { assertPostgresUrl } from './internal/postgres-url.ts';
import type { QueryOptions, SqlClient, SqlResult, SqlTransaction, TransactionOptions } from './sql-client.ts';

/** What node-postgres' `query` resolves to (one result, or one per statement of a multi-statement text). */
export type PgRawResult =
  | { rows: unknown[]; rowCount: number | null; command?: string }
  | Array<{ rows: unknown[]; rowCount: number | null; command?: string }>;

/** Anything with node-postgres' `query(text, params)` shape (a `pg` Client, PoolClient or Pool). */
export interface RawQueryable {
  query(text: string, params?: unknown[]): Promise<PgRawResult>;
}

/** node-postgres' config form of `query`, used for named (prepared) statements. */
type NamedQuery = (config: { name: string; text: string; values?: unknown[] }) => Promise<PgRawResult>;

/** The subset of a `pg` Pool this adapter uses (so callers may pass any compatible pool). */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<PgRawResult>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

/** The subset of a checked-out `pg` client this adapter uses. */
export interface PgPoolClientLike {
  /** Present on `pg` clients; used to catch a connection lost while checked out. */
  on?(event: 'error', listener: (err: Error) => void): unknown;
  off?(event: 'error', listener: (err: Error) => void): unknown;
  query(text: string, params?: unknown[]): Promise<PgRawResult>;
  /** True for a `pg` client in pipeline mode: `transaction` then sends BEGIN and its first statement together. */
  readonly pipeline?: boolean;
  /** `release(err)` destroys the connection instead of returning it to the pool. */
  release(err?: Error | boolean): void;
}

export interface PgClientOptions {
  /** `postgres://…` connection string; required unless `pool` is given. */
  url?: string;
  /** A pool the caller built and owns; `close()` leaves it open. */
  pool?: PgPoolLike;
  /** Pool size when this adapter builds the pool. Default 10. */
  max?: number;
  /** `application_name` reported to PostgreSQL. */
  applicationName?: string;
  /** Give up connecting after this many ms (default: wait as long as the OS does). */
  connectTimeoutMs?: number;
}

const isolationLevels = new Set(['read committed', 'repeatable read', 'serializable']);

/**
 * A {@link SqlClient} over a `pg` Pool.
 *
 * A transaction whose ROLLBACK fails (the connection broke) destroys that connection instead of
 * returning it to the pool. A COMMIT that PostgreSQL turns into a rollback (a statement failed
 * earlier and the caller caught the error) rejects with `DB_TRANSACTION_ROLLED_BACK`.
 *
 * @example
 * const sql = createPgClient({ url: 'postgres://postgres@127.0.0.1:5432/shop' });
 * await sql.transaction(async (tx) => {
 *   await tx.query('insert into t(id) values ($1)', [1]);
 * });
 * await sql.close();
 */
export function createPgClient(options: PgClientOptions): SqlClient {
  const pool = options.pool ?? createPool(options);
  const owned = options.pool === undefined;
  let closing: Promise<void> | undefined;
  return {
    query: (text, params, options) => run(pool, text, params, options),
    async transaction(fn, txOptions) {
      const begin = beginStatement(txOptions);
      const client = await pool.connect();
      // While a client is checked out, pg-pool removes its own 'error' listener: a connection
      // lost between statements would otherwise be an unhandled 'error' event that kills the
      // process. Remember it; the failing statement rejects and the client is discarded.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on?.('error', onError);
      const release = (err?: Error) => {
        client.off?.('error', onError);
        client.release(err ?? lost);
      };
      // A client in pipeline mode (the pools Outrig builds) sends the first statement right
      // behind BEGIN instead of waiting for BEGIN's answer: one round trip less per transaction.
      const begun = isPipelined(client) ? client.query(begin) : undefined;
      try {
        if (begun === undefined) await client.query(begin);
        else begun.catch(() => {}); // awaited by the first statement or the commit
      } catch (err) {
        release(err as Error);
        throw err;
      }
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        const tx = joinPgTransaction(client);
        result = await fn(begun === undefined ? tx : afterBegin(tx, begun));
        if (begun !== undefined) await begun;
        await commit(client);
      } catch (err) {
        // Only a connection whose ROLLBACK succeeded is known to be clean enough to reuse.
        await client.query('ROLLBACK').then(
          () => release(),
          (rollbackErr: unknown) => release(toError(rollbackErr)),
        );
        throw err;
      }
      release();
      return result;
    },
    close() {
      if (!owned) return Promise.resolve();
      closing ??= pool.end();
      return closing;
    },
  };
}

/**
 * A {@link SqlTransaction} over a `pg` client that is already inside a transaction the caller
 * opened (for example a raw `BEGIN` on a pool client, or Drizzle's `db.transaction(tx => …)`,
 * see `joinDrizzleTransaction`). Outrig's writes join that transaction; the caller commits or
 * rolls back, and `transaction(fn)` on the result simply runs `fn` in the same transaction.
 *
 * @example
 * const client = await pool.connect();
 * await client.query('BEGIN');
 * const tx = joinPgTransaction(client);
 * await tx.query('insert into orders(id) values ($1)', [id]);
 * await client.query('COMMIT');
 * client.release();
 */
export function joinPgTransaction(client: RawQueryable): SqlTransaction {
  const tx: SqlTransaction = {
    inTransaction: true,
    query: (text, params, options) => run(client, text, params, options),
    transaction: (fn) => fn(tx),
  };
  return tx;
}

/** Whether a checked-out `pg` client writes queries without waiting for earlier answers. */
function isPipelined(client: PgPoolClientLike): boolean {
  return client.pipeline === true;
}

/**
 * The transaction whose BEGIN is still on its way: its first statement is sent at once and
 * settles only after BEGIN's answer, and a failed BEGIN fails every later statement too, so
 * nothing runs as if it were inside the transaction. (A statement pipelined behind a BEGIN that
 * failed would run in autocommit, but on an idle connection BEGIN fails only when the
 * connection does — and then the statement behind it on the same socket fails as well.)
 */
function afterBegin(tx: SqlTransaction, begun: Promise<unknown>): SqlTransaction {
  let failed: unknown;
  let pending: Promise<unknown> | undefined = begun.then(
    () => undefined,
    (err: unknown) => {
      failed = err;
      throw err;
    },
  );
  pending.catch(() => {}); // a transaction that sends nothing still awaits `begun` before COMMIT
  const wrapped: SqlTransaction = {
    inTransaction: true,
    async query<R>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<SqlResult<R>> {
      if (failed !== undefined) throw failed;
      const first = pending;
      if (first === undefined) return tx.query<R>(text, params, options);
      pending = undefined;
      const result = tx.query<R>(text, params, options);
      result.catch(() => {}); // BEGIN's error is the one to report
      await first;
      return result;
    },
    transaction: (fn) => fn(wrapped),
  };
  return wrapped;
}

function createPool(options: PgClientOptions): PgPoolLike {
  if (typeof options.url !== 'string' || options.url === '') {
    // Without a URL, pg silently falls back to PG* environment variables: refuse instead.
    throw DbErrors.DB_OPTIONS_INVALID({ params: { reason: 'createPgClient needs `url` or `pool`' } });
  }
  assertPostgresUrl(options.url);
  const max = options.max ?? 10;
  if (!Number.isInteger(max) || max < 1) {
    throw DbErrors.DB_OPTIONS_INVALID({ params: { reason: `max must be a positive integer, got ${max}` } });
  }
  // Pipeline mode: a transaction's first statement travels with its BEGIN (see `transaction`).
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    application_name: options.applicationName,
    pipeline: true,
    ...(options.connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: options.connectTimeoutMs }),
  });
  // An idle client's connection error (server restart) must not crash the process.
  pool.on('error', () => {});
  return pool as unknown as PgPoolLike;
}

function beginStatement(options: TransactionOptions | undefined): string {
  const isolation = options?.isolation;
  if (isolation === undefined) return 'BEGIN';
  // The level is spliced into SQL: only the three known values may pass.
  if (!isolationLevels.has(isolation)) {
    throw DbErrors.DB_OPTIONS_INVALID({ params: { reason: `unknown isolation level ${String(isolation)}` } });
  }
  return `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`;
}

async function commit(client: PgPoolClientLike): Promise<void> {
  const res = await client.query('COMMIT');
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  // PostgreSQL answers COMMIT of an aborted transaction with a ROLLBACK tag, not an error.
  if (last?.command === 'ROLLBACK') throw DbErrors.DB_TRANSACTION_ROLLED_BACK();
}

async function run<R>(
  q: RawQueryable,
  text: string,
  params?: readonly unknown[],
  options?: QueryOptions,
): Promise<SqlResult<R>> {
  const values = params as unknown[] | undefined;
  const res = options?.name
    ? await (q.query as unknown as NamedQuery).call(q, { name: options.name, text, values })
    : await q.query(text, values);
  // A multi-statement text (no params) yields one result per statement: report the last one.
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? 0 };
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
