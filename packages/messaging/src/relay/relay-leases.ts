import type { SqlQueryable } from '@outrig/db';

/** Partition → epoch of the lease this relay holds. */
export type OwnedLeases = ReadonlyMap<number, number>;

/**
 * The relay's partition leases. Leases live on the database clock (`clock_timestamp()`), so
 * relays on machines with skewed clocks agree. Every change of owner bumps the partition's epoch;
 * a relay writes rows of a partition only while the epoch it leased is still the current one.
 * Operations are serialised (the renew timer and the loop's rebalance never interleave).
 */
export interface RelayLeases {
  /** Current leases (a snapshot: the map is replaced, never mutated). */
  owned(): OwnedLeases;
  /** Heartbeat + renew only (cheap; runs on a timer while a batch is in flight). */
  renew(): Promise<void>;
  /** Heartbeat, renew, then release or acquire partitions towards ceil(P / live relays). */
  rebalance(): Promise<void>;
  /** Releases every lease and leaves the relay registry (on stop). */
  releaseAll(): Promise<void>;
}

const MS = `* interval '1 millisecond'`;

/** Creates the lease keeper of one relay. */
export function createRelayLeases(sql: SqlQueryable, id: string, leaseMs: number): RelayLeases {
  let owned: OwnedLeases = new Map();
  let knownPartitions = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  };

  /** Upserts our heartbeat; returns the live relay count (us included) and the partition count. */
  const heartbeat = async () => {
    const { rows } = await sql.query<{ live: string; p: number }>(
      `WITH hb AS (
         INSERT INTO outbox_relay (id, expires_at) VALUES ($1, clock_timestamp() + $2 ${MS})
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at RETURNING id)
       SELECT (SELECT count(*) FROM outbox_relay WHERE expires_at > clock_timestamp() AND id <> $1) + 1 AS live,
              (SELECT partitions FROM outbox_settings) AS p`,
      [id, leaseMs],
    );
    const row = rows[0]!;
    return { live: Number(row.live), partitions: row.p };
  };

  const renewOwned = async () => {
    if (owned.size === 0) return;
    const { rows } = await sql.query<{ partition: number; epoch: string }>(
      `UPDATE outbox_lease l SET expires_at = clock_timestamp() + $2 ${MS}
         FROM unnest($3::int[], $4::bigint[]) AS m(partition, epoch)
        WHERE l.partition = m.partition AND l.owner = $1 AND l.epoch = m.epoch
        RETURNING l.partition, l.epoch`,
      [id, leaseMs, [...owned.keys()], [...owned.values()]],
    );
    // Partitions missing here were taken over after our lease lapsed: they are no longer ours.
    owned = new Map(rows.map((r) => [r.partition, Number(r.epoch)]));
  };

  const ensurePartitionRows = async (partitions: number) => {
    if (partitions === knownPartitions) return;
    await sql.query(
      `INSERT INTO outbox_lease (partition) SELECT g FROM generate_series(0, $1::int - 1) AS g
       ON CONFLICT (partition) DO NOTHING`,
      [partitions],
    );
    knownPartitions = partitions;
  };

  const release = async (partitions: number[]) => {
    await sql.query(
      `UPDATE outbox_lease SET owner = NULL, expires_at = '-infinity' WHERE owner = $1 AND partition = ANY($2::int[])`,
      [id, partitions],
    );
    const next = new Map(owned);
    for (const p of partitions) next.delete(p);
    owned = next;
  };

  const acquire = async (partitions: number, need: number) => {
    // Free or expired leases only: a live lease is never stolen, its owner releases it itself.
    const { rows } = await sql.query<{ partition: number; epoch: string }>(
      `UPDATE outbox_lease l SET owner = $1, epoch = l.epoch + 1, expires_at = clock_timestamp() + $2 ${MS}
        WHERE l.partition IN (
          SELECT partition FROM outbox_lease
           WHERE partition < $3 AND (owner IS NULL OR expires_at <= clock_timestamp())
           ORDER BY partition LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING l.partition, l.epoch`,
      [id, leaseMs, partitions, need],
    );
    if (rows.length === 0) return;
    const next = new Map(owned);
    for (const r of rows) next.set(r.partition, Number(r.epoch));
    owned = next;
  };

  return {
    owned: () => owned,
    renew: () =>
      serial(async () => {
        await heartbeat();
        await renewOwned();
      }),
    rebalance: () =>
      serial(async () => {
        const { live, partitions } = await heartbeat();
        await ensurePartitionRows(partitions);
        await renewOwned();
        await sql.query(`DELETE FROM outbox_relay WHERE expires_at < clock_timestamp() - $1 ${MS}`, [
          leaseMs,
        ]);
        const target = Math.ceil(partitions / live);
        const mine = [...owned.keys()].sort((a, b) => a - b);
        const beyond = mine.filter((p) => p >= partitions);
        if (beyond.length > 0) await release(beyond);
        if (owned.size > target) await release(mine.slice(target));
        else if (owned.size < target) await acquire(partitions, target - owned.size);
      }),
    releaseAll: () =>
      serial(async () => {
        await sql.query(`UPDATE outbox_lease SET owner = NULL, expires_at = '-infinity' WHERE owner = $1`, [
          id,
        ]);
        await sql.query('DELETE FROM outbox_relay WHERE id = $1', [id]);
        owned = new Map();
      }),
  };
}
