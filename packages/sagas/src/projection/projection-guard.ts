import type { SqlTransaction } from '@outrig/db';
import { SagaErrors } from '../errors.ts';

// Statements that would reach outside the projection: writes to the outbox, inbox or saga
// tables, and notifications. A projection's handler runs again on every rebuild, so any of
// these would be a side effect repeated by a replay.
const SIDE_EFFECT =
  /\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?\w+"?\.)?"?(outbox\w*|inbox\w*|saga_\w+)"?|\b(pg_notify)\s*\(|\b(notify)\s+\w/i;

/** The handler's view of the batch transaction: everything but side effects. */
export function guardProjectionTx(tx: SqlTransaction, projection: string): SqlTransaction {
  const guarded: SqlTransaction = {
    inTransaction: true,
    query(text, params, options) {
      const m = SIDE_EFFECT.exec(text);
      if (m) {
        const what = m[1] ? `a write to ${m[1]}` : 'a notification';
        return Promise.reject(SagaErrors.PROJECTION_SIDE_EFFECT({ params: { projection, what } }));
      }
      return tx.query(text, params, options);
    },
    transaction: (fn) => fn(guarded),
  };
  return guarded;
}
