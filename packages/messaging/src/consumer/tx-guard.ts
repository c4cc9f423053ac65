import type { QueryOptions, SqlResult, SqlTransaction } from '@outrig/db';
import { MessagingErrors } from '../errors.ts';

/**
 * Wraps the handler's transaction so it refuses statements once the attempt is over: a handler
 * still running after its timeout must not write on a connection that has been rolled back and
 * returned to the pool (its writes would autocommit outside any transaction).
 */
export function guardTransaction(tx: SqlTransaction): { readonly tx: SqlTransaction; end(): void } {
  let ended = false;
  const guarded: SqlTransaction = {
    inTransaction: true,
    query<R = Record<string, unknown>>(
      text: string,
      params?: readonly unknown[],
      options?: QueryOptions,
    ): Promise<SqlResult<R>> {
      if (ended) return Promise.reject(MessagingErrors.CONSUMER_TX_CLOSED());
      return tx.query<R>(text, params, options);
    },
    transaction<T>(fn: (t: SqlTransaction) => Promise<T>): Promise<T> {
      if (ended) return Promise.reject(MessagingErrors.CONSUMER_TX_CLOSED());
      return fn(guarded);
    },
  };
  return {
    tx: guarded,
    end() {
      ended = true;
    },
  };
}
