import type { SqlClient } from '@outrig/db';

const ROWS_PER_PARTITION = 5000;
const MAX_PASSES = 50;

/**
 * Deletes log rows, in bulk, that are either consumed by every group of their partition and older
 * than `retentionMs`, or older than `maxRetentionMs` whatever the groups did (a dead group must not
 * grow the log forever). A partition with no group counts as consumed up to its head.
 *
 * Within a partition `published_at` grows with the offset (offsets are assigned under the head's
 * row lock, after the previous writer committed), so deletable rows are a prefix: each pass takes
 * the lowest rows of every partition through the primary key and never scans the young part. A
 * pass is its own short transaction (no long transaction holding back vacuum), and concurrent
 * brokers skip a pass another one is running (try-advisory-lock).
 *
 * @returns how many rows were deleted.
 */
export async function deleteExpired(
  sql: SqlClient,
  schema: string,
  retentionMs: number,
  maxRetentionMs: number,
): Promise<number> {
  const s = `"${schema}"`;
  let total = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const deleted = await sql.transaction(async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as ok', [
        `outrig-bus-cleanup:${schema}`,
      ]);
      if (!lock.rows[0]?.ok) return 0;
      const res = await tx.query(
        `with bounds as (
           select h.topic, h.partition, coalesce(min(g.committed), h.next_offset - 1) as consumed
           from ${s}.heads h
           left join ${s}.group_partitions g on g.topic = h.topic and g.partition = h.partition
           group by h.topic, h.partition, h.next_offset
         ), victims as (
           select l.topic, l.partition, l."offset" from bounds b
           cross join lateral (
             select topic, partition, "offset", published_at from ${s}.log x
             where x.topic = b.topic and x.partition = b.partition
             order by x."offset" limit $3
           ) l
           where (l."offset" <= b.consumed and l.published_at < clock_timestamp() - $1 * interval '1 millisecond')
              or l.published_at < clock_timestamp() - $2 * interval '1 millisecond'
         )
         delete from ${s}.log l using victims v
         where l.topic = v.topic and l.partition = v.partition and l."offset" = v."offset"`,
        [retentionMs, maxRetentionMs, ROWS_PER_PARTITION],
      );
      return res.rowCount;
    });
    total += deleted;
    if (deleted === 0) break;
  }
  return total;
}
