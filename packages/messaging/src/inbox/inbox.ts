import type { SqlQueryable, SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';

/**
 * Marks `event` as handled by `group` inside the handler's transaction. Resolves true the first
 * time, false for a duplicate (the row already exists — committed by an earlier delivery).
 *
 * A concurrent delivery of the same event to the same group waits on the primary key until the
 * first transaction ends, so exactly one of them ever sees true.
 *
 * @example
 * await sql.transaction(async (tx) => {
 *   if (!(await recordInbox(tx, 'billing', event))) return; // already handled
 *   await applyEffects(tx, event);
 * });
 */
export async function recordInbox(tx: SqlTransaction, group: string, event: CloudEvent): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO inbox (consumer_group, event_id, event_type, aggregate_id)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING
     RETURNING 1 AS inserted`,
    [group, event.id, event.type, event.subject ?? null],
    { name: 'outrig_inbox_record_v1' },
  );
  return res.rowCount === 1;
}

/** Whether `group` has already handled `event` (committed). */
export async function inboxHas(sql: SqlQueryable, group: string, eventId: string): Promise<boolean> {
  const res = await sql.query('SELECT 1 FROM inbox WHERE consumer_group = $1 AND event_id = $2', [
    group,
    eventId,
  ]);
  return res.rowCount > 0;
}

/**
 * Counts one handler start of a redelivered event (committed at once, before the handler runs,
 * so a start that crashes the process is still counted). Resolves the starts recorded so far.
 */
export async function countRedeliveryStart(
  sql: SqlQueryable,
  group: string,
  eventId: string,
): Promise<number> {
  const res = await sql.query<{ starts: number }>(
    `INSERT INTO inbox_starts (consumer_group, event_id, starts) VALUES ($1, $2, 1)
     ON CONFLICT (consumer_group, event_id)
     DO UPDATE SET starts = inbox_starts.starts + 1, last_started_at = clock_timestamp()
     RETURNING starts`,
    [group, eventId],
  );
  return res.rows[0]?.starts ?? 1;
}

/** Forgets the recorded starts of an event (in the transaction that settles it). */
export async function clearRedeliveryStarts(tx: SqlQueryable, group: string, eventId: string): Promise<void> {
  await tx.query('DELETE FROM inbox_starts WHERE consumer_group = $1 AND event_id = $2', [group, eventId]);
}

export interface CleanupInboxOptions {
  /**
   * Delete rows handled longer ago than this. Must exceed the longest time a broker may still
   * (re)deliver an event — ack-wait × max redeliveries, broker retention used for replays, and
   * dead-letter redrives — or a late redelivery would run its handler a second time.
   */
  readonly olderThanMs: number;
  /** Rows deleted per statement; each batch is its own short transaction. Default 5000. */
  readonly batchSize?: number;
  /** Stop after this many batches (bounds one run). Default: until nothing is left. */
  readonly maxBatches?: number;
}

/**
 * Deletes old inbox rows in bulk, in short batches (never one long transaction, which would
 * hold back vacuum). Resolves the number of rows deleted.
 *
 * @example
 * // keep 7 days: far beyond the broker's redelivery horizon
 * const removed = await cleanupInbox(sql, { olderThanMs: 7 * 24 * 3600_000 });
 */
export async function cleanupInbox(sql: SqlQueryable, options: CleanupInboxOptions): Promise<number> {
  const { olderThanMs, batchSize = 5000, maxBatches = Number.POSITIVE_INFINITY } = options;
  if (!Number.isFinite(olderThanMs) || olderThanMs <= 0) {
    throw MessagingErrors.INBOX_OPTIONS_INVALID({
      params: { reason: 'olderThanMs must be a positive number' },
    });
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw MessagingErrors.INBOX_OPTIONS_INVALID({
      params: { reason: 'batchSize must be a positive integer' },
    });
  }
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    // ctid + LIMIT: DELETE has no LIMIT; the index on handled_at finds the victims.
    const res = await sql.query(
      `DELETE FROM inbox WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM inbox
         WHERE handled_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
         LIMIT $2))`,
      [olderThanMs, batchSize],
    );
    total += res.rowCount;
    if (res.rowCount < batchSize) break;
  }
  // Crash counters of events that were dead-lettered or never came back.
  await sql.query(
    'DELETE FROM inbox_starts WHERE last_started_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)',
    [olderThanMs],
  );
  return total;
}
