/**
 * The SqlClient port: the subset of a SQL driver that Outrig's internals (outbox, relay, inbox,
 * sagas, postgres transport) need. Framework code talks to PostgreSQL only through this port, in
 * plain SQL with `$1` placeholders, so the user's ORM (Drizzle, Kysely, raw pg) stays theirs.
 *
 * Contract:
 * - `query` runs one statement; on a pool it may use any connection.
 * - `transaction(fn)` runs `fn` on one connection inside BEGIN … COMMIT; it commits when `fn`
 *   resolves and rolls back (re-throwing) when it rejects. Nested calls on a transaction reuse
 *   it (no savepoints). Isolation is READ COMMITTED unless `isolation` says otherwise.
 * - Concurrency: a pool-backed client is safe for concurrent use; a {@link SqlTransaction} is
 *   one connection and must not run statements concurrently.
 * - `close()` waits for checked-out connections to be released, then ends the pool. A client
 *   built around a pool or transaction the caller owns never closes it.
 */
export interface SqlClient extends SqlQueryable {
  /** Runs `fn` in a transaction on a single connection. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Releases what this client owns. Idempotent. */
  close(): Promise<void>;
}

/** A statement runner: a pool, or one connection inside an open transaction. */
export interface SqlQueryable {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<SqlResult<R>>;
}

/** Per-statement options. Adapters that cannot honour one ignore it (the result is the same). */
export interface QueryOptions {
  /**
   * Prepare the statement under this name on each connection and reuse the plan: for hot,
   * fixed statements (the outbox write, the inbox insert). The same name must always carry the
   * same text.
   */
  readonly name?: string;
}

/** One open transaction. `transaction()` on it reuses it (joins), never nests. */
export interface SqlTransaction extends SqlQueryable {
  readonly inTransaction: true;
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

export interface TransactionOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}
