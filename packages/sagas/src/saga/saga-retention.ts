import type { SqlClient } from '@outrig/db';
import { SagaErrors } from '../errors.ts';

/** What {@link cleanupSagas} takes. */
export interface CleanupSagasOptions {
  /**
   * Delete instances that ended (`completed`, `compensated`) longer ago than this. Must exceed
   * the time a start event can arrive again (the inbox retention, `INBOX_RETENTION_HOURS`):
   * once an instance is gone, its key can start a new one.
   */
  readonly finishedOlderThanMs: number;
  /** Instances per transaction. Default 500. */
  readonly batchSize?: number;
  /** At most this many batches per call. Default 100. */
  readonly maxBatches?: number;
  /** Only these sagas (names). Default: every saga in the database. */
  readonly sagas?: readonly string[];
}

/**
 * Deletes finished saga instances (`completed`, `compensated`) that ended longer ago than
 * `finishedOlderThanMs`, with their history, timers, parked messages and operator requests, in
 * batches of one transaction each; resolves how many instances went. Instances still running,
 * compensating or `compensation_failed` are never touched. The history stays append-only for
 * everything else: its trigger lets a DELETE through only inside this cleanup's transaction.
 * Several processes may run it at once (`FOR UPDATE SKIP LOCKED`).
 *
 * @example
 * const deleted = await cleanupSagas(sql, { finishedOlderThanMs: 30 * 86_400_000 });
 */
export async function cleanupSagas(sql: SqlClient, options: CleanupSagasOptions): Promise<number> {
  const olderThan = options.finishedOlderThanMs;
  if (!(Number.isFinite(olderThan) && olderThan >= 0)) {
    throw SagaErrors.SAGA_OPTIONS_INVALID({ params: { reason: 'finishedOlderThanMs must be ≥ 0' } });
  }
  const batchSize = options.batchSize ?? 500;
  const maxBatches = options.maxBatches ?? 100;
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await sql.transaction(async (tx) => {
      await tx.query(`SELECT set_config('outrig.saga_retention', 'on', true)`);
      const ids = await tx.query<{ id: string }>(
        `SELECT id FROM saga_instance
         WHERE status IN ('completed', 'compensated')
           AND updated_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
           AND ($2::text[] IS NULL OR saga = ANY($2))
         ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [olderThan, options.sagas ? [...options.sagas] : null, batchSize],
      );
      const list = ids.rows.map((r) => r.id);
      if (list.length === 0) return 0;
      for (const table of ['saga_history', 'saga_timer', 'saga_request']) {
        await tx.query(`DELETE FROM ${table} WHERE instance_id = ANY($1::uuid[])`, [list]);
      }
      await tx.query('DELETE FROM saga_parked WHERE instance_id = ANY($1::uuid[])', [list]);
      await tx.query('DELETE FROM saga_instance WHERE id = ANY($1::uuid[])', [list]);
      return list.length;
    });
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
